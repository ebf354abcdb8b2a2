/**
 * `kubectl trace-exec report`, the built CLI as a user runs it: no cluster, no root. A recording
 * made of -o json lines (plain, gzip, stdin, with a malformed line and exit lines of a later
 * version) → -o summary, -o markdown (read back as GFM tables), --timeline-to (checked against the
 * trace-event format). On the real kernel: a live run's --summary-to and `report` of its JSON lines
 * print the same summary.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { formatJsonLine } from '../../src/output/json.js';
import { T0, hostEvent, podEvent } from '../../src/output/fixtures.test-helpers.js';
import { CLI, startCli } from '../support/cli.js';
import { gfmTables } from '../support/gfm.js';
import { kernelDescribe } from '../support/kernel.js';
import { removeTempDirs, tempDir } from '../support/tmp.js';
import { traceEventProblems } from '../support/trace-events.js';

afterAll(removeTempDirs);
const dir = tempDir('trace-exec-report-');
const at = (ms: number) => T0 + ms;

const A = [
  formatJsonLine(
    podEvent(
      { pid: 10, comm: 'sh', filename: '/bin/sh', args: ['sh', '-c', 'curl x'], timeMs: at(0) },
      { namespace: 'pay', pod: 'api-0', container: 'api' },
    ),
  ),
  formatJsonLine(
    podEvent(
      { pid: 10, comm: 'curl', filename: '/usr/bin/curl', args: ['curl', 'x'], timeMs: at(20) },
      { namespace: 'pay', pod: 'api-0', container: 'api' },
    ),
  ),
  '{"time": "2026-11-26T11:41', // cut: a malformed line
  formatJsonLine(
    podEvent(
      { pid: 11, comm: 'sh', filename: '/nope', args: ['/nope'], retval: -2, timeMs: at(30) },
      { namespace: 'pay', pod: 'api-1', container: 'api' },
    ),
  ),
  // An exit line as issue 12 part 1 describes it: the curl ended with 7 after 80 ms.
  JSON.stringify({
    type: 'exit',
    time: new Date(at(100)).toISOString(),
    node: 'worker-1',
    namespace: 'pay',
    pod: 'api-0',
    container: 'api',
    containerId: null,
    pid: 10,
    comm: 'curl',
    exitCode: 7,
    signal: null,
    durationMs: 80,
  }),
].join('\n');
const B = [
  formatJsonLine(podEvent({ pid: 20, comm: 'nginx', timeMs: at(5) }, { namespace: 'web', pod: 'web-0', container: 'nginx' })),
  formatJsonLine(hostEvent({ pid: 30, comm: 'bash', timeMs: at(40) }, 'sshd.service')),
  '{"kind":"trace-exec.totals","reason":"duration","events":3}',
].join('\n');

async function report(args: string[], stdin?: string) {
  const r = await execa(process.execPath, [CLI, 'report', ...args], { reject: false, input: stdin ?? '', env: { FORCE_COLOR: '0' } });
  return { code: r.exitCode, stdout: r.stdout, stderr: r.stderr };
}

const STDERR_LOG = join(dir, 'trace-exec.log');
writeFileSync(STDERR_LOG, 'trace-exec: tracing execs on worker-1 for 60s\ntrace-exec: stopped (duration): 0 execs shown\n');
const BAD_ALLOW = join(dir, 'allow.txt');
writeFileSync(BAD_ALLOW, '# known\nweb /bin/sh\n');

describe('report, offline', () => {
  const a = join(dir, 'a.jsonl');
  const b = join(dir, 'b.jsonl.gz');
  writeFileSync(a, A + '\n');
  writeFileSync(b, gzipSync(B + '\n'));

  it('-o summary of a file, a gzip file and stdin: the summary table; the malformed line named, not fatal', async () => {
    const r = await report([a, b, '-'], formatJsonLine(podEvent({ timeMs: at(50) }, { namespace: 'std', pod: 'in-0' })) + '\n');
    expect(r.code, r.stderr).toBe(0);
    // The exec table, then (the input has exit lines) the exits table.
    const [execTable, exitTable] = r.stdout.split('\n\n');
    const rows = execTable!
      .split('\n')
      .filter((l) => l.startsWith('│'))
      .map((l) =>
        l
          .split('│')
          .slice(1, -1)
          .map((c) => c.trim()),
      );
    expect(exitTable).toMatch(/^Processes that exited non-zero or by a signal \(of 1 that ended\):\n/);
    expect(
      exitTable!
        .split('\n')
        .filter((l) => l.startsWith('│'))
        .map((l) =>
          l
            .split('│')
            .slice(1, -1)
            .map((c) => c.trim()),
        ),
    ).toEqual([
      ['NAMESPACE', 'POD', 'ENDED', 'BAD', 'TOP'],
      ['pay', 'api-0', '1', '1', 'curl×1'],
    ]);
    expect(rows.map((c) => c.slice(0, 4))).toEqual([
      ['NAMESPACE', 'POD', 'CONTAINER', 'EXECS'],
      ['pay', 'api-0', 'api', '2'],
      ['<host>', 'sshd.service', '-', '1'],
      ['pay', 'api-1', 'api', '1'],
      ['std', 'in-0', 'nginx', '1'],
      ['web', 'web-0', 'nginx', '1'],
    ]);
    expect(r.stderr).toContain(`trace-exec: warning: ${a}:3: malformed line skipped: not JSON`);
    expect(r.stderr).toMatch(/report: read 9 lines from 3 files: 6 execs \(6 kept by the filters\), 1 exits, 1 malformed lines skipped/);
  });

  it.each<[string, string[], string[]]>([
    ['-n', ['-n', 'web'], ['web-0']],
    ['pod/NAME', ['pod/api-1', 'pod/web-0'], ['api-1', 'web-0']],
    ['--failed', ['--failed'], ['api-1']],
    ['--host', ['--host'], ['sshd.service']],
    ['--comm and -c', ['--comm', '^curl$', '-c', 'api'], ['api-0']],
  ])('the filter %s', async (_name, args, pods) => {
    const r = await report([a, b, ...args]);
    expect(r.code, r.stderr).toBe(0);
    // The exec table (an exits table may follow it).
    const rows = r.stdout
      .split('\n\n')[0]!
      .split('\n')
      .filter((l) => l.startsWith('│'))
      .slice(1)
      .map((l) => l.split('│')[2]!.trim());
    expect(rows.sort()).toEqual(pods);
  });

  it('--drift keeps the execs of files from a writable layer; -o markdown has the drift section', async () => {
    const drift =
      [
        formatJsonLine(
          podEvent(
            { pid: 40, comm: 'miner', filename: '/tmp/miner', upperLayer: true, timeMs: at(1) },
            { namespace: 'pay', pod: 'api-0', container: 'api' },
          ),
        ),
        formatJsonLine(
          podEvent(
            { pid: 41, comm: 'nginx', filename: '/usr/sbin/nginx', upperLayer: false, timeMs: at(2) },
            { namespace: 'web', pod: 'web-0', container: 'nginx' },
          ),
        ),
        formatJsonLine(hostEvent({ pid: 42, comm: 'bash', timeMs: at(3) }, 'sshd.service')),
      ].join('\n') + '\n';
    const summary = await report(['-', '--drift'], drift);
    expect(summary.code, summary.stderr).toBe(0);
    const rows = summary.stdout
      .split('\n')
      .filter((l) => l.startsWith('│'))
      .map((l) =>
        l
          .split('│')
          .slice(1, -1)
          .map((c) => c.trim()),
      );
    expect(rows.map((c) => c.slice(0, 4))).toEqual([
      ['NAMESPACE', 'POD', 'CONTAINER', 'EXECS'],
      ['pay', 'api-0', 'api', '1'],
      ['NAMESPACE', 'POD', 'CONTAINER', 'DRIFT EXECS'],
      ['pay', 'api-0', 'api', '1'],
    ]);
    expect(summary.stdout).toContain('Drift: execs of files written into the container after it started');
    expect(summary.stdout).toContain('/tmp/miner×1');
    const md = await report(['-', '-o', 'markdown'], drift);
    expect(md.code, md.stderr).toBe(0);
    const { tables, problems } = gfmTables(md.stdout);
    expect(problems).toEqual([]);
    expect(md.stdout).toContain(
      '### Drift: executables not from the image\n\n1 exec ran a file written into the container after it started',
    );
    expect(tables.find((t) => t.header[2] === 'drift execs')?.rows).toEqual([['pay/api-0', 'api', '1', '`/tmp/miner`×1']]);
  });

  it('--drift keeps the exit lines of processes whose exec (read before) was drift', async () => {
    const exit = (pid: number, comm: string, ns: string, pod: string, ms: number) =>
      JSON.stringify({
        type: 'exit',
        time: new Date(at(ms)).toISOString(),
        node: 'worker-1',
        namespace: ns,
        pod,
        container: 'c',
        containerId: null,
        pid,
        comm,
        exitCode: null,
        signal: 'SIGKILL',
        durationMs: 5,
      });
    const lines =
      [
        formatJsonLine(
          podEvent(
            { pid: 40, comm: 'miner', filename: '/tmp/miner', upperLayer: true, timeMs: at(1) },
            { namespace: 'pay', pod: 'api-0', container: 'c' },
          ),
        ),
        formatJsonLine(
          podEvent(
            { pid: 41, comm: 'nginx', filename: '/usr/sbin/nginx', upperLayer: false, timeMs: at(2) },
            { namespace: 'web', pod: 'web-0', container: 'c' },
          ),
        ),
        exit(40, 'miner', 'pay', 'api-0', 6),
        exit(41, 'nginx', 'web', 'web-0', 7),
        exit(43, 'ghost', 'pay', 'api-0', 8), // its exec is not in the recording: not known to be drift
      ].join('\n') + '\n';
    const r = await report(['-', '--drift'], lines);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('Processes that exited non-zero or by a signal (of 1 that ended)');
    expect(r.stdout).toMatch(/│ pay +│ api-0 +│ +1 │ +1 │ miner×1/);
    expect(r.stdout).not.toContain('nginx×');
    expect(r.stdout).not.toContain('ghost');
  });

  it('-o markdown: GitHub-flavoured tables, the failed exec, the exits section (the input has exits)', async () => {
    const r = await report(['-o', 'markdown', a, b]);
    expect(r.code, r.stderr).toBe(0);
    const { tables, problems } = gfmTables(r.stdout);
    expect(problems).toEqual([]);
    expect(tables.map((t) => t.header[0])).toEqual(['namespace', 'pod', 'pod', 'unit', 'time (UTC)', 'namespace']);
    expect(tables[0]!.rows).toEqual([
      ['pay', '2', '3', '1'],
      ['web', '1', '1', '0'],
      ['host processes', '-', '1', '0'],
    ]);
    expect(tables[4]!.rows[0]!.slice(1)).toEqual(['pay/api-1', 'api', '`/nope`', '`/nope`', 'ENOENT']);
    expect(tables[5]!.rows).toEqual([['pay', 'api-0', '1', '1', '`curl`×1']]);
    expect(r.stdout).toContain(`Recorded in \`${a}\`, \`${b}\`: 5 execs, 1 exits; 1 malformed lines skipped.`);
    expect(r.stdout).not.toContain('Drift'); // no exec of a file on overlayfs in the input (upperLayer null)
  });

  it('--timeline-to: a valid trace-event file; the exit recorded ends the curl span', async () => {
    const file = join(dir, 'timeline.json');
    const r = await report([b, a, '--timeline-to', file]); // files in any order: fed by time
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`wrote the timeline (5 execs) to ${file}`);
    const t = JSON.parse(readFileSync(file, 'utf8')) as {
      traceEvents: { ph: string; name: string; ts?: number; dur?: number; args?: Record<string, unknown> }[];
    };
    expect(traceEventProblems(t)).toEqual([]);
    const spans = Object.fromEntries(t.traceEvents.filter((e) => e.ph === 'X').map((e) => [e.name, e]));
    expect(spans.sh).toMatchObject({ ts: at(0) * 1000, dur: 20_000, args: { ended: 'next exec' } });
    expect(spans.curl).toMatchObject({
      ts: at(20) * 1000,
      dur: 80_000,
      args: { ended: 'exit', exitCode: 7, signal: null, argv: ['curl', 'x'] },
    });
    // A recording does not say when the trace ended: open spans end at its last record (the bash at 40 ms… the exit at 100 ms).
    expect(spans.nginx).toMatchObject({ ts: at(5) * 1000, dur: 95_000, args: { ended: 'end of trace' } });
    expect(t.traceEvents.find((e) => e.ph === 'i')).toMatchObject({ name: 'nope ENOENT' });
  });

  it.each<[string, string[], RegExp]>([
    [
      '-l',
      ['-l', 'app=web'],
      /^trace-exec: error: -l\/--selector is not possible offline: the JSON records carry no pod labels; keep pods by name \(pod\/NAME\), -n, -c or --comm instead$/,
    ],
    [
      'a missing file',
      [join(dir, 'nope.jsonl')],
      /^trace-exec: error: cannot read \/.*nope\.jsonl: no such file\n {2}hint: give files written by -o json, or - for stdin$/,
    ],
    [
      '--timeline-to in a directory that does not exist (before reading)',
      ['-', '--timeline-to', join(dir, 'no/t.json')],
      /^trace-exec: error: --timeline-to \/.*no\/t\.json: the directory \/.*\/no does not exist; create it or choose another path$/,
    ],
    // -o json is the findings of --baseline now (issue 24); a recording alone is still refused with the jq hint.
    [
      '-o json',
      ['-o', 'json'],
      /^trace-exec: error: -o json is the findings of --baseline, one a line: add --baseline FILE \(the input is JSON lines already: filter it with jq\)$/,
    ],
    [
      '--fail-on without --baseline',
      ['--fail-on', 'drift'],
      /^trace-exec: error: --fail-on applies to a comparison: add --baseline FILE \(the -o json recording of an earlier run\)$/,
    ],
    [
      'a missing --baseline file',
      ['--baseline', join(dir, 'old.jsonl')],
      /^trace-exec: error: --baseline: cannot read \/.*old\.jsonl: no such file\n {2}hint: give the recording of an earlier run \(-o json > baseline\.jsonl\)$/,
    ],
    [
      'a --baseline that is a stderr log',
      ['--baseline', STDERR_LOG],
      /^trace-exec: error: --baseline: \/.*trace-exec\.log is not a recording: none of its 2 lines is an exec record of trace-exec -o json\n {2}hint: give the file written by -o json of an earlier run$/,
    ],
    [
      'a bad --allow rule',
      ['--baseline', a, '--allow', BAD_ALLOW],
      /^trace-exec: error: --allow \/.*allow\.txt:2: workload "web" is not KIND\/NAME, NAMESPACE\/KIND\/NAME, <host> or \*: e\.g\. deploy\/web, payments\/sts\/db$/,
    ],
    ['a flag of live runs', ['-d', '1s'], /^trace-exec: error: unknown flag -d/],
  ])('refuses %s with one line, exit 1', async (_name, args, message) => {
    const r = await report([a, ...args]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(message);
    expect(existsSync(join(dir, 'no'))).toBe(false);
  });

  it("trace-exec's stderr log instead of its stdout: not a recording, exit 1, nothing on stdout", async () => {
    const log = join(dir, 'trace-exec.log');
    writeFileSync(
      log,
      'trace-exec: probing node vm\ntrace-exec: tracing execs on vm for 2s\ntrace-exec: stopped (duration): 3 execs shown of 3 traced\n{"kind":"trace-exec.totals","reason":"duration","events":3,"shown":3}\n',
    );
    const r = await report([log]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr.split('\n')).toEqual([
      `trace-exec: error: ${log} is not a recording: none of its 4 lines is an exec or exit record of trace-exec -o json (line 1: not JSON)`,
      "  hint: it looks like trace-exec's stderr (diagnostics); the recording is what -o json writes to stdout (-o json > execs.jsonl)",
    ]);
  });

  it.each<[string, string]>([
    ['JSON lines of something else', '{"level":"info","msg":"started"}\n{"level":"info","msg":"done"}\n'],
    ['plain text', 'hello\nworld\n'],
  ])('%s: not a recording, exit 1', async (_what, text) => {
    const file = join(dir, `other-${_what.length}.txt`);
    writeFileSync(file, text);
    const r = await report([a, file]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(
      new RegExp(
        `^trace-exec: error: ${file} is not a recording: none of its 2 lines is an exec or exit record of trace-exec -o json \\(line 1: `,
        'm',
      ),
    );
    expect(r.stderr).toMatch(/hint: give the file written by -o json \(-o json > execs\.jsonl\)$/m);
  });

  it('an empty recording (a trace that saw no exec) is still one: exit 0', async () => {
    const empty = join(dir, 'empty.jsonl');
    writeFileSync(empty, '');
    const r = await report([empty]);
    expect(r.code, r.stderr).toBe(0);
  });

  it('so is one with stderr in it (-o json >F 2>&1) that showed no exec: its totals say so; exit 0, warnings as before', async () => {
    const mixed = join(dir, 'mixed.jsonl');
    writeFileSync(
      mixed,
      'trace-exec: tracing execs on vm for 2s\ntrace-exec: stopped (duration): 0 execs shown of 9 traced\n{"kind":"trace-exec.totals","reason":"duration","events":9,"shown":0}\n',
    );
    const r = await report([mixed]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`trace-exec: warning: ${mixed}:1: malformed line skipped: not JSON`);
    expect(r.stderr).toContain('trace-exec: warning: no exec records in the input: was it written by trace-exec -o json?');
  });

  it('a mistyped subcommand: did you mean report?', async () => {
    const r = await execa(process.execPath, [CLI, 'reprot', a], { reject: false });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toBe('trace-exec: error: unknown command "reprot"; did you mean report? (see kubectl trace-exec --help)');
  });
});

const k = kernelDescribe();

describe.skipIf(k.skip)(`report of a real recording${k.reason ? ` (${k.reason})` : ''}`, () => {
  it("prints the same summary as the live run's --summary-to", async () => {
    if (k.reason) throw new Error(`real-kernel tests must run under CI but cannot: ${k.reason}`);
    const summary = join(dir, 'live-summary.txt');
    const live = startCli(['--local', '-o', 'json', '-d', '2s', '--summary-to', summary]);
    const r = await live.done();
    expect(r.code, r.stderr).toBe(0);
    const recording = join(dir, 'live.jsonl.gz');
    writeFileSync(recording, gzipSync(r.stdout));
    const rep = await report([recording]);
    expect(rep.code, rep.stderr).toBe(0);
    expect(rep.stdout + '\n').toBe(readFileSync(summary, 'utf8'));
    expect(rep.stderr).toMatch(/ 0 malformed lines skipped/);
  }, 90_000);
});
