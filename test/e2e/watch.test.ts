/**
 * The pod watch survives what real API servers do to long watches: streams that end, errors, and a
 * resourceVersion that is too old to resume from (410 Gone → re-list). Pods that appear afterwards
 * are still attributed. A quiet watch (no pod changes for longer than the client library's 30 s idle
 * limit, bookmarks only once a minute as the watch cache sends them) is routine: no warning.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiServer, type ApiServer } from '../apiserver/index.js';
import { hex32, kernelDescribe } from '../support/kernel.js';
import { jsonLines, startCli } from '../support/cli.js';
import { expectNothingLeft } from '../support/leftovers.js';
import { addToApi, makeWorkload, removeCgroups, runIn, type Workload } from '../support/workloads.js';

const k = kernelDescribe();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(k.skip)(`the pod watch restarts${k.reason ? ` (${k.reason})` : ''}`, () => {
  let api: ApiServer;
  const workloads: Workload[] = [];
  afterAll(async () => {
    await api?.close();
    removeCgroups(workloads);
  });
  beforeAll(async () => {
    if (k.reason) throw new Error(`end-to-end tests must run under CI but cannot: ${k.reason}`);
    api = await startApiServer({ podStartDelayMs: 100 });
    api.addNode('worker-1');
    api.addNamespace('apps');
  });

  it('after the stream ends, after errors, and after 410 Gone', async () => {
    const tag = `w-${hex32().slice(0, 8)}`;
    const cli = startCli(['node/worker-1', '--kubeconfig', api.kubeconfigPath, '-o', 'json', '-n', 'apps']);
    await cli.waitForStderr(/tracing execs on worker-1/, 60_000);
    const watchesBefore = api.requests.filter((r) => r.query.watch !== undefined).length;

    // 1. The stream ends (server restart, proxy timeout): the watch resumes.
    api.closeWatches();
    await sleep(500);
    const a = makeWorkload('systemd-crio-hybrid', 'apps', 'after-close', [{ name: 'c' }]);
    workloads.push(a);
    addToApi(api, a);
    await sleep(300);
    await runIn(a, 'c', ['/bin/echo', `${tag}-a`]);

    // 2. The watch request fails a few times: retried with backoff.
    api.failNext(3, 500, (method, path) => method === 'GET' && path === '/api/v1/pods');
    api.closeWatches();
    await sleep(2500);
    const b = makeWorkload('cgroupfs-containerd-v1', 'apps', 'after-errors', [{ name: 'c' }]);
    workloads.push(b);
    addToApi(api, b);
    await sleep(300);
    await runIn(b, 'c', ['/bin/echo', `${tag}-b`]);

    // 3. History compacted, then the stream ends: resuming answers 410 Gone, the client re-lists.
    const c = makeWorkload('systemd-containerd-v2-crun', 'apps', 'after-410', [{ name: 'c' }]);
    workloads.push(c);
    api.compactHistory();
    api.closeWatches();
    addToApi(api, c); // while no watch is open: only the re-list can tell the client
    await sleep(1500);
    await runIn(c, 'c', ['/bin/echo', `${tag}-c`]);

    await sleep(1000);
    cli.proc.kill('SIGINT');
    const r = await cli.done();
    expect(r.code, r.stderr).toBe(0);
    const events = jsonLines(r.stdout);
    for (const [t, pod] of [
      ['a', 'after-close'],
      ['b', 'after-errors'],
      ['c', 'after-410'],
    ] as const) {
      expect(
        events.find((e) => (e.args as string[])[1] === `${tag}-${t}`),
        `${t}: ${r.stderr}`,
      ).toMatchObject({ namespace: 'apps', pod, container: 'c' });
    }
    expect(r.stderr).toMatch(/warning: the pod watch for worker-1 failed .*retrying/);
    expect(api.requests.filter((q) => q.query.watch !== undefined).length).toBeGreaterThan(watchesBefore + 2);
    // The 410 made the client list again: the first list, and the re-list.
    expect(
      api.requests.filter((q) => q.path === '/api/v1/pods' && q.query.watch === undefined && q.status === 200).length,
    ).toBeGreaterThanOrEqual(2);
    await expectNothingLeft(api);
  });
});

describe.skipIf(k.skip)(`a quiet pod watch${k.reason ? ` (${k.reason})` : ''}`, () => {
  let api: ApiServer;
  const workloads: Workload[] = [];
  afterAll(async () => {
    await api?.close();
    removeCgroups(workloads);
  });
  beforeAll(async () => {
    if (k.reason) throw new Error(`end-to-end tests must run under CI but cannot: ${k.reason}`);
    api = await startApiServer({ podStartDelayMs: 100 });
    api.addNode('worker-1');
    api.addNamespace('apps');
  });

  it("runs 40 s without a warning (past client-node's 30 s idle abort, the watch reopened), and a pod created at 30 s is attributed", {
    timeout: 120_000,
  }, async () => {
    const tag = `q-${hex32().slice(0, 8)}`;
    const cli = startCli(['node/worker-1', '--kubeconfig', api.kubeconfigPath, '-o', 'json', '-n', 'apps', '-d', '40s']);
    await cli.waitForStderr(/tracing execs on worker-1/, 60_000);
    // Watches end every 15-25 s (timeoutSeconds): by 30 s one has ended and the next is open.
    await sleep(30_000);
    const late = makeWorkload('systemd-crio-hybrid', 'apps', 'late', [{ name: 'c' }]);
    workloads.push(late);
    addToApi(api, late);
    await sleep(500);
    await runIn(late, 'c', ['/bin/echo', tag]);

    const r = await cli.done();
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/warning/);
    expect(
      jsonLines(r.stdout).find((e) => (e.args as string[])[1] === tag),
      r.stderr,
    ).toMatchObject({ namespace: 'apps', pod: 'late', container: 'c' });
    // The watch was resumed (more than the first one), each from a resourceVersion, never re-listed.
    const watches = api.requests.filter((q) => q.path === '/api/v1/pods' && q.query.watch !== undefined);
    expect(watches.length).toBeGreaterThan(1);
    expect(api.requests.filter((q) => q.path === '/api/v1/pods' && q.query.watch === undefined).length).toBe(1);
    await expectNothingLeft(api);
  });
});
