/**
 * The node's pods (or the cluster's), kept current: list with fieldSelector spec.nodeName=NODE, then watch from the
 * list's resourceVersion. The watch is restarted when it ends or fails (real API servers close
 * quiet watches), and re-listed on 410 Gone. Pods go into a PodIndex as plain PodRecords.
 */
import { CoreV1Api, Watch, type KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { containerIdFromStatus, type ContainerRecord, type PodIndex, type PodRecord } from '../join/pod-index.js';
import type { Log } from '../log.js';
import { messageChain } from './errors.js';
import { retryDelayMs } from './retry-after.js';

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
    private readonly index: PodIndex,
    private readonly log: Log,
    private readonly tuning: PodWatchTuning = defaultTuning,
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
    this.index.replaceAll(list.items.map(podRecord).filter((p): p is PodRecord => p !== null), Date.now());
    for (const l of this.listListeners) l(list.items);
    this.changed();
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
          const rec = podRecord(obj);
          if (!rec) return;
          if (type === 'DELETED') this.index.remove(rec.uid, Date.now());
          else this.index.upsert(rec);
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
    if (this.warned) this.log.progress(`the pod watch for ${this.what} is back after ${this.failures} failed attempt${this.failures === 1 ? '' : 's'}`);
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
        this.log.warn(`the pod watch for ${this.what} failed (${messageChain(failure)}), retrying; execs of new pods may show as unattributed meanwhile`);
      }
    }
    // A watch turned away with 429 (API Priority and Fairness) waits as long as any request would, with jitter.
    const delay = failure ? (statusCode(failure) === 429 ? retryDelayMs(429, null, Math.min(this.failures, 5), Math.random)! : Math.min(200 * 2 ** Math.min(this.failures, 5), 5000)) : 100;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      const next = gone ? this.list().then(() => this.watch()) : this.watch();
      next.catch((e: unknown) => this.ended(e, { opened: false, gone: false }));
    }, delay);
  }
}
