/**
 * The API request budget end to end, against the stand-in with simulated nodes (no kernel needed):
 * a server that turns requests away with 429 / 503 and Retry-After gets them again after the wait,
 * once each; and the requests of a whole run — start, trace, Ctrl-C, cleanup — arrive no faster
 * than --kube-api-qps and --kube-api-burst allow, counted on the server per time window.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiServer, type ApiServer, type RequestMatcher } from '../apiserver/index.js';
import { startCli } from '../support/cli.js';
import { expectNothingLeft } from '../support/leftovers.js';
import { addSimulatedNodes } from '../support/simulated-fleet.js';

const NODES = 5;
const createsPod: RequestMatcher = (method, path) => method === 'POST' && /\/pods$/.test(path);
const listsNodes: RequestMatcher = (method, path) => method === 'GET' && path === '/api/v1/nodes';
const opensExec: RequestMatcher = (_method, path) => path.endsWith('/exec');

describe('the API request budget', () => {
  let api: ApiServer;

  beforeAll(async () => {
    api = await startApiServer({ podStartDelayMs: 20 });
    addSimulatedNodes(api, NODES);
  });
  afterAll(async () => {
    await api?.close();
  });

  /** --all-nodes until every node traces, then Ctrl-C; the requests the run made, as the server saw them. */
  async function fleetRun(args: string[] = []) {
    const before = api.requests.length;
    const cli = startCli(['--all-nodes', '--yes', '--kubeconfig', api.kubeconfigPath, '-o', 'json', '-v', ...args]);
    await cli.waitForStderr(new RegExp(`\\(${NODES}/${NODES}\\)`), 90_000);
    cli.proc.kill('SIGINT');
    const r = await cli.done();
    await expectNothingLeft(api);
    return { ...r, requests: api.requests.slice(before) };
  }

  it('honours 429 and 503 with Retry-After: sent again after the wait, once each, and every node traces', async () => {
    api.failNext(1, 503, listsNodes);
    api.failNext(2, 429, createsPod);
    api.failNext(2, 429, opensExec);
    const r = await fleetRun();
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/going on with the other nodes|answered 429|answered 503/);

    const lists = r.requests.filter((q) => listsNodes(q.method, q.path));
    expect(lists.map((q) => q.status)).toEqual([503, 200]);
    expect(lists[1]!.at - lists[0]!.at).toBeGreaterThanOrEqual(1000); // Retry-After: 1

    const creates = r.requests.filter((q) => createsPod(q.method, q.path));
    expect(creates.filter((q) => q.status === 429)).toHaveLength(2);
    expect(creates.filter((q) => q.status === 201)).toHaveLength(NODES);
    expect(creates).toHaveLength(NODES + 2); // each turned-away create sent once more: no storm
    // The two sent again are the last creates, after the server's Retry-After (1 s), not before.
    const refusedAt = Math.max(...creates.filter((q) => q.status === 429).map((q) => q.at));
    const retries = [...creates].sort((a, b) => a.at - b.at).slice(-2);
    for (const q of retries) expect(q.at - refusedAt).toBeGreaterThanOrEqual(1000 - 50);
    expect(creates.filter((q) => q.at - refusedAt >= 1000 - 50)).toHaveLength(2);

    // An exec upgrade turned away is opened again (the WebSocket library keeps no Retry-After: backoff).
    const execs = r.requests.filter((q) => opensExec(q.method, q.path));
    expect(execs.filter((q) => q.status === 429)).toHaveLength(2);
    expect(execs.filter((q) => q.status === 101).length).toBe(execs.length - 2);
  });

  it('--kube-api-qps and --kube-api-burst bound the requests of the whole run, Ctrl-C and cleanup included', async () => {
    const qps = 4;
    const burst = 4;
    const r = await fleetRun(['--kube-api-qps', String(qps), '--kube-api-burst', String(burst)]);
    expect(r.code, r.stderr).toBe(0);
    const at = r.requests.map((q) => q.at).sort((a, b) => a - b);
    expect(at.length).toBeGreaterThan(30); // checks, namespace, per node: create, list, watch, execs; stops, deletes
    // In any window, no more than the burst plus what the rate refills (+2: timers that fire together).
    for (const windowMs of [250, 1000, 3000]) {
      const allowed = burst + Math.ceil((qps * windowMs) / 1000) + 2;
      for (let i = 0; i < at.length; i++) {
        const inWindow = at.filter((t) => t >= at[i]! && t < at[i]! + windowMs).length;
        expect(inWindow, `requests in the ${windowMs} ms from ${Math.round(at[i]! - at[0]!)} ms`).toBeLessThanOrEqual(allowed);
      }
    }
    // And the run took the time the budget asks for.
    expect(at.at(-1)! - at[0]!).toBeGreaterThanOrEqual(((at.length - burst - 2) / qps) * 1000);
    expect(r.stderr).toMatch(new RegExp(`API requests: \\d+ \\(\\d+ waited .* for --kube-api-qps ${qps} / --kube-api-burst ${burst}`));
  });
});
