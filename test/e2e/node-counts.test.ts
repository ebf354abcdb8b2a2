/**
 * Counting on the node (-o summary, issue 25) against per-exec mode, with real bpftrace: two runs
 * trace the same workload at the same time — one lets the node count, the other needs every exec
 * (--summary-format markdown lists failed execs) — and their summary rows for the workload's pods
 * must be the same but for FIRST and LAST (each run's clock reference is its own bpftrace's).
 * Through the API stand-in, and with --local (pods without records: rows by pod uid).
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiServer, type ApiServer } from '../apiserver/index.js';
import { hex32, kernelDescribe } from '../support/kernel.js';
import { startCli, type CliRun } from '../support/cli.js';
import { expectNothingLeft } from '../support/leftovers.js';
import { removeTempDirs, tempDir } from '../support/tmp.js';
import { addToApi, makeWorkload, removeCgroups, runIn, type Workload } from '../support/workloads.js';

const k = kernelDescribe();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The summary rows that mention one of `names`, cells trimmed, FIRST and LAST left out. */
function rows(stdout: string, names: string[]): string[][] {
  return stdout
    .split('\n')
    .filter((l) => names.some((n) => l.includes(n)))
    .map((l) =>
      l
        .split('│')
        .map((c) => c.trim())
        .filter((_c, i, all) => i > 0 && i < all.length - 1),
    )
    .map((cells) => [...cells.slice(0, 6), ...cells.slice(8)])
    .sort((a, b) => a.join(' ').localeCompare(b.join(' ')));
}

describe.skipIf(k.skip)(`counting on the node${k.reason ? ` (${k.reason})` : ''}`, () => {
  let api: ApiServer;
  const pay = makeWorkload('systemd-crio-hybrid', 'payments', 'api-0', [{ name: 'api' }]);
  const shop = makeWorkload('systemd-containerd-v2-crun', 'shop', 'cart-0', [{ name: 'cart' }, { name: 'side' }]);
  const workloads: Workload[] = [pay, shop];
  const runs: CliRun[] = [];

  beforeAll(async () => {
    if (k.reason) throw new Error(`end-to-end tests must run under CI but cannot: ${k.reason}`);
    api = await startApiServer({ podStartDelayMs: 100 });
    api.addNode('worker-1');
    api.addNamespace('payments');
    api.addNamespace('shop');
    for (const w of workloads) addToApi(api, w);
  });

  afterAll(async () => {
    for (const r of runs) if (r.proc.exitCode === null) r.proc.kill('SIGKILL');
    await api?.close();
    removeCgroups(workloads);
    removeTempDirs();
  });

  /** Execs of every kind the summary counts: plain, failed, PATH searches that found their program or not. */
  async function workload(tag: string): Promise<void> {
    for (let i = 0; i < 20; i++) await runIn(pay, 'api', ['/bin/true', tag, String(i % 3)]);
    for (let i = 0; i < 5; i++) await runIn(shop, 'cart', [`/nonexistent-${tag}`]);
    // env looks its command up in PATH with execvp, which tries each directory: failed attempts, then
    // the exec (ls), or only failed attempts (nope).
    for (let i = 0; i < 5; i++) {
      await runIn(shop, 'cart', ['/usr/bin/env', 'ls', '/']);
      await runIn(shop, 'cart', ['/usr/bin/env', `nope-${tag}`]);
    }
    await runIn(shop, 'side', ['/bin/echo', tag, 'grüße ✓', 'with space']);
  }

  /** Runs the two modes side by side over the workload; returns both outputs. */
  async function both(
    args: string[],
    markdown: string,
  ): Promise<{ counted: string; perExec: string; countedErr: string; perExecErr: string }> {
    const tag = `nc-${hex32().slice(0, 8)}`;
    const counted = startCli([...args, '-o', 'summary', '-v']);
    const perExec = startCli([...args, '-o', 'summary', '--summary-to', markdown, '--summary-format', 'markdown', '-v']);
    runs.push(counted, perExec);
    await counted.waitForStderr(/tracing execs on/, 60_000);
    await perExec.waitForStderr(/tracing execs on/, 60_000);
    await workload(tag);
    await sleep(1500);
    counted.proc.kill('SIGINT');
    perExec.proc.kill('SIGINT');
    const [c, p] = [await counted.done(), await perExec.done()];
    expect(c.code, c.stderr).toBe(0);
    expect(p.code, p.stderr).toBe(0);
    return { counted: c.stdout, perExec: p.stdout, countedErr: c.stderr, perExecErr: p.stderr };
  }

  it('through the API stand-in: the same rows as per exec', async () => {
    const dir = tempDir('trace-exec-node-counts-');
    const r = await both(['node/worker-1', '--kubeconfig', api.kubeconfigPath, '-n', 'payments,shop'], join(dir, 'summary.md'));
    expect(r.countedErr).toMatch(/worker-1: the node counts execs/);
    expect(r.perExecErr).toMatch(/--summary-format markdown needs every exec/);
    expect(r.perExecErr).not.toMatch(/the node counts execs/);
    const counted = rows(r.counted, ['api-0', 'cart-0']);
    expect(counted).toEqual(rows(r.perExec, ['api-0', 'cart-0']));
    // NAMESPACE POD CONTAINER EXECS COMMANDS FAILED TOP: the folded PATH searches count once.
    expect(counted).toContainEqual(['payments', 'api-0', 'api', '20', '1', '0', 'true×20']);
    // cart: /nonexistent ×5 (failed, by sh), env ×10, ls ×5, nope ×5 (failed, by env: each search once).
    expect(counted).toContainEqual(['shop', 'cart-0', 'cart', '25', '3', '10', 'env×15 ls×5 sh×5']);
    expect(counted).toContainEqual(['shop', 'cart-0', 'side', '1', '1', '0', 'echo×1']);
    await expectNothingLeft(api);
  }, 180_000);

  it('--local: the same rows as per exec (pods by uid: no cluster)', async () => {
    const dir = tempDir('trace-exec-node-counts-');
    const r = await both(['--local'], join(dir, 'summary.md'));
    expect(r.countedErr).toMatch(/the node counts execs/);
    const uids = [pay.cgroupUid, shop.cgroupUid].map((u) => `pod-uid:${u.slice(0, 8)}`);
    const counted = rows(r.counted, uids);
    expect(counted.length).toBe(2);
    expect(counted).toEqual(rows(r.perExec, uids));
  }, 180_000);
});
