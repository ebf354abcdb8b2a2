/**
 * Output modes and the -n filter, end to end through the API stand-in with real bpftrace: what a
 * user sees on stdout in each mode, and that every run leaves nothing behind.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiServer, type ApiServer } from '../apiserver/index.js';
import { execIn, hex32, kernelDescribe } from '../support/kernel.js';
import { jsonLines, startCli } from '../support/cli.js';
import { expectNothingLeft } from '../support/leftovers.js';
import { addToApi, makeWorkload, removeCgroups, runIn, type Workload } from '../support/workloads.js';

const k = kernelDescribe();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(k.skip)(`output modes and -n${k.reason ? ` (${k.reason})` : ''}`, () => {
  let api: ApiServer;
  const pay = makeWorkload('systemd-crio-hybrid', 'payments', 'api-0', [{ name: 'api' }]);
  const shop = makeWorkload('systemd-containerd-v2-crun', 'shop', 'cart-0', [{ name: 'cart' }]);
  const workloads: Workload[] = [pay, shop];

  /** Runs the CLI while the workloads exec their markers, stops it with Ctrl-C, returns what it printed. */
  async function traceWhile(args: string[], tag: string) {
    const cli = startCli(['node/worker-1', '--kubeconfig', api.kubeconfigPath, ...args]);
    await cli.waitForStderr(/tracing execs on worker-1/, 60_000);
    await runIn(pay, 'api', ['/bin/echo', `${tag}-pay`, 'with space']);
    await runIn(shop, 'cart', ['/bin/echo', `${tag}-shop`]);
    await runIn(shop, 'cart', ['/bin/sh', '-c', 'exit 0', `${tag}-shop-sh`]);
    await execIn(null, ['/bin/echo', `${tag}-host`]);
    await runIn(shop, 'cart', [`/nonexistent-${tag}`]);
    await sleep(1000);
    cli.proc.kill('SIGINT');
    const r = await cli.done();
    expect(r.code, r.stderr).toBe(0);
    await expectNothingLeft(api);
    return r;
  }

  beforeAll(async () => {
    if (k.reason) throw new Error(`end-to-end tests must run under CI but cannot: ${k.reason}`);
    api = await startApiServer({ podStartDelayMs: 100 });
    api.addNode('worker-1');
    api.addNamespace('payments');
    api.addNamespace('shop');
    for (const w of workloads) addToApi(api, w);
  });

  afterAll(async () => {
    await api?.close();
    removeCgroups(workloads);
  });

  it('-n keeps only the namespaces asked for (no host processes, no other namespaces)', async () => {
    const tag = `n-${hex32().slice(0, 8)}`;
    const r = await traceWhile(['-n', 'shop', '-o', 'json', '-d', '60s'], tag);
    const events = jsonLines(r.stdout);
    expect(events.length).toBeGreaterThanOrEqual(3);
    expect(new Set(events.map((e) => e.namespace))).toEqual(new Set(['shop']));
    expect(events.find((e) => (e.args as string[])[1] === `${tag}-shop`)).toMatchObject({ pod: 'cart-0', container: 'cart' });
    expect(events.find((e) => String(e.filename).endsWith(`nonexistent-${tag}`))).toMatchObject({ retval: -2, pod: 'cart-0' });
  });

  it('-n takes comma lists and repeats; a namespace that does not exist is a warning', async () => {
    const tag = `nn-${hex32().slice(0, 8)}`;
    const r = await traceWhile(['-n', 'shop,nope', '-n', 'payments', '-o', 'json'], tag);
    expect(r.stderr).toMatch(/warning: namespace "nope" does not exist/);
    const markers = jsonLines(r.stdout).map((e) => (e.args as string[])[1]);
    expect(markers).toContain(`${tag}-pay`);
    expect(markers).toContain(`${tag}-shop`);
    expect(markers).not.toContain(`${tag}-host`);
  });

  it('-o table: a header, then one aligned row per exec, ARGS uncut when piped', async () => {
    const tag = `t-${hex32().slice(0, 8)}`;
    const r = await traceWhile(['-n', 'payments,shop'], tag);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^TIME\s+NAMESPACE\s+POD\s+CONTAINER\s+PID\s+PPID\s+COMM\s+RET\s+ARGS$/);
    const row = lines.find((l) => l.includes(`${tag}-pay`))!;
    expect(row).toMatch(
      new RegExp(
        `^\\d\\d:\\d\\d:\\d\\d\\.\\d{3}\\s+payments\\s+api-0\\s+api\\s+\\d+\\s+\\d+\\s+echo\\s+0\\s+/bin/echo ${tag}-pay 'with space'$`,
      ),
    );
    expect(lines.slice(1).every((l) => /^\d\d:\d\d:\d\d\.\d{3} /.test(l))).toBe(true);
    expect(r.stderr).toMatch(/creating debug pod/);
  });

  it('-o wide adds CWD EXE NODE UID CONTAINER-ID DRIFT; RET names the error', async () => {
    const tag = `w-${hex32().slice(0, 8)}`;
    const r = await traceWhile(['-n', 'shop', '-o', 'wide'], tag);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(
      /^TIME\s+NAMESPACE\s+POD\s+CONTAINER\s+PID\s+PPID\s+COMM\s+CWD\s+EXE\s+NODE\s+UID\s+RET\s+CONTAINER-ID\s+DRIFT\s+ARGS$/,
    );
    const failed = lines.find((l) => l.includes(`nonexistent-${tag}`))!;
    // A failed exec ran no file: DRIFT is not known (-).
    expect(failed).toMatch(new RegExp(`\\sworker-1\\s+0\\s+ENOENT\\s+${shop.containers[0]!.id.slice(0, 13)}\\s+-\\s`));
  });

  it('-o summary: one row per namespace/pod/container with counts, at the end only', async () => {
    const tag = `s-${hex32().slice(0, 8)}`;
    const r = await traceWhile(['-n', 'payments,shop', '-o', 'summary'], tag);
    const out = r.stdout;
    expect(out).toMatch(/NAMESPACE\s*│?\s*POD/);
    const cart = out.split('\n').find((l) => l.includes('cart-0'))!;
    // execs: echo, sh, the failed exec (and nothing else of ours) → 3 execs, 1 failed
    expect(cart.replace(/[│|]/g, ' ')).toMatch(/shop\s+cart-0\s+cart\s+3\s+\d+\s+1\s/);
    expect(out).toMatch(/payments\s*[│|]?\s*api-0/);
  });
});
