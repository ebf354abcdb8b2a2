import type { AttributedEvent } from '../join/types.js';

/** How an exec was attributed: to a known pod, to the host, or to a pod cgroup no pod record matched. */
export type Attribution = 'pod' | 'host' | 'unattributed';

/**
 * Classifies an event. A pod-cgroup event counts as attributed only when the join both said so and
 * filled in namespace and pod; anything less is shown as unattributed rather than half-named.
 */
export function attributionOf(e: AttributedEvent): Attribution {
  if (e.identity.kind === 'host') return 'host';
  if (e.unattributed || e.namespace === null || e.pod === null) return 'unattributed';
  return 'pod';
}

/** The pod uid from the cgroup identity (API uid, or a static pod's config hash); null on the host. */
export function podUidOf(e: AttributedEvent): string | null {
  return e.identity.kind === 'pod' ? e.identity.podUid : null;
}

/** The innermost systemd unit of a host process; null for pods or when unknown. */
export function unitOf(e: AttributedEvent): string | null {
  return e.identity.kind === 'host' ? e.identity.unit : null;
}
