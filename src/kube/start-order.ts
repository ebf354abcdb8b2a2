/**
 * Which nodes get their debug pod first when a run starts many: the nodes that became Ready first.
 * A node Ready for long is the likeliest to take its pod up at once, so the first execs come soonest
 * and the budget is not spent first on nodes that may never start. Then the nodes whose Ready
 * condition has no time, then those not Ready (tried with --include-not-ready, or named as
 * targets), in name order: these may only wait out their grace. Ties keep the name order.
 */
import type { V1Node } from '@kubernetes/client-node';

/** Pure: the node names in the order to start them. */
export function startOrder(nodes: readonly V1Node[]): string[] {
  const keyed = nodes.map((n) => {
    const ready = n.status?.conditions?.find((c) => c.type === 'Ready');
    const isReady = ready?.status === 'True';
    const since = ready?.lastTransitionTime ? new Date(ready.lastTransitionTime).getTime() : NaN;
    const rank = !isReady ? 2 : Number.isNaN(since) ? 1 : 0;
    // A not-Ready node's time says when it failed: no reason to prefer one; name order.
    return { name: n.metadata?.name ?? '', rank, since: rank === 0 ? since : 0 };
  });
  keyed.sort((a, b) => a.rank - b.rank || a.since - b.since || a.name.localeCompare(b.name));
  return keyed.map((k) => k.name);
}
