/** A cluster as a trace source: a debug pod per node (src/kube/session.ts). */
import type { Log } from '../log.js';
import { openCluster, type SessionOptions } from '../kube/session.js';
import type { TraceSource } from './source.js';

export async function openClusterSource(opts: SessionOptions, log: Log, interrupted: Promise<string>): Promise<TraceSource> {
  const cluster = await openCluster(opts, log, interrupted);
  return {
    nodes: cluster.nodes,
    startOrder: cluster.startOrder,
    refused: cluster.refused,
    podScope: cluster.podScope,
    manyNodes: cluster.nodes.length > 1,
    selfPid: null,
    openNode: (node) => cluster.openNode(node),
    close: () => cluster.cleanup(),
  };
}
