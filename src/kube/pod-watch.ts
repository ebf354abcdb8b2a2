/**
 * The node's pods (or the cluster's), kept current: list with fieldSelector spec.nodeName=NODE, then watch from the
 * list's resourceVersion. The watch is restarted when it ends or fails (real API servers close
 * quiet watches), and re-listed on 410 Gone. Pods go into a PodIndex as plain PodRecords.
 */
import { CoreV1Api, Watch, type KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { containerIdFromStatus, type ContainerRecord, type PodIndex, type PodRecord } from '../join/pod-index.js';
import type { Log } from '../log.js';

export function podRecord(pod: V1Pod): PodRecord | null {
  const uid = pod.metadata?.uid;
  const namespace = pod.metadata?.namespace;
  const name = pod.metadata?.name;
  if (!uid || !namespace || !name) return null;
  const containers: ContainerRecord[] = [];
  const add = (list: { name: string; containerID?: string }[] | undefined, kind: ContainerRecord['kind']): void => {
    for (const s of list ?? []) {
      const id = containerIdFromStatus(s.containerID);
      if (id) containers.push({ id, name: s.name, kind });
    }
  };
  add(pod.status?.initContainerStatuses, 'init');
  add(pod.status?.containerStatuses, 'container');
  add(pod.status?.ephemeralContainerStatuses, 'ephemeral');
  return {
    uid,
    namespace,
    name,
    mirrorHash: pod.metadata?.annotations?.['kubernetes.io/config.mirror'] ?? null,
    labels: pod.metadata?.labels ?? {},
    containers,
    nodeName: pod.spec?.nodeName ?? null,
  };
}

export class PodWatch {
  private resourceVersion = '';
  private abort: AbortController | null = null;
  private stopped = false;
  private retryTimer: NodeJS.Timeout | null = null;
  private readonly listeners: (() => void)[] = [];
  private readonly podListeners: ((type: string, pod: V1Pod) => void)[] = [];
  private failures = 0;

  constructor(
    private readonly kc: KubeConfig,
    /** The node whose pods to follow; null for every pod of the cluster (--local with a cluster). */
    private readonly node: string | null,
    private readonly index: PodIndex,
    private readonly log: Log,
  ) {}

  onChange(cb: () => void): void {
    this.listeners.push(cb);
  }

  /** Every pod event as it comes (the session follows its own debug pod this way). */
  onPod(cb: (type: string, pod: V1Pod) => void): void {
    this.podListeners.push(cb);
  }

  /** Lists once (errors propagate: the run cannot attribute without it), then keeps watching. */
  async start(): Promise<void> {
    await this.list();
    void this.watch();
  }

  /** Retries now if the watch is waiting to retry (the API is back: no need to wait out the backoff). */
  resume(): void {
    if (!this.retryTimer || this.stopped) return;
    clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.failures = 0;
    this.watch().catch((e: unknown) => this.ended(e, false));
  }

  stop(): void {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.abort?.abort();
  }

  private async list(): Promise<void> {
    const core = this.kc.makeApiClient(CoreV1Api);
    const list = await core.listPodForAllNamespaces(this.node === null ? {} : { fieldSelector: `spec.nodeName=${this.node}` });
    this.resourceVersion = list.metadata?.resourceVersion ?? '';
    this.index.replaceAll(list.items.map(podRecord).filter((p): p is PodRecord => p !== null), Date.now());
    this.changed();
  }

  private changed(): void {
    for (const l of this.listeners) l();
  }

  private async watch(): Promise<void> {
    if (this.stopped) return;
    let gone = false;
    try {
      this.abort = await new Watch(this.kc).watch(
        '/api/v1/pods',
        { ...(this.node === null ? {} : { fieldSelector: `spec.nodeName=${this.node}` }), resourceVersion: this.resourceVersion, allowWatchBookmarks: true },
        (type: string, obj: V1Pod & { code?: number }) => {
          if (type === 'ERROR') {
            if (obj.code === 410) gone = true;
            return;
          }
          const rv = obj.metadata?.resourceVersion;
          if (rv) this.resourceVersion = rv;
          if (type === 'BOOKMARK') return;
          for (const l of this.podListeners) l(type, obj);
          const rec = podRecord(obj);
          if (!rec) return;
          if (type === 'DELETED') this.index.remove(rec.uid, Date.now());
          else this.index.upsert(rec);
          this.failures = 0;
          this.changed();
        },
        (err: unknown) => this.ended(err, gone),
      );
    } catch (e) {
      this.ended(e, gone);
    }
  }

  private ended(err: unknown, gone: boolean): void {
    if (this.stopped) return;
    const is410 = gone || (err as { statusCode?: number; code?: number } | null)?.code === 410;
    if (err && !is410) {
      this.failures++;
      if (this.failures === 1 || this.failures % 10 === 0) {
        this.log.warn(`the pod watch for ${this.node ?? 'the cluster'} failed (${(err as Error).message ?? err}), retrying; execs of new pods may show as unattributed meanwhile`);
      }
    }
    const delay = err ? Math.min(200 * 2 ** Math.min(this.failures, 5), 5000) : 100;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      const next = is410 ? this.list().then(() => this.watch()) : this.watch();
      next.catch((e: unknown) => this.ended(e, false));
    }, delay);
  }
}
