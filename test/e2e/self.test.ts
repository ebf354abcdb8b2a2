/**
 * No noise from the tool itself: the debug pod's own execs (the probe, staging the program,
 * stopping bpftrace, and here a marker the test runs in it) are left out by default and counted as
 * "self" in the totals; --include-self shows them. The stand-in's kubelet puts the debug pod's exec
 * processes in kubelet-shaped cgroups (containerCgroup), so bpftrace sees them as that pod's, as on
 * a real node.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiServer, type ApiServer } from '../apiserver/index.js';
import { TestCgroup, hex32, kernelDescribe, removeAll } from '../support/kernel.js';
import { jsonLines, startCli } from '../support/cli.js';
import { expectNothingLeft } from '../support/leftovers.js';
import { addToApi, makeWorkload, removeCgroups, runIn } from '../support/workloads.js';

const k = kernelDescribe();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(k.skip)(`trace-exec's own execs${k.reason ? ` (${k.reason})` : ''}`, () => {
  let api: ApiServer;
  const debugCgroups: TestCgroup[] = [];
  const app = makeWorkload('systemd-containerd-v2-crun', 'shop', 'cart-0', [{ name: 'cart' }]);

  beforeAll(async () => {
    if (k.reason) throw new Error(`end-to-end tests must run under CI but cannot: ${k.reason}`);
    api = await startApiServer({
      podStartDelayMs: 100,
      containerCgroup: (uid, id) => {
        const cg = new TestCgroup(
          `kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod${uid.replaceAll('-', '_')}.slice/cri-containerd-${id}.scope`,
          ['v1', 'v2'],
        );
        debugCgroups.push(cg);
        return cg.dirs;
      },
    });
    api.addNode('worker-1');
    api.addNamespace('shop');
    addToApi(api, app);
  });

  afterAll(async () => {
    await api?.close();
    removeAll(debugCgroups);
    removeCgroups([app]);
  });

  /** Traces while the app and the debug pod each exec a marker; returns the events and the totals. */
  async function trace(extra: string[], tag: string) {
    const cli = startCli(['node/worker-1', '--kubeconfig', api.kubeconfigPath, '-o', 'json', '-d', '60s', ...extra]);
    await cli.waitForStderr(/tracing execs on worker-1/, 60_000);
    const pod = api.listPods().find((p) => p.metadata?.labels?.['app.kubernetes.io/name'] === 'trace-exec')!;
    expect(await api.execInPod(pod.metadata.namespace!, pod.metadata.name!, 'trace-exec', ['/bin/echo', `${tag}-self`])).toBe(0);
    await runIn(app, 'cart', ['/bin/echo', `${tag}-app`]);
    await sleep(1000);
    cli.proc.kill('SIGINT');
    const r = await cli.done();
    expect(r.code, r.stderr).toBe(0);
    await expectNothingLeft(api);
    const totals = JSON.parse(r.stderr.split('\n').find((l) => l.startsWith('{"kind":"trace-exec.totals"'))!) as Record<string, number>;
    return { events: jsonLines(r.stdout), totals, stderr: r.stderr, debugPod: pod.metadata.name! };
  }

  it('left out by default, counted as self', async () => {
    const tag = `self-${hex32().slice(0, 8)}`;
    const { events, totals, stderr, debugPod } = await trace([], tag);
    expect(events.find((e) => (e.args as string[])[1] === `${tag}-app`)).toMatchObject({ namespace: 'shop', pod: 'cart-0' });
    expect(events.filter((e) => e.pod === debugPod)).toEqual([]);
    expect(events.find((e) => (e.args as string[])[1] === `${tag}-self`)).toBeUndefined();
    expect(totals.self).toBeGreaterThanOrEqual(1);
    expect(totals.events).toBeGreaterThanOrEqual(totals.shown! + totals.self!);
    expect(stderr).toMatch(new RegExp(`, ${totals.self} self\\n`));
  }, 120_000);

  it('--include-self shows them, attributed to the debug pod', async () => {
    const tag = `self-${hex32().slice(0, 8)}`;
    const { events, totals, debugPod } = await trace(['--include-self'], tag);
    const own = events.find((e) => (e.args as string[])[1] === `${tag}-self`);
    expect(own).toMatchObject({ pod: debugPod, container: 'trace-exec', attribution: 'pod' });
    expect(String(own!.namespace)).toMatch(/^trace-exec-/);
    expect(events.find((e) => (e.args as string[])[1] === `${tag}-app`)).toMatchObject({ pod: 'cart-0' });
    expect(totals.self).toBeGreaterThanOrEqual(1);
  }, 120_000);
});
