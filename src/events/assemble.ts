/**
 * Records → ExecEvents. One exec arrives as E, A×argc and X records (see bpf/trace-exec.bt.tmpl);
 * X may come first, since the task can change CPU during exec and each CPU has its own buffer. Records
 * are joined by (tid, enter time); an exec whose records do not all come within holdMs is emitted with
 * what arrived (retval null, argsTruncated when arguments are missing), never dropped.
 */
import type { ExecEvent } from './types.js';
import type { TraceRecord } from './records.js';
import { decodeWaitStatus } from './wait-status.js';

export interface AssemblerOptions {
  /** The program's string buffer size: a string of strlen - 1 bytes may have been cut. */
  strlen: number;
  /** How many path components (leaf first) the program prints per cgroup before it stops climbing. */
  levels: number;
  /** How many arguments the program reads (its ARGS_MAX); an E record's argc above it means more. Default 32. */
  argsMax?: number;
  /** How long to wait for an exec's missing records before emitting what came. */
  holdMs?: number;
  /** Upper bound on remembered cgroup paths (one per cgroup seen; a node has a few thousand). */
  maxCgroups?: number;
  /**
   * --exits: remember each pid's last successful exec, so that its end (Z record) can be reported
   * as that exec's. Default false.
   */
  exits?: boolean;
  /** Upper bound on remembered execs for --exits (the program's own bound, EXEC_KEYS); oldest go first. */
  maxExecd?: number;
}

export interface AssemblerStats {
  events: number;
  /** Events emitted after holdMs with records missing (the exit record, or arguments). */
  incomplete: number;
  /** Exit records whose exec never entered while we traced (started before the tracer). */
  orphanExits: number;
  /** --exits: ends of processes whose exec was not seen (lost, or forgotten past maxExecd): dropped. */
  unknownEnds: number;
  lost: number;
  malformed: number;
}

/** A successful exec's strings read again from the new program (F and R records). */
interface Again {
  filename: string | null;
  /** The new program's argc (F); R records are expected for min(argc, argsMax) of them. */
  argc: number | null;
  args: (string | undefined)[];
  seen: number;
}

interface Pending {
  tid: number;
  e: Extract<TraceRecord, { kind: 'execEnter' }>;
  again: Again | null;
  args: (string | undefined)[];
  argsSeen: number;
  x: Extract<TraceRecord, { kind: 'execReturn' }> | null;
  since: number;
}

type Exit = Extract<TraceRecord, { kind: 'execReturn' }>;
type End = Extract<TraceRecord, { kind: 'processEnd' }>;

/** X's upper field → ExecEvent.upperLayer: 0 not overlayfs or not known, 1 upper layer, 2 lower. */
const UPPER_LAYER = [null, true, false] as const;

/** What most records complete: nothing (shared, frozen: records come ~3 per exec). */
const NONE: readonly ExecEvent[] = Object.freeze([]);

export class ExecAssembler {
  readonly stats: AssemblerStats = { events: 0, incomplete: 0, orphanExits: 0, unknownEnds: 0, lost: 0, malformed: 0 };
  private readonly holdMs: number;
  private readonly maxCgroups: number;
  private readonly argsMax: number;
  private clock: { monoNs: bigint; wallMs: number } | null = null;
  private readonly pending = new Map<string, Pending>();
  private readonly orphanExit = new Map<string, { x: Exit; since: number }>();
  /** F and R records that came before their exec's E (they are printed on another CPU). */
  private readonly earlyAgain = new Map<string, { again: Again; since: number }>();
  /** --exits: pid → its last successful exec, emitted (Map order: oldest first, for the bound). */
  private readonly execd = new Map<number, { event: ExecEvent; monoNs: bigint }>();
  /** --exits: ends that came before their exec was emitted (another CPU, or records still missing). */
  private readonly earlyEnds = new Map<number, { z: End; since: number }>();
  private readonly maxExecd: number;
  /** "hier:id" → path components, leaf first ('' marks the hierarchy root). */
  private readonly components = new Map<string, string[]>();
  /** Per hierarchy (index 1 and 2): cgroup id → path. */
  private readonly paths = [new Map<string, string>(), new Map<string, string>(), new Map<string, string>()] as const;

