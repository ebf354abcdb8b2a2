/**
 * The pods of the nodes a run traces, for each node: its own list + watch (fieldSelector
 * spec.nodeName=NODE) for a few nodes, or one list + watch of the whole cluster for many, every pod
 * dispatched to its node's index by spec.nodeName. N nodes' own watches cost 2N requests to start
 * and N re-opens every 15–25 s (src/kube/pod-watch.ts, WATCH_TIMEOUT_SECONDS); the cluster's costs
 * two and one, but carries the pods of nodes not traced too — so it is for --all-nodes, and for
 * selections big enough that their watches' requests would matter.
 */
import type { KubeConfig, V1Pod } from '@kubernetes/client-node';
import { PodIndex, type PodRecord } from '../join/pod-index.js';
import type { Log } from '../log.js';
import type { OwnerResolver } from './owners.js';
import { PodWatch, type PodStore, type PodWatchTuning } from './pod-watch.js';
import type { ClusterScope } from './targets.js';

/** What a node's trace and its debug pod's wait take from a pod watch, whichever kind serves it. */
export interface NodePods {
  readonly index: PodIndex;
  /** After the index changed. */
  onChange(cb: () => void): void;
  /** Each watch event of a pod on the node, before the index takes it. */
  onPod(cb: (type: string, pod: V1Pod) => void): void;
  /** The node's pods of each (re-)list: the state no watch event repeats. */
  onList(cb: (pods: readonly V1Pod[]) => void): void;
  /** Resolves once the node's pods are known (the first list); rejects with the list's error. */
  start(): Promise<void>;
  /** A retry waiting out its backoff goes now. */
  resume(): void;
  /** No more changes for this node; its index keeps what it holds (the tracer may still flush execs). */
  stop(): void;
}

/**
 * More nodes than this (named, or by --node-selector) share one cluster-wide watch. Below it, each
 * node's own watches cost little (20 nodes: 40 requests at the start, one re-open a second), while a
 * cluster-wide list on a big cluster is the pods of every node, most of them not traced.
 */
export const FLEET_WATCH_ABOVE = 20;

/** Pure: does a run over `nodes` nodes selected by `scope` watch the pods of the whole cluster at once? */
export function sharesOneWatch(scope: ClusterScope['kind'], nodes: number): boolean {
  // --all-nodes wants every scheduled pod anyway: the cluster's watch carries nothing extra.
  if (scope === 'all-nodes') return nodes > 1;
  return nodes > FLEET_WATCH_ABOVE;
}

/** A node's own list + watch (fieldSelector spec.nodeName). */
export function ownPodWatch(kc: KubeConfig, node: string, log: Log, owners?: OwnerResolver): NodePods {
  const index = new PodIndex();
  const w = new PodWatch(kc, node, index, log, undefined, owners);
  return {
    index,
    onChange: (cb) => w.onChange(cb),
    onPod: (cb) => w.onPod(cb),
    onList: (cb) => w.onList(cb),
    start: () => w.start(),
    resume: () => w.resume(),
    stop: () => w.stop(),
  };
}

class NodeShare implements NodePods {
  readonly index = new PodIndex();
  readonly changeListeners: (() => void)[] = [];
  readonly podListeners: ((type: string, pod: V1Pod) => void)[] = [];
  readonly listListeners: ((pods: readonly V1Pod[]) => void)[] = [];

  constructor(
    private readonly fleet: FleetPods,
    readonly node: string,
  ) {}

  onChange(cb: () => void): void {
    this.changeListeners.push(cb);
  }
  onPod(cb: (type: string, pod: V1Pod) => void): void {
    this.podListeners.push(cb);
  }
  onList(cb: (pods: readonly V1Pod[]) => void): void {
    this.listListeners.push(cb);
  }
  start(): Promise<void> {
    return this.fleet.start();
  }
  resume(): void {
    this.fleet.resume();
  }
  stop(): void {
    this.fleet.leave(this);
  }
}

/**
 * One list + watch of every pod, kept for the nodes given (the others' pods are dropped as they
 * come). Each node's view (node()) sees what its own watch would: its pods' events, its part of
 * each list, a change callback only when its index changed. A pod deleted and created again under
 * the same name on another node is another uid: a tombstone on the first node, a pod on the second.
 */
