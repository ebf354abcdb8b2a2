/**
 * FleetPods against the API stand-in (real HTTP, the real client library): one list + watch of the
 * cluster's pods serves several nodes, each node's view seeing only its own pods — across a pod
 * deleted and created again under the same name on another node, a resumed watch and a re-list
 * after 410 Gone.
 */
import { KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import { startApiServer, type ApiServer } from '../../test/apiserver/index.js';
import type { Log } from '../log.js';
import { FLEET_WATCH_ABOVE, FleetPods, sharesOneWatch, type NodePods } from './fleet-pods.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('sharesOneWatch', () => {
  it.each([
    ['all-nodes', 1, false],
    ['all-nodes', 2, true],
    ['all-nodes', 500, true],
    ['node-selector', 3, false],
    ['node-selector', FLEET_WATCH_ABOVE, false],
    ['node-selector', FLEET_WATCH_ABOVE + 1, true],
    ['targets', 1, false],
    ['targets', FLEET_WATCH_ABOVE + 1, true],
  ] as const)('%s with %i nodes: %s', (scope, nodes, shared) => {
    expect(sharesOneWatch(scope, nodes)).toBe(shared);
  });
});

/** What one node's view was told: its events, its lists, how often it changed. */
interface Seen {
  view: NodePods;
  events: string[];
  lists: string[][];
  changes: number;
}

interface Setup {
  api: ApiServer;
  fleet: FleetPods;
  seen: Record<string, Seen>;
  warnings: string[];
  progress: string[];
}

let current: Setup | null = null;
afterEach(async () => {
  current?.fleet.stop();
  await current?.api.close();
  current = null;
});

async function setup(follow: string[]): Promise<Setup> {
  const api = await startApiServer({ bookmarkIntervalMs: 0 });
  for (const n of ['worker-1', 'worker-2', 'worker-3']) api.addNode(n);
  const kc = new KubeConfig();
  kc.loadFromFile(api.kubeconfigPath);
  const warnings: string[] = [];
  const progress: string[] = [];
  const log: Log = { progress: (m) => progress.push(m), warn: (m) => warnings.push(m), error: (m) => warnings.push(m), debug: () => {} };
  const fleet = new FleetPods(kc, follow, log);
  const seen: Record<string, Seen> = {};
  for (const n of follow) {
    const view = fleet.node(n);
    const s: Seen = { view, events: [], lists: [], changes: 0 };
    view.onPod((type, p: V1Pod) => s.events.push(`${type} ${p.metadata?.name} ${p.metadata?.uid}`));
    view.onList((pods) => s.lists.push(pods.map((p) => p.metadata!.name!).sort()));
    view.onChange(() => s.changes++);
    seen[n] = s;
  }
  current = { api, fleet, seen, warnings, progress };
  return current;
}

function addPod(api: ApiServer, name: string, node: string): string {
  return api.addPod({ metadata: { namespace: 'default', name }, spec: { nodeName: node, containers: [{ name: 'c', image: 'i' }] } })
    .metadata.uid!;
}

