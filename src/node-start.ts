/**
 * Starting many nodes: which ones at a time. The API request budget (src/kube/request-budget.ts)
 * paces the requests; this only keeps enough nodes in flight to use it, and few enough that each
 * one's requests are not queued behind every other node's — so the first nodes trace within a
 * second or two instead of all of them at the end. One node's start costs about four requests (pod
 * create, three execs; six with a pod list and watch of its own, src/kube/fleet-pods.ts), so QPS
 * nodes in flight keep a budget of QPS requests a second busy even when a pod takes seconds to start.
 */
import type { Budget } from './kube/token-bucket.js';

/** The fewest nodes started at once (what a run did before the budget, at any budget). */
const MIN_IN_FLIGHT = 4;

export function nodesInFlight(budget: Budget): number {
  return Math.max(MIN_IN_FLIGHT, Math.min(budget.burst, Math.ceil(budget.qps)));
}

/**
 * Starts the nodes in order, `inFlight` at a time; stops taking new ones once `stopped()`. Each
 * start handles its own failure (the run goes on with the other nodes); one that throws ends all.
 */
export async function startNodes(
  order: readonly string[],
  inFlight: number,
  start: (node: string) => Promise<void>,
  stopped: () => boolean,
): Promise<void> {
  const queue = [...order];
  const worker = async (): Promise<void> => {
    for (let node = queue.shift(); node !== undefined && !stopped(); node = queue.shift()) await start(node);
  };
  await Promise.all(Array.from({ length: Math.min(inFlight, queue.length) }, worker));
}
