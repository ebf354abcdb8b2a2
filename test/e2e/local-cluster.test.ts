/**
 * A CI runner that hosts a nested cluster (kind): the runner's kernel sees every node's execs, below
 * each node container's cgroup. `--local --kubeconfig F` traces this machine with no debug pod and
 * names each exec's namespace / pod / container from the cluster's pods, with the node the pod runs
 * on. Real bpftrace, real cgroups shaped like kind's, the API stand-in as the nested cluster's API.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiServer, type ApiServer } from '../apiserver/index.js';
import { hex32, kernelDescribe } from '../support/kernel.js';
import { jsonLines, startCli } from '../support/cli.js';
import { addToApi, makeWorkload, nodeContainerId, removeCgroups, runIn, type Workload } from '../support/workloads.js';

const k = kernelDescribe();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(k.skip)(`--local with a nested cluster's kubeconfig${k.reason ? ` (${k.reason})` : ''}`, () => {
  let api: ApiServer;
  const web = makeWorkload('kind-node', 'shop', 'web-0', [{ name: 'web' }, { name: 'proxy' }], 'kind-worker');
  const dns = makeWorkload('kind-node', 'kube-system', 'coredns-1', [{ name: 'coredns' }], 'kind-control-plane');
  const workloads: Workload[] = [web, dns];

  beforeAll(async () => {
    if (k.reason) throw new Error(`end-to-end tests must run under CI but cannot: ${k.reason}`);
    api = await startApiServer({ podStartDelayMs: 100 });
    api.addNode('kind-control-plane');
    api.addNode('kind-worker');
    api.addNamespace('shop');
    for (const w of workloads) addToApi(api, w);
  });
  afterAll(async () => {
    await api?.close();
    removeCgroups(workloads);
  });

  /** --local with the stand-in's kubeconfig while `work` runs; stopped with Ctrl-C. */
  async function traceWhile(extra: string[], work: () => Promise<void>): Promise<Record<string, unknown>[]> {
    const cli = startCli(['--local', '--kubeconfig', api.kubeconfigPath, '-o', 'json', '-d', '60s', ...extra]);
    await cli.waitForStderr(/tracing execs on/, 60_000);
    await work();
    await sleep(1000);
    cli.proc.kill('SIGINT');
    const r = await cli.done();
    expect(r.code, r.stderr).toBe(0);
    return jsonLines(r.stdout);
  }

  it('names the pods of every nested node, each exec with the node its pod runs on; no debug pod', async () => {
    const tag = `lc-${hex32().slice(0, 8)}`;
    const events = await traceWhile([], async () => {
      await runIn(web, 'web', ['/bin/echo', `${tag}-web`]);
      await runIn(web, 'proxy', ['/bin/echo', `${tag}-proxy`]);
      await runIn(dns, 'coredns', ['/bin/echo', `${tag}-dns`]);
    });
    const by = (m: string) => events.filter((e) => (e.args as string[])[1] === m);
    expect(by(`${tag}-web`)).toMatchObject([
      { node: 'kind-worker', namespace: 'shop', pod: 'web-0', container: 'web', containerId: web.containers[0]!.id, attribution: 'pod' },
    ]);
    expect(by(`${tag}-proxy`)).toMatchObject([{ node: 'kind-worker', namespace: 'shop', pod: 'web-0', container: 'proxy' }]);
    expect(by(`${tag}-dns`)).toMatchObject([
      { node: 'kind-control-plane', namespace: 'kube-system', pod: 'coredns-1', container: 'coredns' },
    ]);
    // The path the attribution came from is the host's, below the node container's scope.
    expect(by(`${tag}-web`)[0]!.cgroup).toContain(`docker-${nodeContainerId('kind-worker')}.scope/kubelet.slice/`);
    // Nothing was created on the cluster: only reads (the pod list and watch).
    expect(api.requests.filter((q) => q.method !== 'GET')).toEqual([]);
    expect(api.requests.some((q) => q.method === 'GET' && q.path === '/api/v1/pods')).toBe(true);
  });

  it("-n filters by the nested pods' namespaces; host processes and other pods are left out", async () => {
    const tag = `ln-${hex32().slice(0, 8)}`;
    const events = await traceWhile(['-n', 'shop'], async () => {
      await runIn(web, 'web', ['/bin/echo', `${tag}-web`]);
      await runIn(dns, 'coredns', ['/bin/echo', `${tag}-dns`]);
    });
    expect(events.length).toBeGreaterThan(0);
    expect(events.every((e) => e.namespace === 'shop')).toBe(true);
    expect(events.filter((e) => (e.args as string[])[1] === `${tag}-web`)).toHaveLength(1);
  });
});
