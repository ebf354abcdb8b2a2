/**
 * PodWatch against the API stand-in (real HTTP, the real client library): a watch that ends at its
 * timeoutSeconds, goes idle past the library's abort, or answers 410 Gone is resumed (or re-listed)
 * without a warning; only a watch that cannot be reopened warns, and its recovery is reported.
 */
import { KubeConfig, Watch } from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import { startApiServer, type ApiServer } from '../../test/apiserver/index.js';
import { PodIndex } from '../join/pod-index.js';
import type { Log } from '../log.js';
import { PodWatch, type PodWatchTuning } from './pod-watch.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Setup {
  api: ApiServer;
  watch: PodWatch;
  index: PodIndex;
  warnings: string[];
  progress: string[];
}

let current: Setup | null = null;
afterEach(async () => {
  current?.watch.stop();
  await current?.api.close();
  current = null;
});

/** tuning undefined: PodWatch's own. */
async function setup(tuning: Partial<PodWatchTuning> | undefined, bookmarkIntervalMs: number): Promise<Setup> {
  const api = await startApiServer({ bookmarkIntervalMs });
  api.addNode('worker-1');
  api.addNode('worker-2');
  const kc = new KubeConfig();
  kc.loadFromFile(api.kubeconfigPath);
  const warnings: string[] = [];
  const progress: string[] = [];
  const log: Log = { progress: (m) => progress.push(m), warn: (m) => warnings.push(m), error: (m) => warnings.push(m), debug: () => {} };
  const index = new PodIndex();
  const watch = new PodWatch(kc, 'worker-1', index, log, tuning && { timeoutSeconds: () => 60, newWatch: (k) => new Watch(k), ...tuning });
  current = { api, watch, index, warnings, progress };
  await watch.start();
  return current;
}

function addPod(api: ApiServer, name: string, node = 'worker-1'): string {
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

const watchRequests = (api: ApiServer) => api.requests.filter((q) => q.path === '/api/v1/pods' && q.query.watch !== undefined);
const lists = (api: ApiServer) => api.requests.filter((q) => q.path === '/api/v1/pods' && q.query.watch === undefined);

describe('PodWatch resumes', () => {
  it('asks for bookmarks and a server-side timeout below the library’s idle abort', async () => {
    const { api } = await setup(undefined, 0);
    await until('the first watch', () => watchRequests(api).length > 0);
    const q = watchRequests(api)[0]!.query;
    expect(q.allowWatchBookmarks).toBe('true');
    expect(Number(q.timeoutSeconds)).toBeGreaterThan(0);
    expect(Number(q.timeoutSeconds)).toBeLessThan(30);
  });

  it('from the last bookmark’s resourceVersion when the server ends the watch at timeoutSeconds', async () => {
    const { api, index, warnings } = await setup({ timeoutSeconds: () => 3 }, 60_000);
    const listRv = Number(api.resourceVersion);
    // Changes this watch does not select move the resourceVersion on; the pre-timeout bookmark carries it.
    addPod(api, 'elsewhere', 'worker-2');
    const movedRv = Number(api.resourceVersion);
    await until('a resumed watch', () => watchRequests(api).length >= 2, 6000);
    expect(Number(watchRequests(api)[0]!.query.resourceVersion)).toBe(listRv);
    expect(Number(watchRequests(api)[1]!.query.resourceVersion)).toBe(movedRv);

    const uid = addPod(api, 'late');
    await until('the late pod', () => index.pod(uid) !== undefined);
    expect(lists(api)).toHaveLength(1);
    expect(warnings).toEqual([]);
  });

  it('after the library’s idle abort on a watch the server keeps open and quiet', async () => {
    // The real Watch, its 30 s inactivity limit shortened so that the test reaches it in a second.
    const newWatch = (k: KubeConfig): Watch => Object.assign(new Watch(k), { requestTimeoutMs: 500 });
    const { api, index, warnings } = await setup({ newWatch }, 0);
    await until('two idle aborts', () => watchRequests(api).length >= 3, 5000);
    const uid = addPod(api, 'late');
    await until('the late pod', () => index.pod(uid) !== undefined);
    expect(lists(api)).toHaveLength(1);
    expect(warnings).toEqual([]);
  });

  it('by listing again after 410 Gone, without a warning', async () => {
    const { api, index, warnings } = await setup({}, 0);
    await until('the first watch', () => watchRequests(api).length > 0);
    addPod(api, 'elsewhere', 'worker-2'); // the watch's resourceVersion falls behind (no bookmarks here)
    api.compactHistory();
    api.closeWatches();
    const uid = addPod(api, 'while-closed'); // only the re-list can tell the client
    await until('the pod from the re-list', () => index.pod(uid) !== undefined);
    expect(lists(api)).toHaveLength(2);
    expect(warnings).toEqual([]);
  });

  it('after its connection drops, when the server takes the next one at once, without a warning', async () => {
    const { api, index, warnings } = await setup({}, 0);
    await until('the first watch', () => watchRequests(api).length > 0);
    await api.restart(0);
    const uid = addPod(api, 'after-drop');
    await until('the pod after the drop', () => index.pod(uid) !== undefined);
    expect(warnings).toEqual([]);
  });

  it('warns once when reopening fails, and says when the watch is back', async () => {
    const { api, index, warnings, progress } = await setup({}, 0);
    await until('the first watch', () => watchRequests(api).length > 0);
    api.failNext(3, 500, (method, path) => method === 'GET' && path === '/api/v1/pods');
    api.closeWatches();
    const uid = addPod(api, 'after-errors');
    await until('the pod after the errors', () => index.pod(uid) !== undefined, 10_000);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^the pod watch for worker-1 failed \(.+\), retrying/);
    expect(progress).toContain('the pod watch for worker-1 is back after 3 failed attempts');
  });

  it('warns when the server cannot be reached, and says when it is back', async () => {
    const { api, index, warnings, progress } = await setup({}, 0);
    await until('the first watch', () => watchRequests(api).length > 0);
    await api.restart(1500);
    const uid = addPod(api, 'after-restart');
    await until('the pod after the restart', () => index.pod(uid) !== undefined, 10_000);
    expect(warnings.length).toBeGreaterThanOrEqual(1);
    expect(warnings[0]).toMatch(/^the pod watch for worker-1 failed \(.*ECONNREFUSED.*\), retrying/);
    expect(progress.some((m) => /^the pod watch for worker-1 is back after \d+ failed attempts?$/.test(m))).toBe(true);
  });
});
