/**
 * Records → ExecEvents: the join of one exec's records. An exec arrives as execEnter, execArg×argc
 * and execReturn records (E, A, X in bpf/trace-exec.bt.tmpl); the return may come first, since the
 * task can change CPU during exec and each CPU has its own buffer. Records are joined by their key
 * (tid, enter time); an exec whose records do not all come within holdMs is emitted with what
 * arrived (retval null, argsTruncated when arguments are missing), never dropped.
 *
 * The other jobs are parts of their own: the clock (clock.ts), cgroup paths (cgroup-paths.ts),
 * cwd and exe paths (paths.ts), the
 * second reading of an exec's strings (reread.ts), process ends for --exits (process-ends.ts).
 */
import type { ExecContext, ExecEvent } from './types.js';
import type { TraceRecord } from './records.js';
import { CgroupPaths } from './cgroup-paths.js';
import { TracerClock } from './clock.js';
import { Held } from './held.js';
import { PathNames } from './paths.js';
import { ProcessEnds } from './process-ends.js';
import { execStrings, readAsEmpty, Reread } from './reread.js';
import { ttyName } from './tty.js';

export interface AssemblerOptions {
  /** The program's string buffer size: a string of strlen - 1 bytes may have been cut. */
  strlen: number;
  /** How many path components (leaf first) the program prints per cgroup before it stops climbing. */
  levels: number;
  /** How many arguments the program reads (its ARGS_MAX); an execEnter's argc above it means more. Default 32. */
  argsMax?: number;
  /** How long to wait for an exec's missing records before emitting what came. */
  holdMs?: number;
  /** Upper bound on remembered cgroup paths (one per cgroup seen; a node has a few thousand). */
  maxCgroups?: number;
  /**
   * --exits: remember each pid's last successful exec, so that its end (processEnd record) can be
   * reported as that exec's. Default false.
   */
  exits?: boolean;
  /** Upper bound on remembered execs for --exits (the program's own bound, EXEC_KEYS); oldest go first. */
  maxExecd?: number;
}

export interface AssemblerStats {
  events: number;
  /** Events emitted after holdMs with records missing (the return record, or arguments). */
  incomplete: number;
  /** Return records whose exec never entered while we traced (started before the tracer). */
  orphanReturns: number;
  /** --exits: ends of processes whose exec was not seen (lost, or forgotten past maxExecd): dropped. */
  unknownEnds: number;
  lost: number;
  malformed: number;
}

type Enter = Extract<TraceRecord, { kind: 'execEnter' }>;
type Return = Extract<TraceRecord, { kind: 'execReturn' }>;

/** An exec whose entry came, waiting for the rest of its records. */
interface Pending {
  enter: Enter;
  args: (string | undefined)[];
  argsSeen: number;
  ret: Return | null;
  again: Reread | null;
  since: number;
}

/** execReturn's upper field → ExecEvent.upperLayer: 0 not overlayfs or not known, 1 upper layer, 2 lower. */
const UPPER_LAYER = [null, true, false] as const;

/** execReturn's tree field → ExecEvent.inInitTree: 0 not known, 1 in the init tree, 2 entered from outside. */
const INIT_TREE = [null, true, false] as const;

/** What most records complete: nothing (shared, frozen: records come ~3 per exec). */
const NONE: readonly ExecEvent[] = Object.freeze([]);

export class ExecAssembler {
  private readonly counts = { events: 0, incomplete: 0, orphanReturns: 0, lost: 0, malformed: 0 };
  private readonly holdMs: number;
  private readonly argsMax: number;
  private readonly clock = new TracerClock();
  private readonly cgroups: CgroupPaths;
  private readonly paths: PathNames;
  private readonly ends: ProcessEnds;
  private readonly pending = new Map<string, Pending>();
  /** Return records that came before their exec's entry. */
  private readonly earlyReturns: Held<string, Return>;
  /** Second readings that came before their exec's entry (they are printed on another CPU). */
  private readonly earlyRereads: Held<string, Reread>;

