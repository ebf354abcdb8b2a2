/**
 * The tracer command run for real with this machine's sh and perl, a small script standing in for
 * bpftrace: what the batcher passes on, in how many writes, how soon, that bpftrace's pid and
 * exit code come through the pipeline, and the dead-man switch on its stdin.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BATCH_BYTES, BATCH_MS, tracerArgv, tracerStdin } from './tracer-command.js';

const dir = mkdtempSync(join(tmpdir(), 'trace-exec-tracer-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Chunk {
  atMs: number;
  bytes: number;
}

interface RunOpts {
  interruptAfterMs?: number;
  perl?: boolean;
  /** Heartbeats on stdin every this many ms (default 200); null: stdin stays open and silent. */
  heartbeatMs?: number | null;
  /** Closes stdin (the client went away) after this long. */
  closeStdinAfterMs?: number;
  limitS?: number;
  lease?: string | null;
  /** This attachment's pid file (default: a fresh BASE.1). */
  pidFile?: string;
  /** Counting mode (-o summary). */
  counts?: { argsMax: number; selfPid: number };
}

/** Runs `sh -c script` as "bpftrace" through the tracer command; collects stdout chunk by chunk. */
async function runTracer(script: string, batch: boolean, opts: RunOpts = {}) {
  const pidFile = opts.pidFile ?? join(dir, `pid-${Math.random().toString(36).slice(2)}.1`);
  const files = { pid: pidFile, lease: opts.lease ?? null };
  const argv = tracerArgv(
    { bpftrace: opts.perl ? ['perl', '-e', script] : ['sh', '-c', script], batch, counts: opts.counts ?? null },
    files,
    opts.limitS ?? 10,
  );
  const t0 = performance.now();
  // In its own process group when the test interrupts it, as a terminal would.
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'], detached: opts.interruptAfterMs !== undefined });
  child.stdin.on('error', () => {});
  const beatMs = opts.heartbeatMs === undefined ? 200 : opts.heartbeatMs;
  // As the runners do: the counter first (counting mode; else nothing), then the heartbeats.
  child.stdin.write(tracerStdin({ bpftrace: [], batch, counts: opts.counts ?? null }));
  const beat = beatMs === null ? null : setInterval(() => child.stdin.write('\n'), beatMs);
  if (opts.closeStdinAfterMs !== undefined) {
    setTimeout(() => {
      if (beat) clearInterval(beat);
      child.stdin.end();
    }, opts.closeStdinAfterMs);
  }
  const chunks: Chunk[] = [];
  const out: Buffer[] = [];
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => {
    chunks.push({ atMs: performance.now() - t0, bytes: c.length });
    out.push(c);
  });
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  let tracerPid: number | null = null;
  if (opts.interruptAfterMs !== undefined) {
    setTimeout(() => {
      tracerPid = Number(readFileSync(pidFile, 'utf8'));
      // As in a terminal: the whole group gets SIGINT (the shell and the batcher must ignore it).
      process.kill(-child.pid!, 'SIGINT');
    }, opts.interruptAfterMs);
  }
  const code = await new Promise<number | null>((r) => child.once('close', (c) => r(c)));
  if (beat) clearInterval(beat);
  child.stdin.destroy();
  rmSync(pidFile, { force: true });
  return { code, chunks, text: Buffer.concat(out).toString(), stderr, tracerPid, shPid: child.pid, atMs: performance.now() - t0 };
}

/** A stand-in for bpftrace that, like bpftrace, stops on SIGINT with a last record (exit 0). */
const UNTIL_SIGINT = `$| = 1; $SIG{INT} = sub { print "last\\n"; exit 0 }; print "begin\\n"; sleep 1 while 1`;

