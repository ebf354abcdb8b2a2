/**
 * A pod's controller is often not the workload users name: a Deployment's pods are owned by a
 * ReplicaSet, a CronJob's by a Job. This reads those ReplicaSets and Jobs (one GET each, cached per
 * owner uid for the run) to find their own controller. When RBAC forbids the read, the namespace is
 * not asked again and src/join/workload.ts falls back (a ReplicaSet by the pod-template-hash
 * convention, a Job stays a job); one warning says so.
 */
import { AppsV1Api, BatchV1Api, type KubeConfig, type V1OwnerReference } from '@kubernetes/client-node';
import type { OwnerRef } from '../join/pod-index.js';
import { needsParent, type ParentAnswer } from '../join/workload.js';
import type { Log } from '../log.js';
import { messageChain } from './errors.js';

/** Owners remembered; beyond it the cache starts afresh (a run over a huge cluster asks again). */
const MAX_CACHED = 20_000;
/** GETs in flight at once while a list's owners are resolved. */
const PARALLEL = 8;

const resourceOf = (owner: OwnerRef): 'replicasets' | 'jobs' => (owner.kind === 'ReplicaSet' ? 'replicasets' : 'jobs');

function statusCode(err: unknown): number | undefined {
  const e = err as { statusCode?: number; code?: number } | null;
  return e?.statusCode ?? (typeof e?.code === 'number' ? e.code : undefined);
}

export interface OwnerReads {
  /** The object's controller reference, or null when it has none; throws the API's error. */
  controllerOf(resource: 'replicasets' | 'jobs', namespace: string, name: string): Promise<{ uid: string; controller: OwnerRef | null }>;
}

/** The reads through the client library. */
export function apiOwnerReads(kc: KubeConfig): OwnerReads {
  const apps = kc.makeApiClient(AppsV1Api);
  const batch = kc.makeApiClient(BatchV1Api);
  const pick = (refs: V1OwnerReference[] | undefined): OwnerRef | null => {
    const c = refs?.find((r) => r.controller === true);
    return c ? { kind: c.kind, name: c.name, uid: c.uid } : null;
  };
  return {
    async controllerOf(resource, namespace, name) {
      const obj =
        resource === 'replicasets'
          ? await apps.readNamespacedReplicaSet({ name, namespace })
          : await batch.readNamespacedJob({ name, namespace });
      return { uid: obj.metadata?.uid ?? '', controller: pick(obj.metadata?.ownerReferences) };
    },
  };
}

export class OwnerResolver {
  /** owner uid → its controller (null: none). */
  private readonly answers = new Map<string, OwnerRef | null>();
  /** Owners not to ask about again: gone, or a different object under the same name now. */
  private readonly unanswerable = new Set<string>();
  /** `resource/namespace` pairs RBAC refused. */
  private readonly forbidden = new Set<string>();
  private readonly pending = new Map<string, Promise<void>>();
  private warned = new Set<string>();
  private readonly reads: OwnerReads;

  constructor(
    kc: KubeConfig,
    private readonly log: Log,
    reads?: OwnerReads,
  ) {
    this.reads = reads ?? apiOwnerReads(kc);
  }

  /** What is known of the owner's controller now (no API call). */
  known(_namespace: string, owner: OwnerRef | null): ParentAnswer {
    if (!needsParent(owner)) return null;
    const a = this.answers.get(owner.uid);
    return a === undefined ? 'unknown' : a;
  }

  /** Whether asking the API could still answer (not refused by RBAC in that namespace, not gone). */
  askable(namespace: string, owner: OwnerRef | null): boolean {
    return needsParent(owner) && !this.unanswerable.has(owner.uid) && !this.forbidden.has(`${resourceOf(owner)}/${namespace}`);
  }

  /** Reads every owner not known yet (a few at a time); never throws. */
  async resolveAll(items: readonly { namespace: string; owner: OwnerRef | null }[]): Promise<void> {
    const todo = new Map<string, { namespace: string; owner: OwnerRef }>();
    for (const { namespace, owner } of items) {
      if (needsParent(owner) && !this.answers.has(owner.uid) && this.askable(namespace, owner)) todo.set(owner.uid, { namespace, owner });
    }
    const queue = [...todo.values()];
    const worker = async (): Promise<void> => {
      for (let item = queue.shift(); item; item = queue.shift()) await this.resolve(item.namespace, item.owner);
    };
    await Promise.all(Array.from({ length: Math.min(PARALLEL, queue.length) }, worker));
  }

  private resolve(namespace: string, owner: OwnerRef): Promise<void> {
    let p = this.pending.get(owner.uid);
    if (!p) {
      p = this.read(namespace, owner).finally(() => this.pending.delete(owner.uid));
      this.pending.set(owner.uid, p);
    }
    return p;
  }

  private async read(namespace: string, owner: OwnerRef): Promise<void> {
    const resource = resourceOf(owner);
    if (this.forbidden.has(`${resource}/${namespace}`)) return;
    try {
      const got = await this.reads.controllerOf(resource, namespace, owner.name);
      if (got.uid !== owner.uid) {
        this.unanswerable.add(owner.uid);
        return;
      }
      if (this.answers.size >= MAX_CACHED) this.answers.clear();
      this.answers.set(owner.uid, got.controller);
    } catch (e) {
      const code = statusCode(e);
      if (code === 403) {
        this.forbidden.add(`${resource}/${namespace}`);
        this.warnOnce(resource, namespace);
      } else if (code === 404) this.unanswerable.add(owner.uid);
      else this.log.debug(`could not read ${resource} ${namespace}/${owner.name} for the workload of its pods: ${messageChain(e)}`);
    }
  }

  private warnOnce(resource: 'replicasets' | 'jobs', namespace: string): void {
    if (this.warned.has(resource)) return;
    this.warned.add(resource);
    const fallback =
      resource === 'replicasets'
        ? 'a ReplicaSet NAME-HASH whose pods carry pod-template-hash=HASH is shown as deploy/NAME (the Deployment controller names them so), other ReplicaSets as rs/NAME'
        : 'their pods are shown as job/NAME, without the CronJob that may own the Job';
    this.log.warn(
      `cannot read ${resource} in namespace ${namespace} (forbidden) to name the workload of their pods: ${fallback}; ` +
        `allow get on ${resource === 'replicasets' ? 'replicasets.apps' : 'jobs.batch'} for the exact owner`,
    );
  }
}