export class FleetPods implements PodStore {
  /** The nodes still followed. */
  private readonly shares = new Map<string, NodeShare>();
  /** uid → node, for the pods an index holds live: a DELETED pod goes to the node that has it. */
  private readonly nodeOf = new Map<string, string>();
  /** Nodes whose index changed since the watch last said so: told together, after the watch's own step. */
  private readonly dirty = new Set<NodeShare>();
  private readonly watch: PodWatch;
  private started: Promise<void> | null = null;

  constructor(kc: KubeConfig, nodes: readonly string[], log: Log, tuning?: PodWatchTuning, owners?: OwnerResolver) {
    for (const n of nodes) this.shares.set(n, new NodeShare(this, n));
    this.watch = new PodWatch(kc, null, this, log, tuning, owners);
    this.watch.onPod((type, pod) => {
      const share = this.shareOf(pod.spec?.nodeName || this.nodeOf.get(pod.metadata?.uid ?? ''));
      if (share) for (const l of share.podListeners) l(type, pod);
    });
    this.watch.onList((pods) => {
      const byNode = this.byNode(pods, (p) => p.spec?.nodeName);
      for (const share of this.shares.values()) {
        const mine = byNode.get(share.node) ?? [];
        for (const l of share.listListeners) l(mine);
      }
    });
    this.watch.onChange(() => {
      for (const share of this.dirty) for (const l of share.changeListeners) l();
      this.dirty.clear();
    });
  }

  /** The view of one of the nodes given. */
  node(name: string): NodePods {
    const share = this.shares.get(name);
    if (!share) throw new Error(`${name} is not one of the nodes this pod watch follows`);
    return share;
  }

  /** Lists once and keeps watching; the nodes that ask share it. A failed list is tried again by the next node that asks. */
  start(): Promise<void> {
    this.started ??= this.watch.start().catch((e: unknown) => {
      this.started = null;
      throw e;
    });
    return this.started;
  }

  resume(): void {
    this.watch.resume();
  }

  stop(): void {
    this.watch.stop();
  }

  /** A node's view stops; once no node is followed, so does the watch. */
  leave(share: NodeShare): void {
    if (this.shares.get(share.node) !== share) return;
    this.shares.delete(share.node);
    this.dirty.delete(share);
    if (this.shares.size === 0) this.watch.stop();
  }

  /** `items` of the followed nodes, by node (the others' left out). */
  private byNode<T>(items: readonly T[], nodeOf: (item: T) => string | null | undefined): Map<string, T[]> {
    const out = new Map<string, T[]>();
    for (const item of items) {
      const n = nodeOf(item);
      if (!n || !this.shares.has(n)) continue;
      const list = out.get(n);
      if (list) list.push(item);
      else out.set(n, [item]);
    }
    return out;
  }

  private shareOf(node: string | null | undefined): NodeShare | undefined {
    return node ? this.shares.get(node) : undefined;
  }

  keeps(nodeName: string | undefined): boolean {
    return nodeName !== undefined && this.shares.has(nodeName);
  }

  upsert(pod: PodRecord): void {
    const before = this.nodeOf.get(pod.uid);
    // nodeName cannot change, but a stale uid → node entry must not send the pod to two indexes.
    if (before !== undefined && before !== pod.nodeName) this.remove(pod.uid, Date.now());
    const share = this.shareOf(pod.nodeName);
    if (!share) return;
    share.index.upsert(pod);
    this.nodeOf.set(pod.uid, share.node);
    this.dirty.add(share);
  }

  remove(uid: string, nowMs: number): void {
    const share = this.shareOf(this.nodeOf.get(uid));
    this.nodeOf.delete(uid);
    if (!share) return;
    share.index.remove(uid, nowMs);
    this.dirty.add(share);
  }

  replaceAll(pods: PodRecord[], nowMs: number): void {
    const byNode = this.byNode(pods, (p) => p.nodeName);
    this.nodeOf.clear();
    for (const [node, mine] of byNode) for (const p of mine) this.nodeOf.set(p.uid, node);
    for (const share of this.shares.values()) {
      share.index.replaceAll(byNode.get(share.node) ?? [], nowMs);
      this.dirty.add(share);
    }
  }

  expire(nowMs: number): void {
    for (const share of this.shares.values()) share.index.expire(nowMs);
  }

  setWorkload(uid: string, workload: string): void {
    const share = this.shareOf(this.nodeOf.get(uid));
    if (!share) return;
    share.index.setWorkload(uid, workload);
    this.dirty.add(share);
  }
}
