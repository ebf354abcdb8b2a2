/**
 * The tracer command run for real with this machine's sh and perl, a small script standing in for
 * bpftrace: what the batcher passes on, in how many writes, how soon, and that bpftrace's pid and
 * exit code come through the pipeline.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BATCH_BYTES, BATCH_MS, tracerArgv } from './tracer-command.js';

const dir = mkdtempSync(join(tmpdir(), 'trace-exec-tracer-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Chunk {
  atMs: number;
  bytes: number;
}

/** Runs `sh -c script` as "bpftrace" through the tracer command; collects stdout chunk by chunk. */
async function runTracer(script: string, batch: boolean, opts: { interruptAfterMs?: number; perl?: boolean } = {}) {
  const pidFile = join(dir, `pid-${Math.random().toString(36).slice(2)}`);
  const argv = tracerArgv({ bpftrace: opts.perl ? ['perl', '-e', script] : ['sh', '-c', script], batch }, pidFile);
  const t0 = performance.now();
  // In its own process group when the test interrupts it, as a terminal would.
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], detached: opts.interruptAfterMs !== undefined });
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
  rmSync(pidFile, { force: true });
  return { code, chunks, text: Buffer.concat(out).toString(), stderr, tracerPid, shPid: child.pid };
}

describe('tracer command', () => {
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
    const script = `$| = 1; $SIG{INT} = sub { print "last\\n"; exit 0 }; print "begin\\n"; sleep 1 while 1`;
    const r = await runTracer(script, true, { interruptAfterMs: 500, perl: true });
    expect(r.text).toBe('begin\nlast\n');
    expect(r.code).toBe(0);
    expect(r.tracerPid).not.toBe(r.shPid); // the pid file names bpftrace, not the shell
  });
});
