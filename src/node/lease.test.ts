/** The debug pod's main process run for real with this machine's sh: it lives while the lease is renewed, and not longer. */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { leaseFromEnv, leaseTiming, podMainCommand } from './lease.js';

const dir = mkdtempSync(join(tmpdir(), 'trace-exec-lease-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('lease timing', () => {
  it.each([
    [90, { limitS: 90, periodS: 10, heartbeatMs: 5000 }],
    [6, { limitS: 6, periodS: 2, heartbeatMs: 1000 }],
    [30, { limitS: 30, periodS: 4, heartbeatMs: 2000 }],
    [1, { limitS: 3, periodS: 2, heartbeatMs: 1000 }],
  ])('%i s', (limit, want) => {
    expect(leaseTiming(limit)).toEqual(want);
  });
  it('two heartbeats per period, so that one lands in a later second than the look before', () => {
    for (const s of [3, 6, 20, 60, 90, 300]) {
      const t = leaseTiming(s);
      expect(t.heartbeatMs * 2).toBeLessThanOrEqual(t.periodS * 1000);
    }
  });
  it('the hidden knob TRACE_EXEC_LEASE_S, whole seconds ≥ 3; the default otherwise', () => {
    expect(leaseFromEnv({ TRACE_EXEC_LEASE_S: '6' }).limitS).toBe(6);
    expect(leaseFromEnv({ TRACE_EXEC_LEASE_S: '1' }).limitS).toBe(90);
    expect(leaseFromEnv({ TRACE_EXEC_LEASE_S: 'x' }).limitS).toBe(90);
    expect(leaseFromEnv({}).limitS).toBe(90);
  });
});

function runMain(file: string, limitS: number): { exited: Promise<{ code: number | null; atMs: number; out: string }>; kill(): void } {
  const argv = podMainCommand(file, leaseTiming(limitS));
  const t0 = Date.now();
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  return {
    exited: new Promise((r) => child.once('close', (code) => r({ code, atMs: Date.now() - t0, out }))),
    kill: () => child.kill('SIGKILL'),
  };
}

describe("the debug pod's main process", () => {
  it('exits 0 between limit and limit + period after the lease was last renewed, and removes its files', async () => {
    const lease = join(dir, 'a.lease');
    const r = await runMain(lease, 4).exited; // period 2
    expect(r.code).toBe(0);
    expect(r.atMs).toBeGreaterThanOrEqual(4000);
    expect(r.atMs).toBeLessThan(4000 + 2000 + 1500);
    expect(r.out).toMatch(/no heartbeat from the client for 4s/);
    expect(existsSync(lease)).toBe(false);
    expect(existsSync(`${lease}.mark`)).toBe(false);
  }, 15_000);

  it('keeps running while the lease is renewed', async () => {
    const lease = join(dir, 'b.lease');
    const m = runMain(lease, 4);
    let done = false;
    void m.exited.then(() => (done = true));
    const renew = setInterval(() => {
      try {
        const now = new Date();
        utimesSync(lease, now, now);
      } catch {
        writeFileSync(lease, '');
      }
    }, 1000);
    await new Promise((r) => setTimeout(r, 8000));
    clearInterval(renew);
    expect(done).toBe(false);
    // …and ends once the renewals stop.
    const r = await m.exited;
    expect(r.code).toBe(0);
  }, 20_000);
});
