/**
 * Beyond one node: several nodes in one run, nodes by label, one node failing while the others go on,
 * pod targets (followed across a container restart) and the client-side filters. All debug pods run
 * on this one machine, so every node's bpftrace sees every exec: each exec must come out once, with
 * the node whose pod index knew its pod.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiServer, type ApiServer } from '../apiserver/index.js';
import { TestCgroup, execIn, removeAll, hex32, hex64, kernelDescribe } from '../support/kernel.js';
import { jsonLines, startCli } from '../support/cli.js';
import { expectNothingLeft } from '../support/leftovers.js';
import { addToApi, makeWorkload, removeCgroups, runIn, type Workload } from '../support/workloads.js';

const k = kernelDescribe();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(k.skip)(`many nodes, pod targets, filters${k.reason ? ` (${k.reason})` : ''}`, () => {
  let api: ApiServer;
  const extraCgroups: TestCgroup[] = [];
  const a1 = makeWorkload('systemd-crio-hybrid', 'apps', 'web-a', [{ name: 'web' }, { name: 'log' }], 'worker-1', { app: 'web' });
  const b2 = makeWorkload('systemd-containerd-v2-crun', 'apps', 'web-b', [{ name: 'web' }], 'worker-2', { app: 'web' });
  const db = makeWorkload('cgroupfs-containerd-v1', 'apps', 'db-0', [{ name: 'db' }], 'worker-1', { app: 'db' });
  const workloads: Workload[] = [a1, b2, db];

  beforeAll(async () => {
    if (k.reason) throw new Error(`end-to-end tests must run under CI but cannot: ${k.reason}`);
    api = await startApiServer({ podStartDelayMs: 100 });
    api.addNode('worker-1', { labels: { role: 'w' } });
    api.addNode('worker-2', { labels: { role: 'w' } });
    api.addNode('worker-3', { labels: { role: 'infra' }, ready: false });
    api.addNamespace('apps');
    for (const w of workloads) addToApi(api, w);
  });
  afterAll(async () => {
    await api?.close();
    try {
      removeAll(extraCgroups);
    } finally {
      removeCgroups(workloads);
    }
  });

  /** Runs the CLI until it traces on every node, runs `work`, stops it with Ctrl-C. */
  async function traceWhile(args: string[], work: () => Promise<void>, attached = /tracing execs on/) {
    const cli = startCli([...args, '--kubeconfig', api.kubeconfigPath, '-o', 'json']);
    await cli.waitForStderr(attached, 90_000);
    await work();
    await sleep(1000);
    cli.proc.kill('SIGINT');
    const r = await cli.done();
    await expectNothingLeft(api);
    return { ...r, events: jsonLines(r.stdout) };
  }
  const marker = (events: Record<string, unknown>[], m: string) => events.filter((e) => (e.args as string[])[1] === m);

  it('traces several nodes in one run, each exec once, with the node its pod runs on', async () => {
    const tag = `m-${hex32().slice(0, 8)}`;
    const r = await traceWhile(
      ['node/worker-1', 'node/worker-2', '-n', 'apps'],
      async () => {
        await runIn(a1, 'web', ['/bin/echo', `${tag}-a`]);
        await runIn(b2, 'web', ['/bin/echo', `${tag}-b`]);
      },
      /tracing execs on worker-\d \(2\/2\)/,
    );
    expect(r.code, r.stderr).toBe(0);
    expect(marker(r.events, `${tag}-a`)).toMatchObject([{ node: 'worker-1', pod: 'web-a', container: 'web' }]);
    expect(marker(r.events, `${tag}-b`)).toMatchObject([{ node: 'worker-2', pod: 'web-b', container: 'web' }]);
    expect(api.requests.filter((q) => q.method === 'POST' && /\/pods$/.test(q.path)).length).toBeGreaterThanOrEqual(2);
  });

  it('--node-selector picks nodes by label', async () => {
    const before = api.requests.length;
    const r = await traceWhile(['--node-selector', 'role=w', '-n', 'apps', '-d', '60s'], async () => {}, /\(2\/2\)/);
    expect(r.code, r.stderr).toBe(0);
    const created = api.requests.slice(before).filter((q) => q.method === 'POST' && /\/pods$/.test(q.path));
    expect(created).toHaveLength(2);
    expect(r.stderr).not.toMatch(/worker-3/);
  });

  it('--all-nodes leaves the NotReady node out, one line naming its condition, and exits 0', async () => {
    const before = api.requests.length;
    const r = await traceWhile(['--all-nodes', '-n', 'apps', '-d', '60s'], async () => {}, /\(2\/2\)/);
    expect(r.code, r.stderr).toBe(0);
    const skipped = r.stderr.split('\n').filter((l) => /worker-3/.test(l));
    expect(skipped, r.stderr).toEqual([
      'trace-exec: warning: skipping node worker-3: NotReady (KubeletNotReady: container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady message:Network plugin returns error: cni plugin not initialized); pass --include-not-ready to try it anyway',
    ]);
    const created = api.requests.slice(before).filter((q) => q.method === 'POST' && /\/pods$/.test(q.path));
    expect(created).toHaveLength(2);
  });

  it('--node-selector matching only NotReady nodes: one line naming them and --include-not-ready, nothing created, exit 1', async () => {
    const before = api.requests.length;
    const r = await startCli(['--node-selector', 'role=infra', '--kubeconfig', api.kubeconfigPath]).done();
    expect(r.code).toBe(1);
    expect(r.stderr, r.stderr).toMatch(
      /no node of --node-selector role=infra is Ready: worker-3 NotReady \(KubeletNotReady: .*\)\n.*pass --include-not-ready to try them anyway/,
    );
    expect(api.requests.slice(before).filter((q) => q.method === 'POST')).toEqual([]);
  });

  it('--include-not-ready tries the NotReady node, and gives up on it long before --timeout', async () => {
    const started = Date.now();
    const r = await startCli([
      '--node-selector',
      'role=infra',
      '--include-not-ready',
      '--kubeconfig',
      api.kubeconfigPath,
      '--timeout',
      '20s',
    ]).done();
    const took = Date.now() - started;
    expect(r.code).toBe(1);
    expect(r.stderr, r.stderr).not.toMatch(/skipping node/);
    expect(r.stderr).toMatch(/warning: node worker-3 is NotReady \(KubeletNotReady: /);
    expect(r.stderr).toMatch(
      /node worker-3 is NotReady \(KubeletNotReady: container runtime network not ready: .*\), and its kubelet has not taken up the debug pod \S+ in [5-9]s: giving up on it before --timeout 20s/,
    );
    expect(took).toBeLessThan(15_000);
    await expectNothingLeft(api);
  });

  it('one node failing is reported, the others trace on, and the run exits 1', async () => {
    const tag = `f-${hex32().slice(0, 8)}`;
    const r = await traceWhile(['node/worker-1', 'node/worker-3', '-n', 'apps', '--timeout', '2s'], async () => {
      await sleep(2500); // past worker-3's --timeout
      await runIn(a1, 'web', ['/bin/echo', `${tag}-a`]);
    });
    expect(r.code).toBe(1);
    // worker-3 is NotReady and nothing takes its pod up: given up on after a quarter of --timeout.
    expect(r.stderr).toMatch(
      /error: node worker-3 is NotReady \(KubeletNotReady: .*\), and its kubelet has not taken up .*giving up on it before --timeout 2s.*going on with the other nodes/,
    );
    expect(r.stderr).toMatch(/1 of 2 nodes could not be traced to the end/);
    expect(marker(r.events, `${tag}-a`)).toMatchObject([{ node: 'worker-1', pod: 'web-a' }]);
  });

  it('pod/NAME: only that pod, followed when its container restarts with a new id', async () => {
    const tag = `p-${hex32().slice(0, 8)}`;
    const r = await traceWhile(['pod/web-a', '-n', 'apps'], async () => {
      await runIn(a1, 'web', ['/bin/echo', `${tag}-before`]);
      await runIn(db, 'db', ['/bin/echo', `${tag}-other-pod`]);
      // The container restarts: a new id, a new cgroup, the same pod.
      const id = hex64();
      const cg = new TestCgroup(
        `kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${a1.uid.replaceAll('-', '_')}.slice/crio-${id}.scope`,
        ['v1', 'v2'],
      );
      extraCgroups.push(cg);
      api.updatePod('apps', 'web-a', (p) => {
        const s = p.status!.containerStatuses!.find((c) => c.name === 'web')!;
        s.containerID = `cri-o://${id}`;
        s.restartCount = 1;
      });
      await sleep(300);
      await execIn(cg, ['/bin/echo', `${tag}-after`]);
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/tracing pod\/web-a on worker-1/);
    expect(marker(r.events, `${tag}-before`)).toMatchObject([{ pod: 'web-a', container: 'web' }]);
    expect(marker(r.events, `${tag}-after`)).toMatchObject([{ pod: 'web-a', container: 'web' }]);
    expect(marker(r.events, `${tag}-other-pod`)).toEqual([]);
    expect(new Set(r.events.map((e) => e.pod))).toEqual(new Set(['web-a']));
  });

  it('-l, -c, --comm and --failed filter after the join; --host keeps only host processes', async () => {
    const tag = `l-${hex32().slice(0, 8)}`;
    const work = async () => {
      await runIn(a1, 'web', ['/bin/echo', `${tag}-web`]);
      await runIn(a1, 'log', ['/bin/echo', `${tag}-log`]);
      await runIn(db, 'db', ['/bin/echo', `${tag}-db`]);
      await runIn(a1, 'web', [`/nonexistent-${tag}`]);
      await execIn(null, ['/bin/echo', `${tag}-host`]);
    };
    // (web-a's "web" container was restarted by the test above: its old cgroup is no longer its.)
    const labelled = await traceWhile(['node/worker-1', '-l', 'app=web', '-c', 'log', '--comm', '^echo$'], work);
    expect(labelled.code, labelled.stderr).toBe(0);
    expect(labelled.events.map((e) => (e.args as string[])[1])).toEqual([`${tag}-log`]);

    const failed = await traceWhile(['node/worker-1', '--failed'], work);
    expect(failed.events.length).toBeGreaterThanOrEqual(1);
    expect(failed.events.every((e) => (e.retval as number) < 0)).toBe(true);
    expect(failed.events.some((e) => String(e.filename).endsWith(`nonexistent-${tag}`))).toBe(true);

    const host = await traceWhile(['node/worker-1', '--host'], work);
    expect(host.events.every((e) => e.attribution === 'host')).toBe(true);
    expect(marker(host.events, `${tag}-host`)).toHaveLength(1);
    expect(marker(host.events, `${tag}-web`)).toEqual([]);
  });
});

