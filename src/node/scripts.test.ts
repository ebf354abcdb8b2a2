/**
 * The node-side scripts on their own, from their files: bpf/tracer.sh and bpf/batcher.pl pass the
 * syntax checks (as written and as sent), the batcher passes bpftrace's output on byte for byte and
 * holds the dead-man switch, and the tracer script runs a bpftrace found on PATH (a stand-in that
 * prints records) and keeps its pid and exit code. tracer-command.test.ts runs them as the client
 * sends them (tracerArgv).
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it, onTestFinished } from 'vitest';
import { aptInstall, canApt } from '../../test/support/apt.js';
import { removeTempDirs, tempDir } from '../../test/support/tmp.js';
import { BATCH_BYTES, BATCH_MS, BATCH_NAP_MS, STOP_SCRIPT, nodeScripts } from './tracer-command.js';

const TRACER = fileURLToPath(new URL('../../bpf/tracer.sh', import.meta.url));
const BATCHER = fileURLToPath(new URL('../../bpf/batcher.pl', import.meta.url));
const COUNTER = fileURLToPath(new URL('../../bpf/counter.pl', import.meta.url));
const dir = tempDir('trace-exec-scripts-');
afterAll(removeTempDirs);

/** shellcheck, installed with apt-get when missing (as root); under CI its absence fails the test. */
function shellcheck(): string | null {
  const found = (): boolean => spawnSync('shellcheck', ['--version'], { stdio: 'ignore' }).status === 0;
  if (!found() && canApt()) aptInstall(['shellcheck'], 'scripts.test.ts');
  return found() ? 'shellcheck' : null;
}

