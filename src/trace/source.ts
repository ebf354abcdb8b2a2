/**
 * Where a run's nodes come from — this machine (--local) or a cluster's debug pods — in one shape,
 * so that starting, tracing and stopping nodes (src/run.ts) is the same for both.
 */
import type { UserError } from '../errors.js';
import type { PodScope } from '../join/filter.js';
import type { PodIndex } from '../join/pod-index.js';
import type { NodeRunner } from '../node/runner.js';

/** What one node's trace (src/node-trace.ts) is given by its source. */
export interface NodeParts {
  node: string;
  runner: NodeRunner;
  index: PodIndex | null;
  /** The index holds a whole cluster's pods (--local with a cluster): each exec's node is its pod's. */
  nodeFromPod?: boolean;
  /** The debug image the node's commands run in (none with --local: this machine runs them). */
  image?: string;
  onPodsChanged?(cb: () => void): void;
  onFailure?(cb: (message: string) => void): void;
  /**
   * Why the debug pod can no longer be traced (deleted, ended), or null while it runs; rejects
   * when that cannot be told now (API unreachable). Without it a lost stream ends the node.
   */
  podGone?(): Promise<string | null>;
  /** A new attachment took over after a loss: the pod watch retries now rather than at its backoff. */
  resumed?(): void;
}

export interface TraceSource {
  /** The nodes to trace. */
  readonly nodes: string[];
  /** The same nodes in the order to start them: Ready first (src/kube/start-order.ts). */
  readonly startOrder: readonly string[];
  /** Nodes refused before anything was made for them (no image fits), one error each. */
  readonly refused: UserError[];
  /** Pod and workload targets: whose execs to keep. */
  readonly podScope: PodScope | null;
  /** Execs may come from more than one node: the table shows a NODE column. */
  readonly manyNodes: boolean;
  /** --local: this process, whose own children are "self". */
  readonly selfPid: number | null;
  /** Makes what the node's trace needs (a debug pod, its pod watch). Rejects (UserError) when it cannot. */
  openNode(node: string): Promise<NodeParts>;
  /** Ends what the source started; false when objects were left on the cluster (the commands to remove them were printed). */
  close(): Promise<boolean>;
}
