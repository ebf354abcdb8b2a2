/**
 * --all-nodes over several simulated nodes (no kernel needed): one pod list and one watch of the
 * cluster serve every node, counted on the stand-in, and each node's index holds its own pods only —
 * every node replays the same exec in the same pod's cgroup, and only the node the pod is on names it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiServer, type ApiServer } from '../apiserver/index.js';
import { jsonLines, startCli } from '../support/cli.js';
import { expectNothingLeft } from '../support/leftovers.js';
import { addSimulatedNodes, SIMULATED_EXEC } from '../support/simulated-fleet.js';

const NODES = 6;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('a fleet of nodes shares one pod watch', () => {
  let api: ApiServer;

  beforeAll(async () => {
    api = await startApiServer({ podStartDelayMs: 20 });
    addSimulatedNodes(api, NODES, { prefix: 'sim', eventsPerSec: 5 });
    api.addPod({
      metadata: { namespace: 'apps', name: 'web-0', uid: SIMULATED_EXEC.podUid },
      spec: { nodeName: 'sim-002', containers: [{ name: 'web', image: 'web:1' }] },
      status: {
        phase: 'Running',
        containerStatuses: [
          { name: 'web', containerID: `cri-o://${SIMULATED_EXEC.containerId}`, image: 'web:1', imageID: '', ready: true, restartCount: 0 },
        ],
      },
    });
  });
  afterAll(async () => {
    await api?.close();
  });

  it('--all-nodes: one list and one watch for all nodes, each exec attributed by its own node’s pods', async () => {
    const before = api.requests.length;
    const cli = startCli(['--all-nodes', '--yes', '--kubeconfig', api.kubeconfigPath, '-o', 'json', '-v']);
    await cli.waitForStderr(new RegExp(`\\(${NODES}/${NODES}\\)`), 60_000);
    await sleep(1500);
    cli.proc.kill('SIGINT');
    const r = await cli.done();
    expect(r.code, r.stderr).toBe(0);
    await expectNothingLeft(api);

    const pods = api.requests.slice(before).filter((q) => q.path === '/api/v1/pods');
    const lists = pods.filter((q) => q.query.watch === undefined);
    const watches = pods.filter((q) => q.query.watch !== undefined);
    expect(lists, 'one list of the cluster’s pods').toHaveLength(1);
    // One watch, opened again only when the server ends it (timeoutSeconds: 15 s at the least).
    const runS = (pods.at(-1)!.at - pods[0]!.at) / 1000;
    expect(watches.length, `watches in ${runS.toFixed(1)} s`).toBeLessThanOrEqual(1 + Math.floor(runS / 15));
    for (const q of pods) expect(q.query.fieldSelector).toBeUndefined();
    expect(r.stderr).toMatch(new RegExp(`one pod list and watch of the cluster serves the ${NODES} nodes`));

    const execs = jsonLines(r.stdout).filter((e) => e.type === 'exec');
    const nodes = new Set(execs.map((e) => e.node));
    expect(nodes.size, r.stderr).toBe(NODES);
    for (const e of execs) {
      if (e.node === 'sim-002') expect(e).toMatchObject({ namespace: 'apps', pod: 'web-0', container: 'web', attribution: 'pod' });
      else expect(e, `${e.node}: the pod is not on this node`).toMatchObject({ pod: null, attribution: 'unattributed' });
    }
  });

  it('a few named nodes keep a pod list and watch each, by spec.nodeName', async () => {
    const before = api.requests.length;
    const cli = startCli(['node/sim-001', 'node/sim-002', '--kubeconfig', api.kubeconfigPath, '-o', 'json', '-v']);
    await cli.waitForStderr(/\(2\/2\)/, 60_000);
    cli.proc.kill('SIGINT');
    const r = await cli.done();
    expect(r.code, r.stderr).toBe(0);
    await expectNothingLeft(api);
    const lists = api.requests.slice(before).filter((q) => q.path === '/api/v1/pods' && q.query.watch === undefined);
    expect(lists.map((q) => q.query.fieldSelector).sort()).toEqual(['spec.nodeName=sim-001', 'spec.nodeName=sim-002']);
    expect(r.stderr).not.toMatch(/one pod list and watch of the cluster/);
  });
});