  constructor(private readonly opts: AssemblerOptions) {
    this.holdMs = opts.holdMs ?? 2000;
    this.maxCgroups = opts.maxCgroups ?? 100_000;
    this.argsMax = opts.argsMax ?? 32;
    this.maxExecd = opts.maxExecd ?? 65_536;
  }

  /** Feeds one record received at wall time nowMs; returns the execs it completed. */
  push(rec: TraceRecord, nowMs: number): readonly ExecEvent[] {
    switch (rec.kind) {
      case 'clock':
        this.clock = { monoNs: rec.monoNs, wallMs: nowMs };
        return NONE;
      case 'cgroupName': {
        if (!this.addComponent(rec.hier, rec.cgroupId, rec.level, rec.name)) return NONE;
        // Execs in this cgroup may have had every other record already (its P records are printed
        // once, by whichever exec saw the cgroup first, maybe on another CPU): finish them now.
        const done: ExecEvent[] = [];
        for (const p of this.pending.values()) {
          if ((rec.hier === 2 ? p.e.cg2 : p.e.cg1) === rec.cgroupId) done.push(...this.completeIfDone(p));
        }
        return done;
      }
      case 'execEnter': {
        const p: Pending = { tid: rec.tid, e: rec, again: null, args: new Array(Math.min(rec.argc, this.argsMax)), argsSeen: 0, x: null, since: nowMs };
        const key = rec.key;
        const early = this.orphanExit.get(key);
        if (early) {
          this.orphanExit.delete(key);
          p.x = early.x;
        }
        const again = this.earlyAgain.get(key);
        if (again) {
          this.earlyAgain.delete(key);
          p.again = again.again;
        }
        this.pending.set(key, p);
        return NONE;
      }
      case 'execArg': {
        const p = this.pending.get(rec.key);
        if (!p || rec.index >= p.args.length || p.args[rec.index] !== undefined) return NONE;
        p.args[rec.index] = rec.arg;
        p.argsSeen++;
        return this.completeIfDone(p);
      }
      case 'rereadFilename':
      case 'rereadArg': {
        const p = this.pending.get(rec.key);
        let again = p ? p.again : (this.earlyAgain.get(rec.key)?.again ?? null);
        if (!again) {
          again = { filename: null, argc: null, args: [], seen: 0 };
          if (p) p.again = again;
          else this.earlyAgain.set(rec.key, { again, since: nowMs });
        }
        if (rec.kind === 'rereadFilename') {
          again.filename = rec.filename;
          again.argc = rec.argc;
        } else if (rec.index < this.argsMax && again.args[rec.index] === undefined) {
          again.args[rec.index] = rec.arg;
          again.seen++;
        }
        return p ? this.completeIfDone(p) : NONE;
      }
      case 'execReturn': {
        const key = rec.key;
        const p = this.pending.get(key);
        if (!p) {
          this.orphanExit.set(key, { x: rec, since: nowMs });
          return NONE;
        }
        p.x = rec;
        return this.completeIfDone(p);
      }
      case 'processEnd':
        return this.end(rec, nowMs);
      case 'lost':
        this.stats.lost += rec.count;
        return NONE;
      case 'malformed':
        this.stats.malformed++;
        return NONE;
      default:
        return NONE;
    }
  }

