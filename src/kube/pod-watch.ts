/**
 * The node's pods (or the cluster's), kept current: list with fieldSelector spec.nodeName=NODE, then watch from the
 * list's resourceVersion. The watch is restarted when it ends or fails (real API servers close
 * quiet watches), and re-listed on 410 Gone. Pods go into a PodIndex as plain PodRecords.
 */
import { CoreV1Api, Watch, type KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { containerIdFromStatus, type ContainerRecord, type KubeletExecs, type OwnerRef, type PodRecord } from '../join/pod-index.js';
import { workloadOf } from '../join/workload.js';
import type { Log } from '../log.js';
import { messageChain } from './errors.js';
import { retryDelayMs } from './retry-after.js';
import { OwnerResolver } from './owners.js';

type SpecContainer = NonNullable<V1Pod['spec']>['containers'][number];

/** The exec probes and exec lifecycle hooks of each container that has any (what the kubelet runs through CRI ExecSync). */
function kubeletExecsOf(pod: V1Pod): Record<string, KubeletExecs> | undefined {
  const out: Record<string, KubeletExecs> = {};
  const cmd = (c: string[] | undefined): string[] | null => (c && c.length > 0 ? c : null);
  const each = (list: SpecContainer[] | undefined): void => {
    for (const c of list ?? []) {
      const probes = [c.livenessProbe, c.readinessProbe, c.startupProbe]
        .map((p) => cmd(p?.exec?.command))
        .filter((x): x is string[] => x !== null);
      const hooks = [c.lifecycle?.postStart, c.lifecycle?.preStop]
        .map((h) => cmd(h?.exec?.command))
        .filter((x): x is string[] => x !== null);
      if (probes.length > 0 || hooks.length > 0) out[c.name] = { probes, hooks };
    }
  };
  each(pod.spec?.initContainers as SpecContainer[] | undefined); // sidecars (restartPolicy: Always) have probes
  each(pod.spec?.containers);
  return Object.keys(out).length > 0 ? out : undefined;
}

/** The owner reference marked controller, as the API's own helpers (metav1.GetControllerOf) pick it. */
function controllerOf(pod: V1Pod): OwnerRef | null {
  const o = pod.metadata?.ownerReferences?.find((r) => r.controller === true);
  return o ? { kind: o.kind, name: o.name, uid: o.uid } : null;
}

/** `owners`: what is known so far of ReplicaSets' and Jobs' controllers (else the workload is the fallback of workloadOf). */
export function podRecord(pod: V1Pod, owners?: OwnerResolver): PodRecord | null {
  const uid = pod.metadata?.uid;
  const namespace = pod.metadata?.namespace;
  const name = pod.metadata?.name;
  if (!uid || !namespace || !name) return null;
  const containers: ContainerRecord[] = [];
  const add = (
    list: { name: string; containerID?: string; image?: string; imageID?: string }[] | undefined,
    kind: ContainerRecord['kind'],
  ): void => {
    for (const s of list ?? []) {
      const id = containerIdFromStatus(s.containerID);
      if (!id) continue;
      const c: ContainerRecord = { id, name: s.name, kind };
      if (s.image) c.image = s.image;
      if (s.imageID) c.imageId = s.imageID;
      containers.push(c);
    }
  };
  add(pod.status?.initContainerStatuses, 'init');
  add(pod.status?.containerStatuses, 'container');
  add(pod.status?.ephemeralContainerStatuses, 'ephemeral');
  const labels = pod.metadata?.labels ?? {};
  const owner = controllerOf(pod);
  const execs = kubeletExecsOf(pod);
  return {
    uid,
    namespace,
    name,
    mirrorHash: pod.metadata?.annotations?.['kubernetes.io/config.mirror'] ?? null,
    labels,
    containers,
    nodeName: pod.spec?.nodeName ?? null,
    owner,
    workload: workloadOf(name, owner, owners?.known(namespace, owner) ?? 'unknown', labels),
    ...(execs ? { kubeletExecs: execs } : {}),
  };
}

/**
 * client-node's Watch aborts a stream after 30 s without a byte (Watch.requestTimeoutMs, not an option),
 * and an API server sends nothing on a quiet watch but a bookmark about once a minute. So each watch asks
 * the server to end it cleanly before that limit, with a bookmark just before (the watch cache sends one
 * 2 s ahead of the deadline); random within the range so that many nodes' watches do not resume together.
 */
export const WATCH_TIMEOUT_SECONDS = { min: 15, max: 25 } as const;

export interface PodWatchTuning {
  /** Seconds the server keeps each watch open. */
  timeoutSeconds(): number;
  /** The client library's watch (tests shorten its idle limit to reach it quickly). */
  newWatch(kc: KubeConfig): Watch;
}

/**
 * Where a watch keeps the pods it follows: one node's PodIndex, or the cluster-wide watch's
 * dispatch into every node's (src/kube/fleet-pods.ts). PodIndex's own methods, by name.
 */
export interface PodStore {
  upsert(pod: PodRecord): void;
  remove(uid: string, nowMs: number): void;
  replaceAll(pods: PodRecord[], nowMs: number): void;
  expire(nowMs: number): void;
  setWorkload(uid: string, workload: string): void;
  /** Whether pods on this node are kept at all (else neither indexed nor their owners read); absent: all are. */
  keeps?(nodeName: string | undefined): boolean;
}

const defaultTuning: PodWatchTuning = {
  timeoutSeconds: () => WATCH_TIMEOUT_SECONDS.min + Math.floor(Math.random() * (WATCH_TIMEOUT_SECONDS.max - WATCH_TIMEOUT_SECONDS.min + 1)),
  newWatch: (kc) => new Watch(kc),
};

function statusCode(err: unknown): number | undefined {
  const e = err as { statusCode?: number; code?: number } | null;
  return e?.statusCode ?? (typeof e?.code === 'number' ? e.code : undefined);
}

/** How often tombstones are looked at (as often as the join retries held execs). */
const EXPIRE_EVERY_MS = 100;

export class PodWatch {
  private resourceVersion = '';
  private abort: AbortController | null = null;
  private stopped = false;
  private retryTimer: NodeJS.Timeout | null = null;
  /** Forgets deleted pods once their tombstones are old (the index is this watch's to keep). */
  private expiry: NodeJS.Timeout | null = null;
  private readonly listeners: (() => void)[] = [];
  private readonly podListeners: ((type: string, pod: V1Pod) => void)[] = [];
  private readonly listListeners: ((pods: readonly V1Pod[]) => void)[] = [];
  /** Failed attempts in a row to (re)open the watch; 0 while it runs. */
  private failures = 0;
  /** A warning went out for the current run of failures: say so when the watch is back. */
  private warned = false;

  constructor(
    private readonly kc: KubeConfig,
    /** The node whose pods to follow; null for every pod of the cluster (--local with a cluster). */
    private readonly node: string | null,
    private readonly index: PodStore,
    private readonly log: Log,
    private readonly tuning: PodWatchTuning = defaultTuning,
    /** Resolves ReplicaSet and Job owners to their Deployment or CronJob (cached per owner uid). */
    private readonly owners: OwnerResolver = new OwnerResolver(kc, log),
  ) {}

  onChange(cb: () => void): void {
    this.listeners.push(cb);
  }

  /** Every pod event as it comes (the session follows its own debug pod this way). */
  onPod(cb: (type: string, pod: V1Pod) => void): void {
    this.podListeners.push(cb);
  }

  /** Every list's pods (the first, and re-lists after 410 Gone): the state no watch event repeats. */
  onList(cb: (pods: readonly V1Pod[]) => void): void {
    this.listListeners.push(cb);
  }

  /** Lists once (errors propagate: the run cannot attribute without it), then keeps watching. */
  async start(): Promise<void> {
    await this.list();
    if (!this.stopped) {
      this.expiry = setInterval(() => this.index.expire(Date.now()), EXPIRE_EVERY_MS);
      this.expiry.unref();
    }
    void this.watch();
  }

  /** Retries now if the watch is waiting to retry (the API is back: no need to wait out the backoff). */
  resume(): void {
    if (!this.retryTimer || this.stopped) return;
    clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.watch().catch((e: unknown) => this.ended(e, { opened: false, gone: false }));
  }

  stop(): void {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.expiry) clearInterval(this.expiry);
    this.abort?.abort();
  }

  private get what(): string {
    return this.node ?? 'the cluster';
  }

  private async list(): Promise<void> {
    const core = this.kc.makeApiClient(CoreV1Api);
    const list = await core.listPodForAllNamespaces(this.node === null ? {} : { fieldSelector: `spec.nodeName=${this.node}` });
    this.resourceVersion = list.metadata?.resourceVersion ?? '';
    const kept = this.index.keeps ? list.items.filter((p) => this.index.keeps!(p.spec?.nodeName)) : list.items;
    // The owners first, so that the first execs already carry their workload.
    await this.owners.resolveAll(kept.map((p) => ({ namespace: p.metadata?.namespace ?? '', owner: controllerOf(p) })));
    this.index.replaceAll(
      kept.map((p) => podRecord(p, this.owners)).filter((p): p is PodRecord => p !== null),
      Date.now(),
    );
    for (const l of this.listListeners) l(list.items);
    this.changed();
  }

  /** A pod whose ReplicaSet or Job came after the list: its workload is set again once the owner is read. */
  private resolveLater(rec: PodRecord): void {
    const owner = rec.owner ?? null;
    if (this.owners.known(rec.namespace, owner) !== 'unknown' || !this.owners.askable(rec.namespace, owner)) return;
    void this.owners.resolveAll([{ namespace: rec.namespace, owner }]).then(() => {
      const workload = workloadOf(rec.name, owner, this.owners.known(rec.namespace, owner), rec.labels ?? {});
      if (workload === rec.workload) return;
      this.index.setWorkload(rec.uid, workload);
      this.changed();
    });
  }

  private changed(): void {
    for (const l of this.listeners) l();
  }

  private async watch(): Promise<void> {
    if (this.stopped) return;
    const state = { opened: false, gone: false, ended: false, streamError: null as Error | null };
    const done = (err: unknown): void => {
      if (state.ended) return;
      state.ended = true;
      this.ended(err, state);
    };
    try {
      this.abort = await this.tuning.newWatch(this.kc).watch(
        '/api/v1/pods',
        {
          ...(this.node === null ? {} : { fieldSelector: `spec.nodeName=${this.node}` }),
          resourceVersion: this.resourceVersion,
          allowWatchBookmarks: true,
          timeoutSeconds: this.tuning.timeoutSeconds(),
        },
        (type: string, obj: V1Pod & { code?: number; message?: string }) => {
          if (type === 'ERROR') {
            if (obj.code === 410) state.gone = true;
            else state.streamError = Object.assign(new Error(obj.message ?? `status ${obj.code}`), { code: obj.code });
            return;
          }
          const rv = obj.metadata?.resourceVersion;
          if (rv) this.resourceVersion = rv;
          if (type === 'BOOKMARK') return;
          for (const l of this.podListeners) l(type, obj);
          // A pod this store does not keep: no record, no owner read (a DELETED one goes on: it may have been kept).
          if (type !== 'DELETED' && this.index.keeps && !this.index.keeps(obj.spec?.nodeName)) return;
          const rec = podRecord(obj, this.owners);
          if (!rec) return;
          if (type === 'DELETED') this.index.remove(rec.uid, Date.now());
          else {
            this.index.upsert(rec);
            this.resolveLater(rec);
          }
          this.changed();
        },
        done,
      );
      // The library calls done before returning when the request itself failed; otherwise the stream is open.
      if (!state.ended) this.opened(state);
    } catch (e) {
      done(e);
    }
  }

  private opened(state: { opened: boolean }): void {
    state.opened = true;
    if (this.warned)
      this.log.progress(`the pod watch for ${this.what} is back after ${this.failures} failed attempt${this.failures === 1 ? '' : 's'}`);
    this.failures = 0;
    this.warned = false;
  }

  /**
   * A watch that was open and ends — cleanly at its timeoutSeconds, by the client library's idle abort,
   * or with its connection — is routine, as is 410 Gone: resume from the last resourceVersion (or
   * re-list) without a word. A failure is a watch that cannot be (re)opened or that the server ends
   * with an error status; it warns, with backoff.
   */
  private ended(err: unknown, state: { opened: boolean; gone: boolean; streamError?: Error | null }): void {
    if (this.stopped) return;
    const gone = state.gone || statusCode(err) === 410;
    const failure = gone ? null : (state.streamError ?? (state.opened ? null : err));
    if (failure) {
      this.failures++;
      if (this.failures === 1 || this.failures % 10 === 0) {
        this.warned = true;
        this.log.warn(
          `the pod watch for ${this.what} failed (${messageChain(failure)}), retrying; execs of new pods may show as unattributed meanwhile`,
        );
      }
    }
    // A watch turned away with 429 (API Priority and Fairness) waits as long as any request would, with jitter.
    const delay = failure
      ? statusCode(failure) === 429
        ? retryDelayMs(429, null, Math.min(this.failures, 5), Math.random)!
        : Math.min(200 * 2 ** Math.min(this.failures, 5), 5000)
      : 100;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      const next = gone ? this.list().then(() => this.watch()) : this.watch();
      next.catch((e: unknown) => this.ended(e, { opened: false, gone: false }));
    }, delay);
  }
}