describe('tracer command', () => {
  it("counting mode: the batcher counts, in its environment only (the scripts' arguments as without)", async () => {
    const rec = (t: string) => `{"type": "printf", "data": "${t}\\n"}`;
    const lines = [rec('B 1'), rec('E 5 5 1 0 100 7 0 1 /bin/true'), rec('A 5 100 0 true'), rec('X 5 0 100 0 0 0 0 0 0 0 true')];
    const script = `printf '%s\\n' ${lines.map((l) => `'${l}'`).join(' ')}`;
    const counted = await runTracer(script, true, { counts: { argsMax: 32, selfPid: 0 } });
    expect(counted.stderr).toBe('');
    expect(counted.text).toBe(
      `${lines[0]}\n{"type": "counts", "data": {"cg2": "7", "cg1": "0", "comm": "true", "execs": 1, "failed": 0, "searches": 0, "first": "100", "last": "100", "errnos": {}, "argv": ["true"], "argvExecs": 1}}\n`,
    );
    expect((await runTracer(script, true)).text).toBe(`${lines.join('\n')}\n`);
    // Without perl there is no batcher to count: every record goes out.
    expect((await runTracer(script, false, { counts: { argsMax: 32, selfPid: 0 } })).text).toBe(`${lines.join('\n')}\n`);
  });

  it.each([true, false])('passes every byte on and keeps bpftrace exit code (batch=%s)', async (batch) => {
    const r = await runTracer('printf "a 1\\n"; printf "b\\302\\240 2\\n"; exit 3', batch);
    expect(r.text).toBe('a 1\nb\u00a0 2\n');
    expect(r.code).toBe(3);
    expect(r.stderr).toBe('');
  });

  it('writes a storm in few large chunks of at most BATCH_BYTES', async () => {
    // 20 000 records of 100 bytes written one by one, as bpftrace does: 2 MB in 20 000 writes.
    const script = `i=0; line=$(printf '%099d' 0); while [ $i -lt 20000 ]; do printf '%s\\n' "$line"; i=$((i+1)); done`;
    const r = await runTracer(script, true);
    expect(r.text.length).toBe(20000 * 100);
    expect(r.chunks.every((c) => c.bytes <= BATCH_BYTES)).toBe(true);
    // Bounded by size: at least 2 MB / 64 KiB writes; and far fewer than one per record.
    expect(r.chunks.length).toBeGreaterThanOrEqual(Math.ceil((20000 * 100) / BATCH_BYTES));
    expect(r.chunks.length).toBeLessThan(2000);
  });

  it('passes a lone record on within BATCH_MS, without waiting for more', async () => {
    const r = await runTracer('printf "first\\n"; sleep 1; printf "second\\n"', true);
    expect(r.text).toBe('first\nsecond\n');
    expect(r.chunks).toHaveLength(2);
    const [first, second] = r.chunks as [Chunk, Chunk];
    // "first" left well before "second" was written (1 s later): the time bound, not the end of input.
    expect(second.atMs - first.atMs).toBeGreaterThan(700);
    // …and not much later than BATCH_MS after it was written (generous: the machine may be busy).
    expect(first.atMs).toBeLessThan(second.atMs - 1000 + BATCH_MS + 400);
  });

  it('gathers records that come close together into one write', async () => {
    const r = await runTracer('for i in 1 2 3 4 5; do printf "r$i\\n"; sleep 0.01; done; sleep 1', true);
    expect(r.text).toBe('r1\nr2\nr3\nr4\nr5\n');
    expect(r.chunks.length).toBeLessThanOrEqual(2);
  });

  it('a SIGINT to the group stops bpftrace, and what it wrote last still comes out', async () => {
    // Like bpftrace, the stand-in installs its own SIGINT handler (a shell could not: an async
    // command starts with SIGINT ignored), prints a last record and exits 0.
    const r = await runTracer(UNTIL_SIGINT, true, { interruptAfterMs: 500, perl: true });
    expect(r.text).toBe('begin\nlast\n');
    expect(r.code).toBe(0);
    expect(r.tracerPid).not.toBe(r.shPid); // the pid file names bpftrace, not the shell
  });

  it.each([true, false])(
    'the client closing the stream (stdin ends) stops bpftrace at once, and its last records still come out (batch=%s)',
    async (batch) => {
      const lease = join(dir, `lease-${batch}`);
      const r = await runTracer(UNTIL_SIGINT, batch, { perl: true, closeStdinAfterMs: 600, lease });
      expect(r.text).toBe('begin\nlast\n');
      expect(r.code).toBe(0);
      expect(r.atMs).toBeLessThan(3000);
      if (batch) expect(r.stderr).toMatch(/trace-exec: the client closed the stream: stopping bpftrace/);
      expect(existsSync(lease)).toBe(true); // the heartbeats renewed it
      rmSync(lease, { force: true });
    },
  );

  it('no heartbeat for the limit stops bpftrace (the stream stays open: a frozen client, a dead network)', async () => {
    const r = await runTracer(UNTIL_SIGINT, true, { perl: true, heartbeatMs: null, limitS: 2 });
    expect(r.text).toBe('begin\nlast\n');
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/no heartbeat from the client for 2s: stopping bpftrace/);
    // time() has whole seconds: between limit and limit + 1 s (plus the stand-in's exit).
    expect(r.atMs).toBeGreaterThan(2000);
    expect(r.atMs).toBeLessThan(4500);
  });

  it('each heartbeat touches the lease file, and heartbeats keep bpftrace running past the limit', async () => {
    const lease = join(dir, 'lease-renewed');
    writeFileSync(lease, '');
    const old = new Date(Date.now() - 60_000);
    (await import('node:fs')).utimesSync(lease, old, old);
    const r = await runTracer(UNTIL_SIGINT, true, { perl: true, limitS: 1, heartbeatMs: 200, closeStdinAfterMs: 3000, lease });
    expect(r.text).toBe('begin\nlast\n');
    expect(r.atMs).toBeGreaterThan(2900); // the 1 s limit did not end it: the heartbeats did not stop
    expect(r.stderr).toMatch(/the client closed the stream/);
    expect(Date.now() - statSync(lease).mtimeMs).toBeLessThan(5000);
    rmSync(lease, { force: true });
  });

  it("stops an earlier attachment's bpftrace first, by its pid file: never two at once", async () => {
    // The earlier bpftrace is a process named bpftrace (comm), as the script checks before it signals.
    const fake = join(dir, 'bpftrace');
    writeFileSync(fake, '#!/usr/bin/perl\n$SIG{INT} = sub { exit 0 }; sleep 1 while 1;\n', { mode: 0o755 });
    const old = spawn(fake, [], { stdio: 'ignore' });
    const base = join(dir, 'run-a.pid');
    writeFileSync(`${base}.1`, `${old.pid}\n`);
    writeFileSync(`${base}.1.sh`, '1\n');
    const oldExit = new Promise<number | null>((r) => old.once('exit', (c) => r(c)));
    const r = await runTracer(`kill -0 ${old.pid} 2>/dev/null && echo both || echo alone`, true, { pidFile: `${base}.2` });
    expect(await oldExit).toBe(0); // SIGINT, not SIGKILL
    expect(r.text).toBe('alone\n');
    expect(existsSync(`${base}.1`)).toBe(false);
    expect(existsSync(`${base}.1.sh`)).toBe(false);
    expect(existsSync(`${base}.2.sh`)).toBe(false); // its own intent goes with it
  });

  it('waits for an earlier attachment still starting (no pid file yet), then stops its bpftrace', async () => {
    const fake = join(dir, 'bpftrace');
    writeFileSync(fake, '#!/usr/bin/perl\n$SIG{INT} = sub { exit 0 }; sleep 1 while 1;\n', { mode: 0o755 });
    const base = join(dir, 'run-b.pid');
    writeFileSync(`${base}.1.sh`, '1\n');
    let old: ReturnType<typeof spawn> | null = null;
    setTimeout(() => {
      old = spawn(fake, [], { stdio: 'ignore' });
      writeFileSync(`${base}.1`, `${old.pid}\n`);
    }, 600);
    const r = await runTracer(`echo started`, true, { pidFile: `${base}.2` });
    expect(r.text).toBe('started\n');
    expect(r.atMs).toBeGreaterThan(550);
    expect(old!.exitCode ?? (await new Promise((res) => old!.once('exit', res)))).toBe(0);
  });

  it('an attachment that finds a newer one never starts bpftrace (it was given up while starting)', async () => {
    const base = join(dir, 'run-c.pid');
    writeFileSync(`${base}.3.sh`, '1\n');
    const r = await runTracer('echo ran', true, { pidFile: `${base}.2` });
    expect(r.text).toBe('');
    expect(r.code).toBe(0);
    expect(existsSync(`${base}.2`)).toBe(false);
    rmSync(`${base}.3.sh`);
  });
});
