/**
 * The whole path, for real: the built CLI → the API stand-in (REST, watch, exec WebSocket) → its
 * "kubelet" running bpftrace on this machine → the kernel → back, joined with pod records.
 * Workloads are processes the test places in kubelet-shaped cgroups, with matching pods in the API.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiServer, type ApiServer } from '../apiserver/index.js';
import { execIn, hex32, kernelDescribe } from '../support/kernel.js';
import { jsonLines, startCli } from '../support/cli.js';
import { expectNothingLeft } from '../support/leftovers.js';
import { addToApi, makeWorkload, removeCgroups, runIn, type Workload } from '../support/workloads.js';

const k = kernelDescribe();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(k.skip)(`node/NAME end to end against the API stand-in${k.reason ? ` (${k.reason})` : ''}`, () => {
  let api: ApiServer;
  const workloads: Workload[] = [];
  const tag = `e2e-${hex32().slice(0, 10)}`;
  let events: Record<string, unknown>[] = [];
  let stderr = '';
  // The marker exec itself (argv[1]), not the shell that launched it with the marker among its args.
  const byTag = (t: string) => events.filter((e) => (e.args as string[])[1] === `${tag}-${t}`);

  const crio = makeWorkload('systemd-crio-hybrid', 'payments', 'api-7d9c6b5f4-x2kqp', [{ name: 'api' }, { name: 'sidecar' }]);
  const cgfs = makeWorkload('cgroupfs-containerd-v1', 'shop', 'cart-0', [{ name: 'migrate', init: true }, { name: 'cart' }]);
  const v2 = makeWorkload('systemd-containerd-v2-crun', 'shop', 'web-5c8d', [{ name: 'web' }]);
  const stat = makeWorkload('static-kind-prefix', 'kube-system', 'etcd-worker-1', [{ name: 'etcd' }]);
  const late = makeWorkload('systemd-crio-hybrid', 'payments', 'job-created-mid-trace', [{ name: 'job' }]);
  const doomed = makeWorkload('systemd-crio-hybrid', 'payments', 'pod-deleted-mid-trace', [{ name: 'main' }]);
  const ghost = makeWorkload('systemd-crio-hybrid', 'payments', 'never-in-the-api', [{ name: 'x' }]);

  beforeAll(async () => {
    if (k.reason) throw new Error(`end-to-end tests must run under CI but cannot: ${k.reason}`);
    workloads.push(crio, cgfs, v2, stat, late, doomed, ghost);
    api = await startApiServer({ podStartDelayMs: 200 });
    api.addNode('worker-1');
    api.addNode('worker-2');
    for (const ns of ['payments', 'shop', 'kube-system']) api.addNamespace(ns);
    for (const w of [crio, cgfs, v2, stat, doomed]) addToApi(api, w);

    const cli = startCli(['node/worker-1', '--kubeconfig', api.kubeconfigPath, '-o', 'json', '-d', '90s']);
    await cli.waitForStderr(/tracing execs on worker-1/, 60_000);

    await runIn(crio, 'api', ['/bin/echo', `${tag}-crio-api`, 'with space', '', 'grüße ✓']);
    await runIn(crio, 'sidecar', ['/bin/echo', `${tag}-crio-sidecar`]);
    await runIn(cgfs, 'migrate', ['/bin/echo', `${tag}-init`]);
    await runIn(cgfs, 'cart', ['/bin/echo', `${tag}-cgfs`]);
    await runIn(v2, 'web', ['/bin/echo', `${tag}-v2`]);
    await runIn(stat, 'etcd', ['/bin/echo', `${tag}-static`]);
    await runIn(crio, 'api', ['/bin/echo', `${tag}-long`, ...Array.from({ length: 40 }, (_, i) => `a${i}`)]);
    await execIn(null, ['/bin/echo', `${tag}-host`]);
    // A pod whose first exec happens before the kubelet reports it: the record comes 500 ms later.
    await runIn(late, 'job', ['/bin/echo', `${tag}-late`]);
    await sleep(500);
    addToApi(api, late);
    // A pod deleted right after its exec still resolves (tombstone).
    await runIn(doomed, 'main', ['/bin/echo', `${tag}-doomed`]);
    api.deletePodRecord(doomed.namespace, doomed.name);
    // A pod cgroup no API record ever matches.
    await runIn(ghost, 'x', ['/bin/echo', `${tag}-ghost`]);

    await sleep(3000); // past the join's grace for the ghost
    cli.proc.kill('SIGINT');
    const r = await cli.done();
    stderr = r.stderr;
    expect(r.code, r.stderr).toBe(0);
    events = jsonLines(r.stdout);
  }, 180_000);

  afterAll(async () => {
    await api?.close();
    removeCgroups(workloads);
  });

  it.each([
    ['systemd driver, CRI-O, hybrid', 'crio-api', 'payments', 'api-7d9c6b5f4-x2kqp', 'api', () => crio.containers[0]!.id],
    ['a second container of the same pod', 'crio-sidecar', 'payments', 'api-7d9c6b5f4-x2kqp', 'sidecar', () => crio.containers[1]!.id],
    ['cgroupfs driver, containerd, v1 only', 'cgfs', 'shop', 'cart-0', 'cart', () => cgfs.containers[1]!.id],
    ['an init container', 'init', 'shop', 'cart-0', 'migrate', () => cgfs.containers[0]!.id],
    ['containerd on cgroup v2 with crun /container', 'v2', 'shop', 'web-5c8d', 'web', () => v2.containers[0]!.id],
    [
      'a static pod under a kubelet cgroup-root prefix (mirror pod)',
      'static',
      'kube-system',
      'etcd-worker-1',
      'etcd',
      () => stat.containers[0]!.id,
    ],
    ['a pod created during the trace', 'late', 'payments', 'job-created-mid-trace', 'job', () => late.containers[0]!.id],
    ['a pod deleted during the trace', 'doomed', 'payments', 'pod-deleted-mid-trace', 'main', () => doomed.containers[0]!.id],
  ])('%s', (_name, t, namespace, pod, container, id) => {
    const hits = byTag(t);
    expect(hits, stderr).toHaveLength(1);
    expect(hits[0]).toMatchObject({
      node: 'worker-1',
      namespace,
      pod,
      container,
      containerId: id(),
      attribution: 'pod',
      retval: 0,
      comm: 'echo',
    });
  });

  it('keeps argv exact: spaces, empty arguments, UTF-8', () => {
    expect(byTag('crio-api')[0]!.args).toEqual(['/bin/echo', `${tag}-crio-api`, 'with space', '', 'grüße ✓']);
  });

  it('marks long argv as truncated', () => {
    const e = byTag('long')[0]!;
    expect((e.args as string[]).length).toBe(32);
    expect(e.argsTruncated).toBe(true);
  });

  it('shows host processes as host', () => {
    expect(byTag('host')[0]).toMatchObject({ attribution: 'host', namespace: null, pod: null, container: null });
  });

  it('reports a pod cgroup without a pod record as unattributed, and counts it', () => {
    expect(byTag('ghost')[0]).toMatchObject({ attribution: 'unattributed', namespace: null, podUid: ghost.uid });
    const totals = stderr.split('\n').find((l) => l.startsWith('{"kind":"trace-exec.totals"'));
    expect(JSON.parse(totals!)).toMatchObject({ reason: 'SIGINT', lost: 0 });
    expect(JSON.parse(totals!).unattributed).toBeGreaterThanOrEqual(1);
  });

  it('created the debug pod as designed and removed everything', async () => {
    const created = api.requests.filter((r) => r.method === 'POST' && /\/pods$/.test(r.path));
    expect(created.length).toBe(1);
    await expectNothingLeft(api);
  });
});
