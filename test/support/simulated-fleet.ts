/**
 * Nodes without a kernel for tests and the bench that need many: each a SimulatedNode
 * (test/apiserver/simulated-node.ts) answering the probe of a real machine (bpftrace 0.17 on 6.18)
 * and replaying a tiny recording of one exec, `/bin/true`, in a pod's container — so a run sees a
 * first event from each node soon after it traces.
 */
import { NODES } from '../../src/node/fixtures.test-helpers.js';
import { SimulatedNode, TraceReplay, type ApiServer } from '../apiserver/index.js';
import { printfRecord as printf } from '../apiserver/trace-replay.js';

const UID = '5f0c2a8e-6c1d-4f4e-9a53-0a1b2c3d4e5f';
const CID = 'f1ee7'.padEnd(64, '0');

/** The pod uid and CRI-O container id whose cgroup every simulated node's exec runs in (a pod with them attributes it). */
export const SIMULATED_EXEC = { podUid: UID, containerId: CID } as const;

/** bpftrace 0.17's stream for one exec in the pod's container, as the node-side program prints it. */
function recording(): string {
  const cgroup = [
    '',
    'kubepods.slice',
    'kubepods-burstable.slice',
    `kubepods-burstable-pod${UID.replaceAll('-', '_')}.slice`,
    `crio-${CID}.scope`,
  ];
  return [
    '{"type": "attached_probes", "data": {"probes": 4}}',
    printf('B 5000000000'),
    printf('S 1 5000000100'),
    printf('S 2 5000000200'),
    ...cgroup.reverse().map((name, level) => printf(`P 2 11 ${level} ${name}`)),
    printf('E 101 101 100 0 5000001000 11 0 1 /bin/true'),
    printf('A 101 5000001000 0 true'),
    printf('X 101 0 5000001000 0 true'),
  ].join('\n');
}

/** Adds `count` simulated nodes named `${prefix}-000`… to the stand-in; each sends eventsPerSec execs once it traces. */
export function addSimulatedNodes(
  api: ApiServer,
  count: number,
  opts: { prefix?: string; eventsPerSec?: number; labels?: Record<string, string> } = {},
): { names: string[]; nodes: SimulatedNode[] } {
  const replay = TraceReplay.fromRecording(recording(), { cgroupIncludes: CID });
  const names: string[] = [];
  const nodes: SimulatedNode[] = [];
  for (let i = 0; i < count; i++) {
    const name = `${opts.prefix ?? 'sim'}-${String(i).padStart(3, '0')}`;
    const sim = new SimulatedNode({ probeOutput: NODES['bpftrace-0.17-hybrid-6.18'], replay, eventsPerSec: opts.eventsPerSec ?? 1 });
    api.addNode(name, { simulated: sim, ...(opts.labels ? { labels: opts.labels } : {}) });
    names.push(name);
    nodes.push(sim);
  }
  return { names, nodes };
}