describe.skipIf(k.skip)(`workload targets${k.reason ? ` (${k.reason})` : ''}`, () => {
  let api: ApiServer;
  const w1 = makeWorkload('systemd-crio-hybrid', 'shop', 'web-5c8d-aaaaa', [{ name: 'web' }], 'worker-1', { app: 'web', tier: 'front' });
  const w2 = makeWorkload('systemd-crio-hybrid', 'shop', 'web-5c8d-bbbbb', [{ name: 'web' }], 'worker-2', { app: 'web', tier: 'front' });
  const other = makeWorkload('systemd-crio-hybrid', 'shop', 'cart-0', [{ name: 'cart' }], 'worker-1', { app: 'cart' });
  const workloads = [w1, w2, other];
  beforeAll(async () => {
    if (k.reason) throw new Error(`end-to-end tests must run under CI but cannot: ${k.reason}`);
    api = await startApiServer({ podStartDelayMs: 100 });
    api.addNode('worker-1');
    api.addNode('worker-2');
    api.addNode('worker-3');
    api.addNamespace('shop');
    for (const w of workloads) addToApi(api, w);
    api.addWorkload({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { namespace: 'shop', name: 'web' },
      spec: {
        selector: { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['front'] }] },
        template: { metadata: { labels: { app: 'web', tier: 'front' } }, spec: { containers: [{ name: 'web', image: 'busybox' }] } },
      },
    });
  });
  afterAll(async () => {
    await api?.close();
    removeCgroups(workloads);
  });

  it('deploy/NAME traces the nodes its pods run on, and only its pods', async () => {
    const tag = `d-${hex32().slice(0, 8)}`;
    const before = api.requests.length;
    const cli = startCli(['deploy/web', '-n', 'shop', '--kubeconfig', api.kubeconfigPath, '-o', 'json']);
    await cli.waitForStderr(/tracing execs on worker-\d \(2\/2\)/, 90_000);
    await runIn(w1, 'web', ['/bin/echo', `${tag}-1`]);
    await runIn(w2, 'web', ['/bin/echo', `${tag}-2`]);
    await runIn(other, 'cart', ['/bin/echo', `${tag}-cart`]);
    await sleep(1000);
    cli.proc.kill('SIGINT');
    const r = await cli.done();
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/tracing deploy\/web on worker-1, worker-2/);
    const events = jsonLines(r.stdout);
    const byMarker = (m: string) => events.filter((e) => (e.args as string[])[1] === m);
    expect(byMarker(`${tag}-1`)).toMatchObject([{ node: 'worker-1', pod: 'web-5c8d-aaaaa' }]);
    expect(byMarker(`${tag}-2`)).toMatchObject([{ node: 'worker-2', pod: 'web-5c8d-bbbbb' }]);
    expect(byMarker(`${tag}-cart`)).toEqual([]);
    // worker-3 runs none of its pods: no debug pod there.
    const created = api.requests.slice(before).filter((q) => q.method === 'POST' && /\/pods$/.test(q.path));
    expect(created).toHaveLength(2);
    await expectNothingLeft(api);
  });

  it('a workload that does not exist is an error before anything is created', async () => {
    const r = await startCli(['sts/nope', '-n', 'shop', '--kubeconfig', api.kubeconfigPath]).done();
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/statefulset "nope" not found in namespace shop/);
  });
});