  /** Emits execs that waited longer than holdMs (all of them with force, at the end of the stream). */
  expire(nowMs: number, force = false): ExecEvent[] {
    const out: ExecEvent[] = [];
    for (const p of this.pending.values()) {
      if (force || nowMs - p.since >= this.holdMs) {
        this.stats.incomplete++;
        out.push(...this.finish(p));
      }
    }
    for (const [pid, o] of this.earlyEnds) {
      if (force || nowMs - o.since >= this.holdMs) {
        this.earlyEnds.delete(pid);
        this.stats.unknownEnds++;
      }
    }
    for (const [key, o] of this.orphanExit) {
      if (force || nowMs - o.since >= this.holdMs) {
        this.orphanExit.delete(key);
        this.stats.orphanExits++;
      }
    }
    for (const [key, o] of this.earlyAgain) if (force || nowMs - o.since >= this.holdMs) this.earlyAgain.delete(key);
    return out.sort((a, b) => a.timeMs - b.timeMs);
  }

  /** How many execs are waiting for records: the join and the benchmark watch this stay bounded. */
  get waiting(): number {
    return this.pending.size + this.orphanExit.size + this.earlyAgain.size + this.earlyEnds.size;
  }

  /** How many pids' last execs are remembered for --exits (bounded by maxExecd). */
  get remembered(): number {
    return this.execd.size;
  }

  /** A Z record: the end of the process whose exec it names, or held until that exec is emitted. */
  private end(z: End, nowMs: number): readonly ExecEvent[] {
    const known = this.execd.get(z.pid);
    if (known && known.monoNs === z.execMonoNs) {
      this.execd.delete(z.pid);
      return [this.ended(known.event, known.monoNs, z)];
    }
    // Its exec is still being assembled (or was lost: then it is dropped after holdMs).
    if (this.opts.exits) this.earlyEnds.set(z.pid, { z, since: nowMs });
    else this.stats.unknownEnds++;
    return NONE;
  }

  /** The event of a process's end: its exec's fields, the time of the end, how it ended. */
  private ended(exec: ExecEvent, execMonoNs: bigint, z: End): ExecEvent {
    const durationMs = Math.round(Number(z.monoNs - execMonoNs) / 1000) / 1000;
    return { ...exec, timeMs: this.wallMs(z.monoNs, exec.timeMs + durationMs), exit: { ...decodeWaitStatus(z.status), durationMs } };
  }

  /** The wall time of a kernel monotonic time, by the tracer's clock reference (B); `fallback` without one. */
  private wallMs(monoNs: bigint, fallback: number): number {
    return this.clock ? this.clock.wallMs + Number(monoNs - this.clock.monoNs) / 1e6 : fallback;
  }

  /** Emits an exec, and with --exits remembers it for its end (which may already have come). */
  private finish(p: Pending): ExecEvent[] {
    const e = this.emit(p);
    if (!this.opts.exits || e.retval !== 0) return [e];
    const early = this.earlyEnds.get(e.pid);
    if (early && early.z.execMonoNs === p.e.monoNs) {
      this.earlyEnds.delete(e.pid);
      return [e, this.ended(e, p.e.monoNs, early.z)];
    }
    this.execd.delete(e.pid); // re-insert: Map order is oldest exec first
    this.execd.set(e.pid, { event: e, monoNs: p.e.monoNs });
    if (this.execd.size > this.maxExecd) {
      const oldest = this.execd.keys().next().value;
      if (oldest !== undefined) this.execd.delete(oldest);
    }
    return [e];
  }

  private completeIfDone(p: Pending): readonly ExecEvent[] {
    if (p.x === null || p.argsSeen < p.args.length) return NONE;
    if (!this.pathKnown(2, p.e.cg2) || !this.pathKnown(1, p.e.cg1)) return NONE;
    // The program reads a successful exec's strings again when one read as empty (a page the process
    // had not touched yet): wait for that second reading (held no longer than holdMs).
    if (p.x.retval === 0 && readAsEmpty(p) && !againComplete(p.again, this.argsMax)) return NONE;
    return this.finish(p);
  }