describe('syntax', () => {
  const sent = nodeScripts();
  const sentTracer = join(dir, 'tracer-sent.sh');
  const sentBatcher = join(dir, 'batcher-sent.pl');
  const sentCounter = join(dir, 'counter-sent.pl');
  writeFileSync(sentTracer, sent.tracer);
  writeFileSync(sentBatcher, sent.batcher);
  writeFileSync(sentCounter, sent.counter);

  it.each([TRACER, sentTracer])('sh -n %s', (file) => {
    expect(spawnSync('sh', ['-n', file], { encoding: 'utf8' }).stderr).toBe('');
    expect(spawnSync('sh', ['-n', file]).status).toBe(0);
  });

  it.each([TRACER, sentTracer])('shellcheck %s', (file) => {
    const bin = shellcheck();
    if (!bin) {
      if (process.env.CI === 'true') expect.fail('shellcheck is missing and could not be installed (apt-get install shellcheck)');
      return;
    }
    const r = spawnSync(bin, ['--shell=sh', '--format=gcc', file], { encoding: 'utf8' });
    expect(r.stdout).toBe('');
    expect(r.status).toBe(0);
  });

  it.each([BATCHER, sentBatcher, COUNTER, sentCounter])('perl -c %s', (file) => {
    const r = spawnSync('perl', ['-c', file], { encoding: 'utf8' });
    expect(r.stderr).toBe(`${file} syntax OK\n`);
    expect(r.status).toBe(0);
  });

  it('sends the scripts without their comments, and nothing else left out', () => {
    for (const [file, text] of [
      [TRACER, sent.tracer],
      [BATCHER, sent.batcher],
      [COUNTER, sent.counter],
    ] as const) {
      const code = readFileSync(file, 'utf8')
        .split('\n')
        .filter((l) => !/^\s*(#.*)?$/.test(l));
      expect(text.split('\n')).toEqual(code);
      expect(text).not.toMatch(/^\s*#/m);
    }
  });

  it("the batcher's settings are BATCH_BYTES, BATCH_MS and BATCH_NAP_MS", () => {
    expect(sent.batcher).toContain(`my ($max, $wait, $nap) = (${BATCH_BYTES}, ${BATCH_MS / 1000}, ${BATCH_NAP_MS / 1000});\n`);
  });
});

/** bpftrace -f json output as bpftrace writes it: exec records, a non-UTF-8 byte, a line longer than a batch. */
function bpftraceOutput(): Buffer {
  const lines: string[] = ['{"type": "attached_probes", "data": {"probes": 5}}\n', '{"type": "printf", "data": "B 1000\\n"}\n'];
  for (let i = 0; i < 3000; i++) {
    lines.push(`{"type": "printf", "data": "E ${i} ${i} 1 0 ${2000 + i} 77 0 2 /usr/bin/true\\n"}\n`);
    lines.push(`{"type": "printf", "data": "A ${i} ${2000 + i} 0 gr\\uffffffc3\\uffffffbc\\uffffffc3\\uffffff9fe\\n"}\n`);
    lines.push(`{"type": "printf", "data": "X ${i} 0 ${2000 + i} 2 0 0 0 0 0 0 true\\n"}\n`);
  }
  lines.push(`{"type": "printf", "data": "A 1 2 1 ${'x'.repeat(100_000)}\\n"}\n`);
  return Buffer.concat([...lines.map((l) => Buffer.from(l)), Buffer.from([0xff, 0x0a])]);
}

describe('bpf/batcher.pl', () => {
  it('passes bpftrace output on byte for byte, in writes of at most BATCH_BYTES, and exits 0 at its end', async () => {
    const input = bpftraceOutput();
    // No lease, no limit: no dead-man switch.
    const child = spawn('perl', [BATCHER, join(dir, 'none.pid'), '', '0'], { stdio: ['pipe', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => chunks.push(c));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.stdin.end(input);
    const code = await new Promise<number | null>((r) => child.once('close', r));
    expect(code).toBe(0);
    expect(stderr).toBe('');
    expect(Buffer.concat(chunks).equals(input)).toBe(true);
    expect(chunks.every((c) => c.length <= BATCH_BYTES)).toBe(true);
    expect(chunks.length).toBeLessThan(input.length / 1000);
  });

  it('no heartbeat on fd 5 for the limit: SIGINT to the pid in the pid file, then it ends with its input', async () => {
    const sleeper = spawn('perl', ['-e', '$SIG{INT} = sub { print "interrupted\\n"; exit 0 }; sleep 1 while 1'], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const pidFile = join(dir, 'silent.pid');
    writeFileSync(pidFile, `${sleeper.pid}\n`);
    const t0 = performance.now();
    // fd 5: a pipe the test keeps open and never writes to (a frozen client).
    const child = spawn('perl', [BATCHER, pidFile, '', '1'], {
      stdio: ['pipe', 'pipe', 'pipe', 'ignore', 'ignore', 'pipe'],
    }) as ChildProcessWithoutNullStreams;
    const heartbeat = (child.stdio as unknown as Writable[])[5]!;
    // A batcher that died early must not leave the stand-in (or the test) waiting.
    child.once('close', () => sleeper.kill('SIGKILL'));
    onTestFinished(() => void sleeper.kill('SIGKILL'));
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const out: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stdin.write('begin\n');
    let said = '';
    sleeper.stdout.on('data', (c: Buffer) => (said += c.toString()));
    const sleeperCode = await new Promise<number | null>((r) => sleeper.once('exit', r));
    const stoppedMs = performance.now() - t0;
    child.stdin.end('last\n');
    expect(await new Promise<number | null>((r) => child.once('close', r))).toBe(0);
    heartbeat.end();
    expect(sleeperCode).toBe(0);
    expect(said).toBe('interrupted\n');
    // time() has whole seconds: between limit and limit + 1 s (plus scheduling).
    expect(stoppedMs).toBeGreaterThan(900);
    expect(stoppedMs).toBeLessThan(3500);
    expect(stderr).toBe('trace-exec: no heartbeat from the client for 1s: stopping bpftrace\n');
    expect(Buffer.concat(out).toString()).toBe('begin\nlast\n');
  });
});

describe('bpf/tracer.sh', () => {
  /** A bpftrace on PATH that prints its pid, its argv and records, and exits with $FAKE_CODE. */
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  writeFileSync(
    join(bin, 'bpftrace'),
    [
      '#!/bin/sh',
      String.raw`printf '{"type": "printf", "data": "pid %s\\n"}\n' "$$"`,
      String.raw`printf '{"type": "printf", "data": "argv %s\\n"}\n' "$*"`,
      String.raw`printf '{"type": "printf", "data": "B 1000\\n"}\n'`,
      'exit "${FAKE_CODE:-0}"',
      '',
    ].join('\n'),
    { mode: 0o755 },
  );
  const env = { ...process.env, PATH: `${bin}:${process.env.PATH}` };

  it.each([
    ['with the batcher', true, 0],
    ['without it', false, 0],
    ['with the batcher, bpftrace failing', true, 3],
    ['without it, bpftrace failing', false, 3],
  ] as const)('%s: runs bpftrace from PATH with its argv, writes its pid, exits with its code', async (_name, batch, code) => {
    const pidFile = join(dir, `run-${batch}-${code}.pid.1`);
    // stdin (the heartbeat) stays open until the tracer ends: its end would stop bpftrace.
    const child = spawn(
      'sh',
      [TRACER, pidFile, '', '10', batch ? nodeScripts().batcher : '', 'bpftrace', '-f', 'json', '-e', 'BEGIN { }'],
      {
        env: { ...env, FAKE_CODE: String(code) },
        stdio: ['pipe', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.stdin.write('\n');
    const status = await new Promise<number | null>((res) => child.once('close', res));
    child.stdin.destroy();
    const r = { stdout, stderr, status };
    expect(r.stderr).toBe('');
    expect(r.status).toBe(code);
    const pid = readFileSync(pidFile, 'utf8').trim();
    expect(r.stdout).toBe(
      `{"type": "printf", "data": "pid ${pid}\\n"}\n{"type": "printf", "data": "argv -f json -e BEGIN { }\\n"}\n{"type": "printf", "data": "B 1000\\n"}\n`,
    );
    // Its intent file goes with it (the pid file stays for stop(), which removes it).
    expect(existsSync(`${pidFile}.sh`)).toBe(false);
  });
});

describe('STOP_SCRIPT (how a stop reaches bpftrace on a node)', () => {
  /**
   * A "bpftrace" (its comm, as the script checks) that lets `ignore` SIGINTs go by, as bpftrace 0.17
   * does with one that comes while it reads events, and exits on the next; it counts them in `log`.
   */
  function stubborn(ignore: number): { pidFile: string; log: string; exited: Promise<void> } {
    const bin = join(dir, `stop-${ignore}`);
    mkdirSync(bin, { recursive: true });
    const exe = join(bin, 'bpftrace');
    const log = join(bin, 'sigints');
    writeFileSync(
      exe,
      `#!/usr/bin/perl\nmy $n = 0;\n$SIG{INT} = sub { $n++; open(my $f, '>', '${log}'); print $f $n; close $f; exit 0 if $n > ${ignore} };\nselect(undef, undef, undef, 0.05) for 1 .. 400;\nexit 3;\n`,
      { mode: 0o755 },
    );
    const child = spawn(exe, [], { stdio: 'ignore' });
    const pidFile = join(bin, 'bpftrace.pid.1');
    writeFileSync(pidFile, `${child.pid}\n`);
    onTestFinished(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    });
    return { pidFile, log, exited: new Promise((r) => child.once('exit', () => r())) };
  }

  it('shellcheck', () => {
    const bin = shellcheck();
    if (!bin) {
      if (process.env.CI === 'true') expect.fail('shellcheck is missing and could not be installed (apt-get install shellcheck)');
      return;
    }
    const file = join(dir, 'stop.sh');
    writeFileSync(file, STOP_SCRIPT);
    const r = spawnSync(bin, ['--shell=sh', '--format=gcc', file], { encoding: 'utf8' });
    expect(r.stdout).toBe('');
  });

  it.each([
    [0, 1],
    [1, 2],
    [3, 4],
  ])('a bpftrace that lets %i SIGINT go by gets %i and is gone when the script returns', async (ignore, got) => {
    const b = stubborn(ignore);
    await new Promise((r) => setTimeout(r, 200)); // its handler is set
    const t0 = Date.now();
    // Not spawnSync: this process reaps the stub (as bpftrace's shell does on a node) only while its loop runs.
    const script = spawn('sh', ['-c', STOP_SCRIPT, 'trace-exec', b.pidFile], { stdio: 'ignore' });
    expect(await new Promise((r) => script.once('exit', r))).toBe(0);
    await b.exited;
    expect(readFileSync(b.log, 'utf8')).toBe(String(got));
    // One second between SIGINTs: the script returned within that of the last.
    expect(Date.now() - t0).toBeLessThan(ignore * 1000 + 1500);
  });

  it('an exited bpftrace its parent has not reaped yet (a zombie) is gone', async () => {
    const b = stubborn(0);
    await new Promise((r) => setTimeout(r, 200));
    const t0 = Date.now();
    // spawnSync: this process cannot reap the stub while the script runs.
    expect(spawnSync('sh', ['-c', STOP_SCRIPT, 'trace-exec', b.pidFile], { timeout: 15_000 }).status).toBe(0);
    expect(Date.now() - t0).toBeLessThan(1500);
    await b.exited;
  });

  it('a pid file that is gone, or names no bpftrace: returns at once', () => {
    const none = spawnSync('sh', ['-c', STOP_SCRIPT, 'trace-exec', join(dir, 'no-such.pid.1')]);
    expect(none.status).toBe(0);
    const other = join(dir, 'other.pid.1');
    writeFileSync(other, `${process.pid}\n`); // a node process: not bpftrace, never signalled
    expect(spawnSync('sh', ['-c', STOP_SCRIPT, 'trace-exec', other]).status).toBe(0);
  });
});
