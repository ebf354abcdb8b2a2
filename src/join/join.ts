/**
 * ExecEvent + the node's pods → AttributedEvent. An exec in a pod the API has not told us about yet
 * (a new pod's first execs run before the kubelet posts its container status) is held for up to
 * graceMs and re-tried as pod records arrive; then it is emitted with what is known — the pod without
 * its container, or unattributed — never guessed.
 */
import { decodeCgroups } from '../cgroup/decode.js';
import type { ExecEvent } from '../events/types.js';
import type { AttributedEvent } from './types.js';
import type { PodIndex } from './pod-index.js';
import { EntryClassifier } from './entry.js';

export interface JoinerOptions {
  node: string;
  /**
   * The index holds the pods of several nodes (--local on a machine that hosts a nested cluster such
   * as kind): an exec of a known pod gets that pod's spec.nodeName as its node, others `node`.
   */
  nodeFromPod?: boolean;
  /** How long an event waits for its pod or container record. */
  graceMs?: number;
  /** Upper bound on held events; the oldest are released early beyond it. */
  maxHeld?: number;
}

interface Held {
  event: AttributedEvent;
  since: number;
}

export class Joiner {
  private readonly held: Held[] = [];
  /** v2 path → v1 path → decoded ('' stands for null). */
  private readonly decoded = new Map<string, Map<string, ReturnType<typeof decodeCgroups>>>();
  private decodedCount = 0;
  private readonly graceMs: number;
  private readonly maxHeld: number;
  private readonly entries = new EntryClassifier();

  constructor(
    private readonly index: PodIndex | null,
    private readonly opts: JoinerOptions,
  ) {
    this.graceMs = opts.graceMs ?? 2000;
    this.maxHeld = opts.maxHeld ?? 10_000;
  }

  /** Joins an event; returns the events that are ready (this one unless it must wait, plus any released). */
  push(e: ExecEvent, nowMs: number): AttributedEvent[] {
    return this.pushJoined(this.join(e), nowMs);
  }

  /**
   * As push, for an event already joined (by join()) and perhaps given more (its ancestry) on the way:
   * what it was given travels with it while it waits.
   */
  pushJoined(joined: AttributedEvent, nowMs: number): AttributedEvent[] {
    if (this.index && needsRecord(joined)) {
      this.held.push({ event: joined, since: nowMs });
      return this.held.length > this.maxHeld ? [this.held.shift()!.event] : [];
    }
    return [joined];
  }

  /** Re-tries held events (call after pod updates, and periodically); releases the overdue ones. */
  retry(nowMs: number, force = false): AttributedEvent[] {
    const out: AttributedEvent[] = [];
    for (let i = 0; i < this.held.length; ) {
      const h = this.held[i]!;
      const again = this.join(h.event.event);
      if (h.event.ancestry) again.ancestry = h.event.ancestry;
      if (!needsRecord(again) || force || nowMs - h.since >= this.graceMs) {
        out.push(again);
        this.held.splice(i, 1);
      } else {
        i++;
      }
    }
    return out;
  }

  get waiting(): number {
    return this.held.length;
  }

  /**
   * decodeCgroups, remembered per path pair: a node has a few thousand cgroups and every exec in one
   * asks the same question (decoding costs ~5 µs, a lookup ~0.1 µs). Two levels of maps rather than a
   * key made of both paths: the assembler hands out the same string for a cgroup every time, whose
   * hash V8 keeps, where a concatenated key would be hashed anew per exec. Bounded; cleared when full.
   */
  private decode(v2: string | null, v1: string | null): ReturnType<typeof decodeCgroups> {
    let byV1 = this.decoded.get(v2 ?? '');
    if (!byV1) {
      byV1 = new Map();
      this.decoded.set(v2 ?? '', byV1);
    }
    let d = byV1.get(v1 ?? '');
    if (!d) {
      d = decodeCgroups(v2, v1);
      if (++this.decodedCount > 20_000) {
        this.decoded.clear();
        this.decodedCount = 1;
        this.decoded.set(v2 ?? '', byV1);
        byV1.clear();
      }
      byV1.set(v1 ?? '', d);
    }
    return d;
  }

  join(e: ExecEvent): AttributedEvent {
    const { identity, path } = this.decode(e.cgroupV2, e.cgroupV1);
    const containerId = identity.kind === 'host' ? null : identity.containerId;
    const byContainer = containerId && this.index ? this.index.container(containerId) : undefined;
    const pod = identity.kind === 'host' ? undefined : (byContainer?.pod ?? this.index?.pod(identity.podUid));
    const container = byContainer?.container;
    const entry = this.entries.classify(
      e,
      containerId,
      container && pod?.kubeletExecs?.[container.name],
      container !== undefined || this.index === null,
    );
    // One object literal per exec, always with the same fields in the same order (one shape for V8).
    return {
      // The kernel's init-tree verdict means something only in a container: a host process's
      // topmost ancestor in its cgroup is a service's main process or systemd (pid 1).
      event:
        identity.kind === 'host' && (e.inInitTree !== null || e.sessionLeaderPid !== null)
          ? { ...e, inInitTree: null, sessionLeaderPid: null }
          : e,
      node: (this.opts.nodeFromPod && pod?.nodeName) || this.opts.node,
      identity,
      namespace: pod?.namespace ?? null,
      pod: pod?.name ?? null,
      container: byContainer?.container.name ?? null,
      containerId,
      cgroup: path,
      unattributed: identity.kind !== 'host' && !pod,
      labels: pod?.labels ?? NO_LABELS,
      entry,
      workload: pod?.workload ?? null,
      image: container?.image ?? null,
      imageId: container?.imageId ?? null,
    };
  }
}

const NO_LABELS: Readonly<Record<string, string>> = Object.freeze({});

/** Still worth waiting for: the pod is unknown, or it is known but this container id is not yet. */
function needsRecord(a: AttributedEvent): boolean {
  if (a.identity.kind !== 'pod') return false;
  if (a.unattributed) return true;
  return a.identity.containerId !== null && a.container === null;
}
