/**
 * --ancestry: the node's process tree, so that each exec can name its parent chain — "which pod's
 * sh spawned this curl?" — even across a runtime helper. Built from a /proc snapshot taken when tracing
 * starts, then kept current by fork, exec and exit records. Pure; memory is bounded: exited processes
 * are forgotten after a grace period (a child may exec after its parent exited), and the table has a cap.
 */

/** Who a process belongs to, as shown for an ancestor. */
export interface Owner {
  namespace: string | null;
  pod: string | null;
  container: string | null;
  /** true for processes in no pod. */
  host: boolean;
}

export interface Ancestor extends Owner {
  pid: number;
  comm: string;
}

interface Proc extends Owner {
  ppid: number;
  comm: string;
  /** When it exited (ms), or null while it runs. */
  exitedAt: number | null;
}

export interface ProcessTableOptions {
  exitGraceMs?: number;
  maxEntries?: number;
  /** How many ancestors a chain names at most. */
  depth?: number;
}

export const UNKNOWN_OWNER: Owner = { namespace: null, pod: null, container: null, host: false };

export class ProcessTable {
  private readonly procs = new Map<number, Proc>();
  private readonly exitGraceMs: number;
  private readonly maxEntries: number;
  private readonly depth: number;

  constructor(opts: ProcessTableOptions = {}) {
    this.exitGraceMs = opts.exitGraceMs ?? 30_000;
    this.maxEntries = opts.maxEntries ?? 200_000;
    this.depth = opts.depth ?? 8;
  }

  get size(): number {
    return this.procs.size;
  }

  /** The snapshot: only for processes no traced record has told us about (those are newer). */
  seed(pid: number, ppid: number, comm: string, owner: Owner): void {
    if (!this.procs.has(pid)) this.set(pid, { ppid, comm, ...owner, exitedAt: null });
  }

  /** A fork: the child starts as a copy of its parent, in the parent's cgroup. */
  fork(ppid: number, pid: number, comm: string): void {
    const parent = this.procs.get(ppid);
    this.set(pid, { ...(parent ?? UNKNOWN_OWNER), ppid, comm: parent?.comm ?? comm, exitedAt: null });
  }

  /** An exec: the parent chain as it was, then the process takes its new name and owner. */
  exec(pid: number, ppid: number, comm: string, owner: Owner): Ancestor[] {
    const chain = this.chain(ppid);
    this.set(pid, { ...owner, ppid, comm, exitedAt: null });
    return chain;
  }

  exit(pid: number, nowMs: number): void {
    const p = this.procs.get(pid);
    if (p) p.exitedAt = nowMs;
  }

  /** pid and its ancestors, nearest first, up to `depth` or the first unknown pid. */
  chain(pid: number): Ancestor[] {
    const out: Ancestor[] = [];
    const seen = new Set<number>();
    for (let cur = pid; cur > 0 && out.length < this.depth && !seen.has(cur); ) {
      seen.add(cur);
      const p = this.procs.get(cur);
      if (!p) break;
      out.push({ pid: cur, comm: p.comm, namespace: p.namespace, pod: p.pod, container: p.container, host: p.host });
      cur = p.ppid;
    }
    return out;
  }

  /** Forgets processes that exited more than exitGraceMs ago. */
  expire(nowMs: number): void {
    for (const [pid, p] of this.procs) if (p.exitedAt !== null && nowMs - p.exitedAt >= this.exitGraceMs) this.procs.delete(pid);
  }

  private set(pid: number, p: Proc): void {
    this.procs.delete(pid); // re-insert: Map order is then oldest-touched first
    this.procs.set(pid, p);
    if (this.procs.size > this.maxEntries) {
      // Over the cap: drop exited processes first, then the least recently touched.
      for (const [k, v] of this.procs) {
        if (this.procs.size <= this.maxEntries) break;
        if (v.exitedAt !== null) this.procs.delete(k);
      }
      for (const k of this.procs.keys()) {
        if (this.procs.size <= this.maxEntries) break;
        this.procs.delete(k);
      }
    }
  }
}