describe.skipIf(k.skip)(`host services, runtime helpers, --all-nodes${k.reason ? ` (${k.reason})` : ''}`, () => {
  let api: ApiServer;
  const pod = makeWorkload('systemd-crio-hybrid', 'apps', 'api-0', [{ name: 'api' }]);
  const cgroups: TestCgroup[] = [];
  beforeAll(async () => {
    if (k.reason) throw new Error(`end-to-end tests must run under CI but cannot: ${k.reason}`);
    api = await startApiServer({ podStartDelayMs: 100 });
    api.addNode('worker-1');
    api.addNode('worker-2');
    addToApi(api, pod);
  });
  afterAll(async () => {
    await api?.close();
    try {
      removeAll(cgroups);
    } finally {
      removeCgroups([pod]);
    }
  });

  it('--all-nodes traces every node; a host service shows its unit; a conmon exec is its pod’s, in no container', async () => {
    const tag = `h-${hex32().slice(0, 8)}`;
    const before = api.requests.length;
    const unit = `trace-exec-test-${hex32().slice(0, 6)}.service`;
    const service = new TestCgroup(`system.slice/${unit}`, ['v1', 'v2']);
    cgroups.push(service);
    const conmon = new TestCgroup(
      `kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${pod.uid.replaceAll('-', '_')}.slice/crio-conmon-${hex64()}.scope`,
      ['v1', 'v2'],
    );
    cgroups.push(conmon);
    const cli = startCli(['--all-nodes', '--kubeconfig', api.kubeconfigPath, '-o', 'json']);
    await cli.waitForStderr(/tracing execs on worker-\d \(2\/2\)/, 90_000);
    await execIn(service, ['/bin/echo', `${tag}-service`]);
    await execIn(conmon, ['/bin/echo', `${tag}-conmon`]);
    await new Promise((r) => setTimeout(r, 1000));
    cli.proc.kill('SIGINT');
    const r = await cli.done();
    expect(r.code, r.stderr).toBe(0);
    expect(api.requests.slice(before).filter((q) => q.method === 'POST' && /\/pods$/.test(q.path))).toHaveLength(2);
    const events = jsonLines(r.stdout).filter((e) => e.node === 'worker-1');
    const byMarker = (m: string) => events.filter((e) => (e.args as string[])[1] === m);
    expect(byMarker(`${tag}-service`)).toMatchObject([{ attribution: 'host', unit, namespace: null, pod: null }]);
    expect(byMarker(`${tag}-conmon`)).toMatchObject([
      { attribution: 'pod', namespace: 'apps', pod: 'api-0', container: null, helper: 'conmon' },
    ]);
    await expectNothingLeft(api);
  });
});
