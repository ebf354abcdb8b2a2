/**
 * The workload of a pod as users name it (`deploy/web`, `sts/db`, `ds/agent`, `job/x`, `cronjob/y`,
 * `pod/name` for a bare pod), from its controlling owner and, for a ReplicaSet or a Job, that
 * owner's own controller (read from the API by src/kube/owners.ts). Pure.
 */
import type { OwnerRef } from './pod-index.js';

/** kubectl's short names for the kinds that own pods; other kinds are written as their lowercase kind. */
const SHORT: Readonly<Record<string, string>> = {
  Deployment: 'deploy',
  ReplicaSet: 'rs',
  StatefulSet: 'sts',
  DaemonSet: 'ds',
  Job: 'job',
  CronJob: 'cronjob',
  ReplicationController: 'rc',
};

/**
 * What the API said about the owner's own controller:
 * - an OwnerRef: the owner's controller (a ReplicaSet's Deployment, a Job's CronJob);
 * - null: the owner has no controller (a ReplicaSet or Job made by hand);
 * - 'unknown': not read (RBAC forbids it, the owner is gone, not asked yet).
 */
export type ParentAnswer = OwnerRef | null | 'unknown';

const named = (kind: string, name: string): string => `${SHORT[kind] ?? kind.toLowerCase()}/${name}`;

/**
 * A Deployment names its ReplicaSets `<deployment>-<pod-template-hash>` and puts the hash on their
 * pods as the label `pod-template-hash` (kubernetes/kubernetes pkg/controller/deployment/sync.go):
 * when the ReplicaSet cannot be read, a ReplicaSet named so is taken for its Deployment's.
 */
export function deploymentByConvention(replicaSet: string, podLabels: Readonly<Record<string, string>>): string | null {
  const hash = podLabels['pod-template-hash'];
  if (!hash || !replicaSet.endsWith(`-${hash}`)) return null;
  const name = replicaSet.slice(0, -hash.length - 1);
  return name === '' ? null : name;
}

/**
 * The workload of a pod named `pod` with controller `owner` (null: a bare pod). `parent` answers
 * for a ReplicaSet or Job owner; unknown, a ReplicaSet falls back on the pod-template-hash
 * convention and a Job stays `job/NAME` (a CronJob's Jobs are `<cronjob>-<minutes>`, but a Job
 * named so by hand cannot be told apart: no guess). A static pod's mirror (owner: its Node) is `pod/NAME`.
 */
export function workloadOf(pod: string, owner: OwnerRef | null, parent: ParentAnswer, podLabels: Readonly<Record<string, string>>): string {
  if (!owner || owner.kind === 'Node') return `pod/${pod}`;
  if (owner.kind !== 'ReplicaSet' && owner.kind !== 'Job') return named(owner.kind, owner.name);
  if (parent !== null && parent !== 'unknown') return named(parent.kind, parent.name);
  if (parent === 'unknown' && owner.kind === 'ReplicaSet') {
    const deploy = deploymentByConvention(owner.name, podLabels);
    if (deploy) return named('Deployment', deploy);
  }
  return named(owner.kind, owner.name);
}

/** Whether the owner's own controller is worth asking the API for. */
export function needsParent(owner: OwnerRef | null): owner is OwnerRef {
  return owner !== null && (owner.kind === 'ReplicaSet' || owner.kind === 'Job');
}