async function until(what: string, ok: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

const podRequests = (api: ApiServer) => api.requests.filter((q) => q.path === '/api/v1/pods');
const watches = (api: ApiServer) => podRequests(api).filter((q) => q.query.watch !== undefined);
const lists = (api: ApiServer) => podRequests(api).filter((q) => q.query.watch === undefined);

/** Live in the index: still there after the tombstones of deleted pods are forgotten. */
const live = (view: NodePods, uid: string): boolean => {
  view.index.expire(Date.now() + 3_600_000);
  return view.index.pod(uid) !== undefined;
};

describe('FleetPods', () => {
  it('lists and watches once for every node, without a field selector, each node seeing only its pods', async () => {
    const { api, seen } = await setup(['worker-1', 'worker-2']);
    const a = addPod(api, 'a', 'worker-1');
    const b = addPod(api, 'b', 'worker-2');
    const c = addPod(api, 'c', 'worker-3'); // a node not traced
    const pending = api.addPod({ metadata: { namespace: 'default', name: 'pending' }, spec: { containers: [] } }).metadata.uid!;
    const w1 = seen['worker-1']!;
    const w2 = seen['worker-2']!;
    await Promise.all([w1.view.start(), w2.view.start()]);
    await until('the watch', () => watches(api).length === 1);
    expect(lists(api)).toHaveLength(1);
    for (const q of podRequests(api)) expect(q.query.fieldSelector).toBeUndefined();
    expect(w1.lists).toEqual([['a']]);
    expect(w2.lists).toEqual([['b']]);
    expect(w1.view.index.pod(a)).toBeDefined();
    expect(w1.view.index.pod(b)).toBeUndefined();
    expect(w2.view.index.pod(b)).toBeDefined();
    for (const uid of [c, pending]) for (const w of [w1, w2]) expect(w.view.index.pod(uid)).toBeUndefined();

    // A change on one node is that node's alone: its event, its index, its change callback.
    const changes = { w1: w1.changes, w2: w2.changes };
    const d = addPod(api, 'd', 'worker-2');
    addPod(api, 'e', 'worker-3');
    await until('d on worker-2', () => w2.view.index.pod(d) !== undefined);
    await sleep(200);
    expect(w2.events).toEqual([`ADDED d ${d}`]);
    expect(w1.events).toEqual([]);
    expect(w2.changes).toBe(changes.w2 + 1);
    expect(w1.changes).toBe(changes.w1);
    // A pod scheduled after it was created reaches its node once the binding sets spec.nodeName.
    api.updatePod('default', 'pending', (p) => {
      p.spec!.nodeName = 'worker-1';
    });
    await until('the pod once scheduled', () => w1.view.index.pod(pending) !== undefined);
    expect(w2.view.index.pod(pending)).toBeUndefined();
    expect(lists(api)).toHaveLength(1);
  });

  it('a pod deleted and created again under the same name on another node: a tombstone on the first, a pod on the second', async () => {
    const { api, seen } = await setup(['worker-1', 'worker-2']);
    const w1 = seen['worker-1']!;
    const w2 = seen['worker-2']!;
    const before = addPod(api, 'web-0', 'worker-1');
    await w1.view.start();
    expect(w1.view.index.pod(before)).toBeDefined();
    api.deletePodRecord('default', 'web-0');
    const after = addPod(api, 'web-0', 'worker-2');
    await until('web-0 on worker-2', () => w2.view.index.pod(after) !== undefined);
    expect(w1.events).toEqual([`DELETED web-0 ${before}`]);
    expect(w2.events).toEqual([`ADDED web-0 ${after}`]);
    // The old pod still resolves on worker-1 for its late execs, as a tombstone; the new one is not there.
    expect(w1.view.index.pod(before)).toBeDefined();
    expect(w1.view.index.pod(after)).toBeUndefined();
    expect(w2.view.index.pod(before)).toBeUndefined();
    expect(live(w1.view, before)).toBe(false);
    expect(live(w2.view, after)).toBe(true);
  });

  it('resumes from the last resourceVersion when the watch ends, without listing again', async () => {
    const { api, seen, warnings } = await setup(['worker-1', 'worker-2']);
    await seen['worker-1']!.view.start();
    await until('the first watch', () => watches(api).length === 1);
    api.closeWatches();
    await until('the resumed watch', () => watches(api).length === 2);
    expect(watches(api)[1]!.query.resourceVersion).toBeTruthy();
    const uid = addPod(api, 'late', 'worker-2');
    await until('the late pod', () => seen['worker-2']!.view.index.pod(uid) !== undefined);
    expect(lists(api)).toHaveLength(1);
    expect(warnings).toEqual([]);
  });

  it('lists again after 410 Gone: what changed while no watch was open reaches each node, vanished pods become tombstones', async () => {
    const { api, seen, warnings } = await setup(['worker-1', 'worker-2']);
    const w1 = seen['worker-1']!;
    const w2 = seen['worker-2']!;
    const old = addPod(api, 'web-0', 'worker-1');
    const stays = addPod(api, 'db-0', 'worker-1');
    await w1.view.start();
    await until('the first watch', () => watches(api).length === 1);
    // While no watch is open, and then forgotten by the server: only the re-list can tell the client.
    api.closeWatches();
    api.deletePodRecord('default', 'web-0');
    const moved = addPod(api, 'web-0', 'worker-2');
    api.compactHistory();
    await until('web-0 from the re-list', () => w2.view.index.pod(moved) !== undefined);
    expect(lists(api)).toHaveLength(2);
    expect(w1.lists.at(-1)).toEqual(['db-0']);
    expect(w2.lists.at(-1)).toEqual(['web-0']);
    expect(w1.view.index.pod(old)).toBeDefined(); // a tombstone, for late execs
    expect(live(w1.view, old)).toBe(false);
    expect(live(w1.view, stays)).toBe(true);
    expect(warnings).toEqual([]);
  });

  it('warns once when reopening fails, naming the cluster, and says when it is back', async () => {
    const { api, seen, warnings, progress } = await setup(['worker-1', 'worker-2']);
    await seen['worker-1']!.view.start();
    await until('the first watch', () => watches(api).length === 1);
    api.failNext(3, 500, (method, path) => method === 'GET' && path === '/api/v1/pods');
    api.closeWatches();
    const uid = addPod(api, 'after-errors', 'worker-2');
    await until('the pod after the errors', () => seen['worker-2']!.view.index.pod(uid) !== undefined, 10_000);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^the pod watch for the cluster failed \(.+\), retrying/);
    expect(progress).toContain('the pod watch for the cluster is back after 3 failed attempts');
  });

  it('a node that stops hears no more; once every node stopped, the watch is not opened again', async () => {
    const { api, seen } = await setup(['worker-1', 'worker-2']);
    const w1 = seen['worker-1']!;
    const w2 = seen['worker-2']!;
    await w1.view.start();
    await until('the first watch', () => watches(api).length === 1);
    w1.view.stop();
    addPod(api, 'p1', 'worker-1');
    const p2 = addPod(api, 'p2', 'worker-2');
    await until('p2', () => w2.view.index.pod(p2) !== undefined);
    expect(w1.events).toEqual([]);
    w2.view.stop();
    api.closeWatches();
    await sleep(500);
    expect(watches(api)).toHaveLength(1);
  });

  it('reads the owners (ReplicaSets) of the pods on the nodes it follows only', async () => {
    const { api, seen } = await setup(['worker-1']);
    const rs = (name: string) =>
      api.addWorkload({ apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { namespace: 'default', name }, spec: { selector: {} } });
    const owned = (name: string, node: string, owner: string) =>
      api.addPod({
        metadata: {
          namespace: 'default',
          name,
          ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: owner, uid: rs(owner).metadata.uid!, controller: true }],
        },
        spec: { nodeName: node, containers: [] },
      }).metadata.uid!;
    const mine = owned('web-a-1', 'worker-1', 'web-a');
    owned('web-b-1', 'worker-2', 'web-b');
    await seen['worker-1']!.view.start();
    await until('the watch', () => watches(api).length === 1);
    owned('web-c-1', 'worker-3', 'web-c'); // after the list, through the watch
    const later = owned('web-d-1', 'worker-1', 'web-d');
    await until('web-d-1', () => seen['worker-1']!.view.index.pod(later) !== undefined);
    await sleep(300);
    expect(seen['worker-1']!.view.index.pod(mine)?.workload).toBe('rs/web-a');
    const reads = api.requests.filter((q) => q.path.includes('/replicasets/')).map((q) => q.path.split('/').at(-1));
    expect(reads.sort()).toEqual(['web-a', 'web-d']);
  });

  it('a failed first list fails the nodes that asked, and the next node to ask lists again', async () => {
    const { api, seen } = await setup(['worker-1', 'worker-2']);
    api.failNext(1, 403, (method, path) => method === 'GET' && path === '/api/v1/pods');
    await expect(seen['worker-1']!.view.start()).rejects.toThrow();
    const uid = addPod(api, 'p', 'worker-2');
    await seen['worker-2']!.view.start();
    expect(seen['worker-2']!.view.index.pod(uid)).toBeDefined();
    expect(lists(api)).toHaveLength(2);
  });
});