  private emit(p: Pending): ExecEvent {
    this.pending.delete(p.e.key);
    this.stats.events++;
    const cut = this.opts.strlen - 1;
    const { filename, args } = strings(p, this.argsMax);
    const argsTruncated =
      p.e.argc > this.argsMax ||
      p.argsSeen < p.args.length ||
      args.some((a) => mayBeCut(a, cut)) ||
      mayBeCut(filename, cut) ||
      // An exec of "" cannot succeed: an empty filename on a successful exec means its strings sat
      // in a page the process had not touched yet, which a BPF read cannot fault in…
      (filename === '' && p.x?.retval === 0) ||
      // …and the second reading, from the new program, did not all come.
      (p.x?.retval === 0 && readAsEmpty(p) && !againComplete(p.again, this.argsMax));
    const timeMs = this.wallMs(p.e.monoNs, p.since);
    return {
      timeMs,
      pid: p.e.pid,
      tid: p.tid,
      ppid: p.e.ppid,
      uid: p.e.uid,
      comm: p.x?.comm ?? '',
      filename,
      args,
      argsTruncated,
      retval: p.x?.retval ?? null,
      cgroupV2: this.path(2, p.e.cg2),
      cgroupV1: this.path(1, p.e.cg1),
      upperLayer: UPPER_LAYER[p.x?.upper ?? 0],
    };
  }

  /** id 0 means the program did not read that hierarchy. */
  private pathKnown(hier: 1 | 2, id: string): boolean {
    return id === '0' || this.paths[hier].has(id);
  }

  private path(hier: 1 | 2, id: string): string | null {
    return id === '0' ? null : (this.paths[hier].get(id) ?? null);
  }

  /** Records one path component; true when it completed the path. */
  private addComponent(hier: 1 | 2, id: string, level: number, name: string): boolean {
    const key = `${hier}:${id}`;
    let parts = this.components.get(key);
    if (!parts) {
      parts = [];
      this.components.set(key, parts);
    }
    parts[level] = name;
    // The path is known once every level up to the root ('') came, or the program's depth ran out.
    const rootAt = parts.indexOf('');
    const top = rootAt >= 0 ? rootAt : this.opts.levels;
    for (let i = 0; i < top; i++) if (parts[i] === undefined) return false;
    const names = parts.slice(0, top).reverse();
    const paths = this.paths[hier];
    paths.set(id, (rootAt >= 0 ? '/' : '…/') + names.join('/'));
    this.components.delete(key);
    if (paths.size > this.maxCgroups) {
      const oldest = paths.keys().next().value;
      if (oldest !== undefined) paths.delete(oldest);
    }
    return true;
  }
}

/**
 * Whether s may have filled the program's string buffer (strlen - 1 bytes of UTF-8): a string of n
 * UTF-16 units has at most 3n bytes, so only long strings need counting.
 */
function mayBeCut(s: string, cut: number): boolean {
  return s.length * 3 >= cut && Buffer.byteLength(s) >= cut;
}

/** What the program itself tests: the filename or an argument read as empty at entry. */
function readAsEmpty(p: Pending): boolean {
  return p.e.filename === '' || p.args.some((a) => a === '');
}

function againComplete(again: Again | null, argsMax: number): boolean {
  return again !== null && again.filename !== null && again.argc !== null && again.seen >= Math.min(again.argc, argsMax);
}

/**
 * The exec's filename and argv: as read at entry, with what read as empty there taken from the
 * second reading when there is one. argv of the new program is the exec's argv unless the kernel
 * put an interpreter in front (#! scripts): with the same count, each empty argument is filled from
 * it; with another count, it replaces argv only when every argument read as empty.
 */
function strings(p: Pending, argsMax: number): { filename: string; args: string[] } {
  const entry = Array.from(p.args, (a) => a ?? '');
  const again = p.again;
  if (!again) return { filename: p.e.filename, args: entry };
  const filename = p.e.filename === '' && again.filename ? again.filename : p.e.filename;
  const count = again.argc !== null ? Math.min(again.argc, argsMax) : again.args.length;
  const reread = Array.from({ length: count }, (_, i) => again.args[i] ?? '');
  let args = entry;
  if (reread.length === entry.length) args = entry.map((a, i) => (a === '' ? reread[i]! : a));
  else if (entry.every((a) => a === '') && reread.length > 0) args = reread;
  return { filename, args };
}
