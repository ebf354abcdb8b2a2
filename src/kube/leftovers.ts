/**
 * `trace-exec cleanup`: finds what runs of this tool left on the cluster (debug pods, temporary
 * namespaces) by its labels, and removes it. A run that is still tracing is found too: its pod is
 * Running and young; those are listed as such and removed only with --all.
 */
import { CoreV1Api, type KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { TOOL_LABEL, TOOL_NAME } from './debug-pod.js';
import { describeApiError, isNotFound } from './errors.js';

export interface Leftover {
  kind: 'pod' | 'namespace';
  namespace: string | null;
  name: string;
  /** Why it counts as left over, or that it looks like a live run. */
  state: string;
  live: boolean;
}

const SELECTOR = `${TOOL_LABEL}=${TOOL_NAME}`;

/**
 * The tool's pods in `namespace` (every namespace when null) and its temporary namespaces (always
 * cluster-wide). Pods are listed cluster-wide either way, so that a temporary namespace holding a
 * live run is recognised as live.
 */
export async function findLeftovers(kc: KubeConfig, namespace: string | null, server: string): Promise<Leftover[]> {
  const core = kc.makeApiClient(CoreV1Api);
  try {
    const pods = (await core.listPodForAllNamespaces({ labelSelector: SELECTOR })).items.map(podLeftover);
    const namespaces = await core.listNamespace({ labelSelector: SELECTOR });
    const out: Leftover[] = pods.filter((p) => namespace === null || p.namespace === namespace);
    for (const ns of namespaces.items) {
      const name = ns.metadata?.name;
      if (!name) continue;
      const live = pods.some((p) => p.namespace === name && p.live);
      out.push({ kind: 'namespace', namespace: null, name, state: live ? 'holds a live run' : (ns.status?.phase ?? 'Active'), live });
    }
    return out;
  } catch (e) {
    throw describeApiError(e, 'listing leftover trace-exec objects', server);
  }
}

function podLeftover(p: V1Pod): Leftover {
  const phase = p.status?.phase ?? 'Unknown';
  // A Running pod whose container still runs may belong to a trace in progress on another machine.
  const live = phase === 'Running' || phase === 'Pending';
  return { kind: 'pod', namespace: p.metadata?.namespace ?? null, name: p.metadata?.name ?? '', state: phase, live };
}

/** Deletes the leftovers; returns those it could not delete, with the reason. */
export async function removeLeftovers(kc: KubeConfig, items: Leftover[], server: string): Promise<{ item: Leftover; error: string }[]> {
  const core = kc.makeApiClient(CoreV1Api);
  const failed: { item: Leftover; error: string }[] = [];
  // Pods first: a namespace deletion would take them too, but slower and less visibly.
  for (const item of [...items].sort((a, b) => (a.kind === b.kind ? 0 : a.kind === 'pod' ? -1 : 1))) {
    try {
      if (item.kind === 'pod') await core.deleteNamespacedPod({ name: item.name, namespace: item.namespace!, gracePeriodSeconds: 0 });
      else await core.deleteNamespace({ name: item.name });
    } catch (e) {
      if (!isNotFound(e)) failed.push({ item, error: describeApiError(e, `deleting ${item.kind} ${item.name}`, server).message });
    }
  }
  return failed;
}
