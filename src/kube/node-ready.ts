/**
 * Is a node Ready, and if not, why — in the node's own words (its Ready condition's status, reason
 * and message): what a skipped node's line and a give-up on a NotReady node name.
 */
import type { V1Node } from '@kubernetes/client-node';

/**
 * Pure: null when the node's Ready condition is True, else one phrase that follows "node NAME is":
 * `NotReady (KubeletNotReady: container runtime network not ready: …)`; for an unreachable node
 * (kubectl shows it NotReady too) `NotReady (Ready=Unknown, NodeStatusUnknown: Kubelet stopped
 * posting node status.)`; for a node whose kubelet never posted one `NotReady (no Ready condition)`.
 */
export function notReady(node: V1Node): string | null {
  const ready = node.status?.conditions?.find((c) => c.type === 'Ready');
  if (!ready) return 'NotReady (no Ready condition: its kubelet has not posted a status)';
  if (ready.status === 'True') return null;
  const message = ready.message?.trim().split('\n')[0];
  const why = [ready.status === 'False' ? null : `Ready=${ready.status || 'Unknown'}`, [ready.reason, message].filter((s) => s).join(': ')]
    .filter((s) => s)
    .join(', ');
  return why ? `NotReady (${why})` : 'NotReady';
}
