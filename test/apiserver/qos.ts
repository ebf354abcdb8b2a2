/**
 * A pod's QoS class and the pod cgroup the kubelet's cgroupfs driver makes for it: what the CRI
 * kubelet passes to the runtime as the sandbox's cgroup parent.
 */
import type { Container } from './types.js';

export type Qos = 'BestEffort' | 'Burstable' | 'Guaranteed';

/**
 * The QoS class as the API server computes it (pkg/apis/core/helper/qos), for cpu and memory of the
 * regular containers; quantities are compared as written ("1" and "1000m" differ here).
 */
export function qosClass(containers: Container[]): Qos {
  let any = false;
  let guaranteed = true;
  for (const c of containers) {
    const r = (c['resources'] ?? {}) as { requests?: Record<string, string>; limits?: Record<string, string> };
    const requests = r.requests ?? {};
    const limits = r.limits ?? {};
    for (const res of ['cpu', 'memory']) {
      if (requests[res] !== undefined || limits[res] !== undefined) any = true;
      if (limits[res] === undefined || (requests[res] !== undefined && requests[res] !== limits[res])) guaranteed = false;
    }
  }
  if (!any) return 'BestEffort';
  return guaranteed ? 'Guaranteed' : 'Burstable';
}

/** The pod cgroup the kubelet's cgroupfs driver passes as the sandbox's cgroup parent. */
export function cgroupParent(qos: Qos, uid: string): string {
  return qos === 'Guaranteed' ? `/kubepods/pod${uid}` : `/kubepods/${qos.toLowerCase()}/pod${uid}`;
}
