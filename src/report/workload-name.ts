/**
 * The workload of a pod named in a recording that has no `workload` field (recordings made before
 * issue 23), from the pod's name alone, so that a baseline from an older version still diffs
 * sensibly against a new one. Pure.
 *
 * Controllers name their pods by convention (kubernetes/kubernetes: names.SimpleNameGenerator adds
 * 5 random characters; rand.SafeEncodeString's alphabet `bcdfghjklmnpqrstvwxz2456789` for both the
 * suffix and a Deployment's pod-template-hash, which its ReplicaSet appends to the Deployment's name):
 * - `web-7d9c5b4f8-x2kqp` (name, 6–10 hash characters, 5 random) → `deploy/web`;
 * - `backup-29012345-x2kqp` (name, 8+ digits: a CronJob's Job is named after its minute) → `cronjob/backup`;
 * - `agent-x2kqp` (name, 5 random) → kind WILDCARD_KIND, name `agent`: a DaemonSet's, a Job's or a
 *   bare ReplicaSet's pod, the name does not say which; the comparison takes it for any kind of that name;
 * - `db-0` (name, a number) → `sts/db`;
 * - anything else → `pod/NAME`.
 * Limits: a bare pod named like these is taken for a controller's (`test-1` → `sts/test`); a random
 * suffix of five digits reads as a StatefulSet ordinal; a name longer than 63 characters is cut by
 * its controller before the suffix, so two such pods of one workload may derive different names.
 */

const SAFE = '[bcdfghjklmnpqrstvwxz2456789]';
const DEPLOYMENT_POD = new RegExp(`^(.+)-${SAFE}{6,10}-${SAFE}{5}$`);
const CRONJOB_POD = new RegExp(`^(.+)-\\d{8,}-${SAFE}{5}$`);
const ORDINAL_POD = /^(.+)-(\d+)$/;
const RANDOM_POD = new RegExp(`^(.+)-(${SAFE}{5})$`);

/** The kind of a workload derived from a name that does not tell its kind. */
export const WILDCARD_KIND = '*';

export function workloadFromPodName(pod: string): string {
  let m = CRONJOB_POD.exec(pod);
  if (m) return `cronjob/${m[1]}`;
  m = DEPLOYMENT_POD.exec(pod);
  if (m) return `deploy/${m[1]}`;
  m = ORDINAL_POD.exec(pod);
  if (m) return `sts/${m[1]}`;
  m = RANDOM_POD.exec(pod);
  if (m) return `${WILDCARD_KIND}/${m[1]}`;
  return `pod/${pod}`;
}

/** `deploy/web` → ['deploy', 'web']. */
export function splitWorkload(workload: string): [kind: string, name: string] {
  const slash = workload.indexOf('/');
  return slash < 0 ? ['pod', workload] : [workload.slice(0, slash), workload.slice(slash + 1)];
}
