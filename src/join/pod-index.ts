/**
 * The node's pods as the join needs them: by pod uid, by container id and by static-pod config hash.
 * Fed from the API (list + watch) through plain PodRecords, so it stays pure and testable.
 * Deleted pods are kept as tombstones for a while: their last execs are often read after the DELETE.
 */

export interface ContainerRecord {
  /** 64-hex id without the runtime prefix. */
  id: string;
  name: string;
  kind: 'container' | 'init' | 'ephemeral';
  /** The image as the container status names it (`docker.io/library/nginx:1.27`); absent when not reported. */
  image?: string;
  /** The image's digest reference from the status (`docker.io/library/nginx@sha256:…`); absent when not reported. */
  imageId?: string;
}

/**
 * The commands the kubelet itself runs in a container through the runtime's exec (CRI ExecSync):
 * its exec liveness/readiness/startup probes and its postStart/preStop exec hooks, from the pod spec.
 */
export interface KubeletExecs {
  probes: readonly (readonly string[])[];
  hooks: readonly (readonly string[])[];
}

/** The pod's controlling owner reference (metadata.ownerReferences with controller: true). */
export interface OwnerRef {
  kind: string;
  name: string;
  uid: string;
}

export interface PodRecord {
  uid: string;
  namespace: string;
  name: string;
  /** The static pod's config hash (annotation kubernetes.io/config.mirror) on a mirror pod. */
  mirrorHash: string | null;
  /** For -l and workload targets. */
  labels?: Readonly<Record<string, string>>;
  containers: ContainerRecord[];
  /** spec.nodeName: the node of an exec when one trace sees several nodes (--local with a cluster). */
  nodeName?: string | null;
  /** The pod's controller (a ReplicaSet, Job, StatefulSet, DaemonSet, Node for a mirror pod…); null for a bare pod. */
  owner?: OwnerRef | null;
  /**
   * The owner users name (`deploy/web`, `sts/db`, `ds/agent`, `job/x`, `cronjob/y`, `pod/name`):
   * see src/join/workload.ts.
   */
  workload?: string;
  /** Per container name: the probes and hooks the kubelet runs in it (only containers that have any). */
  kubeletExecs?: Readonly<Record<string, KubeletExecs>>;
}

export interface PodIndexOptions {
  /** How long a deleted pod still resolves. */
  tombstoneMs?: number;
  /** Upper bound on tombstones kept (oldest go first). */
  maxTombstones?: number;
}

/** `containerd://<64hex>`, `cri-o://…`, `docker://…` → the bare id; anything else → null. */
export function containerIdFromStatus(containerID: string | undefined | null): string | null {
  if (!containerID) return null;
  const m = /^[a-z0-9-]+:\/\/([0-9a-f]{64})$/.exec(containerID);
  return m ? m[1]! : null;
}

export class PodIndex {
  private readonly byUid = new Map<string, PodRecord>();
  private readonly byContainer = new Map<string, { pod: PodRecord; container: ContainerRecord }>();
  private readonly byHash = new Map<string, PodRecord>();
  /** uid → time of deletion, in deletion order. */
  private readonly tombstones = new Map<string, number>();
  private readonly tombstoneMs: number;
  private readonly maxTombstones: number;

  constructor(opts: PodIndexOptions = {}) {
    this.tombstoneMs = opts.tombstoneMs ?? 5 * 60_000;
    this.maxTombstones = opts.maxTombstones ?? 10_000;
  }

  get size(): number {
    return this.byUid.size;
  }

  /** Adds or replaces a pod. Container ids it had before stay resolvable (a restarted container's old id). */
  upsert(pod: PodRecord): void {
    const before = this.byUid.get(pod.uid);
    const merged: PodRecord = before ? { ...pod, containers: mergeContainers(before.containers, pod.containers) } : pod;
    this.byUid.set(pod.uid, merged);
    this.tombstones.delete(pod.uid);
    // Ids mergeContainers let go of must stop resolving, or forget() can never drop them.
    const kept = new Set(merged.containers.map((c) => c.id));
    for (const c of before?.containers ?? []) {
      if (!kept.has(c.id) && this.byContainer.get(c.id)?.pod === before) this.byContainer.delete(c.id);
    }
    for (const c of merged.containers) this.byContainer.set(c.id, { pod: merged, container: c });
    if (merged.mirrorHash) this.byHash.set(merged.mirrorHash, merged);
  }

  /** Marks a pod deleted at nowMs; it still resolves until its tombstone expires. */
  remove(uid: string, nowMs: number): void {
    if (!this.byUid.has(uid)) return;
    this.tombstones.delete(uid);
    this.tombstones.set(uid, nowMs);
  }

  /** Replaces everything with a fresh list (after a re-list): pods that vanished become tombstones. */
  replaceAll(pods: PodRecord[], nowMs: number): void {
    const live = new Set(pods.map((p) => p.uid));
    for (const uid of this.byUid.keys()) if (!live.has(uid) && !this.tombstones.has(uid)) this.remove(uid, nowMs);
    for (const p of pods) this.upsert(p);
  }

  /** Forgets tombstones older than tombstoneMs, and the oldest beyond maxTombstones. */
  expire(nowMs: number): void {
    for (const [uid, at] of this.tombstones) {
      if (nowMs - at < this.tombstoneMs && this.tombstones.size <= this.maxTombstones) break;
      this.tombstones.delete(uid);
      this.forget(uid);
    }
  }

  /** A pod by uid, or by static-pod config hash when the cgroup carries the hash. */
  pod(uidOrHash: string): PodRecord | undefined {
    return this.byUid.get(uidOrHash) ?? this.byHash.get(uidOrHash);
  }

  container(id: string): { pod: PodRecord; container: ContainerRecord } | undefined {
    return this.byContainer.get(id);
  }

  /**
   * Sets the workload of a pod the index knows (live or deleted) once its owner chain is resolved
   * (src/kube/owners.ts reads ReplicaSets and Jobs after the pod came); a deleted pod is not revived.
   */
  setWorkload(uid: string, workload: string): void {
    const pod = this.byUid.get(uid);
    if (pod) pod.workload = workload;
  }

  private forget(uid: string): void {
    const pod = this.byUid.get(uid);
    if (!pod) return;
    this.byUid.delete(uid);
    for (const c of pod.containers) if (this.byContainer.get(c.id)?.pod === pod) this.byContainer.delete(c.id);
    if (pod.mirrorHash && this.byHash.get(pod.mirrorHash) === pod) this.byHash.delete(pod.mirrorHash);
  }
}

/** Keeps the ids of earlier container instances (restarts), bounded so a crash-looping pod cannot grow it. */
function mergeContainers(before: ContainerRecord[], now: ContainerRecord[]): ContainerRecord[] {
  const ids = new Set(now.map((c) => c.id));
  // `before` lists the newest first (current containers, then earlier ones): keep the most recent.
  const kept = before.filter((c) => !ids.has(c.id)).slice(0, 16);
  return [...now, ...kept];
}
