/**
 * The object store: what etcd plus the watch cache are to a real API server. Every change gets the next
 * value of one global, monotonically increasing resourceVersion and is appended to a bounded history,
 * which is what lets a watch resume from a resourceVersion (and answer 410 Expired once it is gone).
 */
import { resources } from './resources.js';
import { alreadyExists, notFound } from './status.js';
import { jsonClone, type KubeObject } from './types.js';

export type ResourceName = 'namespaces' | 'nodes' | 'pods' | 'deployments' | 'statefulsets' | 'daemonsets' | 'replicasets' | 'jobs';
export type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface StoreEvent {
  type: EventType;
  resource: ResourceName;
  /** The resourceVersion this change produced (also in object.metadata.resourceVersion). */
  rv: number;
  object: KubeObject;
  /** The object before a MODIFIED change: watches with selectors need it to turn it into ADDED/DELETED. */
  previous?: KubeObject;
}

export type StoreListener = (event: StoreEvent) => void;

function keyOf(namespace: string | undefined, name: string): string {
  return namespace ? `${namespace}/${name}` : name;
}

export class Store {
  private rv = 0;
  /** Events with rv <= compactedRv are no longer in history. */
  private compactedRv = 0;
  private history: StoreEvent[] = [];
  private readonly objects = new Map<ResourceName, Map<string, KubeObject>>();
  private readonly listeners = new Set<StoreListener>();
  private readonly undelivered: StoreEvent[] = [];
  private delivering = false;

  constructor(private readonly historyLimit = 1000) {}

  /** The resourceVersion of the latest change (what a list reports). */
  get resourceVersion(): number {
    return this.rv;
  }

  get(resource: ResourceName, namespace: string | undefined, name: string): KubeObject | undefined {
    const found = this.bucket(resource).get(keyOf(namespace, name));
    return found && jsonClone(found);
  }

  /** Objects sorted by namespace then name, as the real API server lists them (etcd key order). */
  list(resource: ResourceName, namespace?: string): KubeObject[] {
    const out: KubeObject[] = [];
    for (const obj of this.bucket(resource).values()) {
      if (namespace === undefined || obj.metadata.namespace === namespace) out.push(jsonClone(obj));
    }
    return out.sort((a, b) =>
      keyOf(a.metadata.namespace, a.metadata.name ?? '').localeCompare(keyOf(b.metadata.namespace, b.metadata.name ?? '')),
    );
  }

  create<T extends KubeObject>(resource: ResourceName, object: T): T {
    const name = object.metadata.name ?? '';
    const key = keyOf(object.metadata.namespace, name);
    const bucket = this.bucket(resource);
    if (bucket.has(key)) throw alreadyExists(resource, name, resources[resource].group);
    const stored = jsonClone(object);
    stored.metadata.resourceVersion = String(++this.rv);
    bucket.set(key, stored);
    this.emit({ type: 'ADDED', resource, rv: this.rv, object: stored });
    return jsonClone(stored);
  }

  /** Applies `mutate` to a copy and stores the result under a new resourceVersion. */
  update<T extends KubeObject>(resource: ResourceName, namespace: string | undefined, name: string, mutate: (obj: T) => void): T {
    const key = keyOf(namespace, name);
    const bucket = this.bucket(resource);
    const current = bucket.get(key);
    if (!current) throw notFound(resource, name, resources[resource].group);
    const next = jsonClone(current) as T;
    mutate(next);
    // Identity fields cannot change through an update: the key would no longer match the object.
    next.metadata.name = current.metadata.name;
    next.metadata.namespace = current.metadata.namespace;
    next.metadata.uid = current.metadata.uid;
    next.metadata.resourceVersion = String(++this.rv);
    if (next.metadata.namespace === undefined) delete next.metadata.namespace;
    bucket.set(key, next);
    this.emit({ type: 'MODIFIED', resource, rv: this.rv, object: next, previous: current });
    return jsonClone(next);
  }

  delete<T extends KubeObject>(resource: ResourceName, namespace: string | undefined, name: string): T {
    const key = keyOf(namespace, name);
    const bucket = this.bucket(resource);
    const current = bucket.get(key);
    if (!current) throw notFound(resource, name, resources[resource].group);
    bucket.delete(key);
    // The DELETED event carries the last state with a fresh resourceVersion, as etcd's delete revision.
    const last = jsonClone(current);
    last.metadata.resourceVersion = String(++this.rv);
    this.emit({ type: 'DELETED', resource, rv: this.rv, object: last });
    return jsonClone(last) as T;
  }

  /**
   * Every event after `rv`, oldest first; undefined when some of them were already dropped from history
   * (the caller answers 410 Expired). An rv in the future yields nothing: the watch starts at "now".
   */
  eventsSince(rv: number): StoreEvent[] | undefined {
    if (rv < this.compactedRv) return undefined;
    return this.history.filter((e) => e.rv > rv);
  }

  /** The oldest resourceVersion a watch can still start from. */
  get oldestResourceVersion(): number {
    return this.compactedRv;
  }

  /** Forgets the whole history, as an etcd compaction does: watching from any older rv then gets 410. */
  compact(): void {
    this.history = [];
    this.compactedRv = this.rv;
  }

  subscribe(listener: StoreListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private bucket(resource: ResourceName): Map<string, KubeObject> {
    let bucket = this.objects.get(resource);
    if (!bucket) this.objects.set(resource, (bucket = new Map()));
    return bucket;
  }

  private emit(event: StoreEvent): void {
    this.history.push(event);
    if (this.history.length > this.historyLimit) {
      const dropped = this.history.splice(0, this.history.length - this.historyLimit);
      this.compactedRv = dropped[dropped.length - 1]?.rv ?? this.compactedRv;
    }
    // Listeners may write to the store (the kubelet reacts to ADDED with a MODIFIED). Delivering from a
    // queue instead of recursively keeps every listener seeing the events in resourceVersion order.
    this.undelivered.push(event);
    if (this.delivering) return;
    this.delivering = true;
    try {
      for (let next = this.undelivered.shift(); next; next = this.undelivered.shift()) {
        for (const listener of [...this.listeners]) {
          try {
            listener(next);
          } catch (err) {
            console.error('apiserver stand-in: store listener failed', err);
          }
        }
      }
    } finally {
      this.delivering = false;
    }
  }
}