  constructor(private readonly opts: AssemblerOptions) {
    this.holdMs = opts.holdMs ?? 2000;
    this.argsMax = opts.argsMax ?? 32;
    this.cgroups = new CgroupPaths(opts.levels, opts.maxCgroups ?? 100_000);
    this.paths = new PathNames(opts.strlen, opts.maxCgroups ?? 100_000);
    this.ends = new ProcessEnds({ exits: opts.exits ?? false, maxExecd: opts.maxExecd ?? 65_536, holdMs: this.holdMs }, this.clock);
    this.earlyReturns = new Held(this.holdMs);
    this.earlyRereads = new Held(this.holdMs);
  }

  get stats(): AssemblerStats {
    return { ...this.counts, unknownEnds: this.ends.unknown };
  }

  /** Feeds one record received at wall time nowMs; returns the execs it completed. */
  push(rec: TraceRecord, nowMs: number): readonly ExecEvent[] {
    switch (rec.kind) {
      case 'clock':
        this.clock.set(rec.monoNs, nowMs);
        return NONE;
      case 'cgroupName': {
        if (!this.cgroups.add(rec.hier, rec.cgroupId, rec.level, rec.name)) return NONE;
        // Execs in this cgroup may have had every other record already (its names are printed
        // once, by whichever exec saw the cgroup first, maybe on another CPU): finish them now.
        const done: ExecEvent[] = [];
        for (const p of this.pending.values()) {
          if ((rec.hier === 2 ? p.enter.cg2 : p.enter.cg1) === rec.cgroupId) done.push(...this.completeIfDone(p));
        }
        return done;
      }
      case 'pathName': {
        if (!this.paths.add(rec.pathId, rec.level, rec.name)) return NONE;
        // As for cgroups: the path is printed once, maybe on another CPU than an exec that uses it.
        const done: ExecEvent[] = [];
        for (const p of this.pending.values()) {
          if (p.ret && (p.ret.cwdId === rec.pathId || p.ret.exeId === rec.pathId)) done.push(...this.completeIfDone(p));
        }
        return done;
      }
      case 'execEnter':
        this.pending.set(rec.key, {
          enter: rec,
          args: new Array(Math.min(rec.argc, this.argsMax)),
          argsSeen: 0,
          ret: this.earlyReturns.take(rec.key) ?? null,
          again: this.earlyRereads.take(rec.key) ?? null,
          since: nowMs,
        });
        return NONE;
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
        let again = p ? p.again : (this.earlyRereads.get(rec.key) ?? null);
        if (!again) {
          again = new Reread(this.argsMax);
          if (p) p.again = again;
          else this.earlyRereads.hold(rec.key, again, nowMs);
        }
        again.add(rec);
        return p ? this.completeIfDone(p) : NONE;
      }
      case 'execReturn': {
        const p = this.pending.get(rec.key);
        if (!p) {
          this.earlyReturns.hold(rec.key, rec, nowMs);
          return NONE;
        }
        p.ret = rec;
        return this.completeIfDone(p);
      }
      case 'processEnd':
        return this.ends.end(rec, nowMs);
      case 'lost':
        this.counts.lost += rec.count;
        return NONE;
      case 'malformed':
        this.counts.malformed++;
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
        this.counts.incomplete++;
        out.push(...this.finish(p));
      }
    }
    // After the execs above: an end held for one of them was reported with it.
    this.ends.expire(nowMs, force);
    this.counts.orphanReturns += this.earlyReturns.expire(nowMs, force);
    this.earlyRereads.expire(nowMs, force);
    return out.sort((a, b) => a.timeMs - b.timeMs);
  }

  /** How many execs are waiting for records: the join and the benchmark watch this stay bounded. */
  get waiting(): number {
    return this.pending.size + this.earlyReturns.size + this.earlyRereads.size + this.ends.waiting;
  }

  /** How many pids' last execs are remembered for --exits (bounded by maxExecd). */
  get remembered(): number {
    return this.ends.remembered;
  }

  private completeIfDone(p: Pending): readonly ExecEvent[] {
    if (p.ret === null || p.argsSeen < p.args.length) return NONE;
    if (!this.cgroups.known(2, p.enter.cg2) || !this.cgroups.known(1, p.enter.cg1)) return NONE;
    if (!this.paths.known(p.ret.cwdId) || !this.paths.known(p.ret.exeId)) return NONE;
    // The program reads a successful exec's strings again when one read as empty: wait for that
    // second reading (held no longer than holdMs).
    if (p.ret.retval === 0 && this.rereadMissing(p)) return NONE;
    return this.finish(p);
  }

  /** The exec read some string as empty at entry and its second reading did not all come (yet). */
  private rereadMissing(p: Pending): boolean {
    return readAsEmpty(p.enter.filename, p.args) && !(p.again?.complete ?? false);
  }

  /** Emits an exec, and with --exits its end when that already came. */
  private finish(p: Pending): ExecEvent[] {
    return this.ends.emitted(this.emit(p), p.enter.monoNs);
  }

  private emit(p: Pending): ExecEvent {
    this.pending.delete(p.enter.key);
    this.counts.events++;
    const cut = this.opts.strlen - 1;
    const { filename, args } = execStrings(p.enter.filename, p.args, p.again, this.argsMax);
    const argsTruncated =
      p.enter.argc > this.argsMax ||
      p.argsSeen < p.args.length ||
      args.some((a) => mayBeCut(a, cut)) ||
      mayBeCut(filename, cut) ||
      // An exec of "" cannot succeed: an empty filename on a successful exec means its strings sat
      // in a page the process had not touched yet, which a BPF read cannot fault in…
      (filename === '' && p.ret?.retval === 0) ||
      // …and the second reading, from the new program, did not all come.
      (p.ret?.retval === 0 && this.rereadMissing(p));
    return {
      timeMs: this.clock.wallMs(p.enter.monoNs, p.since),
      pid: p.enter.pid,
      tid: p.enter.tid,
      ppid: p.enter.ppid,
      uid: p.enter.uid,
      comm: p.ret?.comm ?? '',
      filename,
      args,
      argsTruncated,
      retval: p.ret?.retval ?? null,
      cgroupV2: this.cgroups.path(2, p.enter.cg2),
      cgroupV1: this.cgroups.path(1, p.enter.cg1),
      upperLayer: UPPER_LAYER[p.ret?.upper ?? 0],
      ...this.context(p.ret),
    };
  }

  /** What X says about the process and its new program; all unknown without X. */
  private context(ret: Return | null): ExecContext {
    const cwd = ret ? this.paths.get(ret.cwdId) : null;
    // The executable and its properties are the new program's: a failed exec has none.
    const ok = ret?.retval === 0;
    return {
      cwd: cwd?.path ?? null,
      cwdTruncated: cwd?.cut ?? false,
      exe: ok ? (this.paths.get(ret.exeId)?.path ?? null) : null,
      exeFromMemfd: ok ? ret.memfd : null,
      exeDeleted: ok ? ret.deleted : null,
      tty: ret ? ttyName(ret.tty) : null,
      loginUid: ret?.loginUid ?? null,
      sessionId: ret?.sessionId ?? null,
      inInitTree: INIT_TREE[ret?.tree ?? 0],
      sessionLeaderPid: ret && ret.leader !== 0 ? ret.leader : null,
    };
  }
}

/**
 * Whether s may have filled the program's string buffer (strlen - 1 bytes of UTF-8): a string of n
 * UTF-16 units has at most 3n bytes, so only long strings need counting.
 */
function mayBeCut(s: string, cut: number): boolean {
  return s.length * 3 >= cut && Buffer.byteLength(s) >= cut;
}
