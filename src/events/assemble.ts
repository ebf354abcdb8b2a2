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
import type { ExecEvent } from './types.js';
import { isKey, keyOf, type HotFields, type TraceRecord } from './records.js';
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

/**
 * One exec while its records come in: created by its entry (E) or — when that comes later, from
 * another CPU — by its return (X), and filled in place from the records' fields (src/events/
 * records.ts HotFields) or record objects. All fields are set in the constructor: one shape.
 */
class Pending {
  key: string;
  entered = false;
  tid = 0;
  pid = 0;
  ppid = 0;
  uid = 0;
  /** The enter clock as printed. */
  mono = '';
  cg2 = '';
  cg1 = '';
  argc = 0;
  filename = '';
  args: (string | undefined)[] = NO_ARGS;
  argsSeen = 0;
  /** The return record (X) came; the fields below are its. */
  returned = false;
  retval = 0;
  upper: 0 | 1 | 2 = 0;
  memfd = false;
  deleted = false;
  tree: 0 | 1 | 2 = 0;
  tty = 0;
  loginUid: number | null = null;
  sessionId: number | null = null;
  leader = 0;
  cwdId = '';
  exeId = '';
  comm = '';
  again: Reread | null = null;
  since: number;

  constructor(key: string, since: number) {
    this.key = key;
    this.since = since;
  }
}

const NO_ARGS: (string | undefined)[] = [];

/** execReturn's upper field → ExecEvent.upperLayer: 0 not overlayfs or not known, 1 upper layer, 2 lower. */
const UPPER_LAYER = [null, true, false] as const;

/** execReturn's tree field → ExecEvent.inInitTree: 0 not known, 1 in the init tree, 2 entered from outside. */
const INIT_TREE = [null, true, false] as const;

/** What most records complete: nothing (shared, frozen). */
const NONE: readonly ExecEvent[] = Object.freeze([]);

/** Record objects (push) and record fields (enter, arg, ret: the decoder's hot path) both end here. */
export class ExecAssembler {
  private readonly counts = { events: 0, incomplete: 0, orphanReturns: 0, lost: 0, malformed: 0 };
  private readonly holdMs: number;
  private readonly argsMax: number;
  private readonly cut: number;
  private readonly exits: boolean;
  private readonly clock = new TracerClock();
  private readonly cgroups: CgroupPaths;
  private readonly paths: PathNames;
  private readonly ends: ProcessEnds;
  private readonly pending = new Map<string, Pending>();
  /** Return records that came before their exec's entry (a Pending not entered yet). */
  private readonly earlyReturns: Held<string, Pending>;
  /** Second readings that came before their exec's entry (they are printed on another CPU). */
  private readonly earlyRereads: Held<string, Reread>;
  /** Where push() collects what a record completed; null: straight to `emit`. */
  private out: ExecEvent[] | null = null;
  /**
   * The exec that entered last, while it waits: its arguments and return nearly always come next,
   * found without making their key and looking it up.
   */
  private last: Pending | null = null;

  /**
   * @param emit receives the execs that the field methods (enter, arg, ret) complete, in order; push()
   *   and expire() return theirs instead.
   */
  constructor(
    opts: AssemblerOptions,
    private readonly emit: (e: ExecEvent) => void = () => {},
  ) {
    this.holdMs = opts.holdMs ?? 2000;
    this.argsMax = opts.argsMax ?? 32;
    this.cut = opts.strlen - 1;
    this.exits = opts.exits ?? false;
    this.cgroups = new CgroupPaths(opts.levels, opts.maxCgroups ?? 100_000);
    this.paths = new PathNames(opts.strlen, opts.maxCgroups ?? 100_000);
    this.ends = new ProcessEnds({ exits: this.exits, maxExecd: opts.maxExecd ?? 65_536, holdMs: this.holdMs }, this.clock);
    this.earlyReturns = new Held(this.holdMs);
    this.earlyRereads = new Held(this.holdMs);
  }

  /** A clock reading of this stream (as printed by the tracer) as wall time; `fallback` before the clock record. */
  wallMs(monoNs: bigint, fallback: number): number {
    return this.clock.wallMs(monoNs, fallback);
  }

  /** The path of a cgroup id of hierarchy `hier`, as its P records named it; null until they did. */
  cgroupPath(hier: 1 | 2, id: string): string | null {
    return this.cgroups.path(hier, id);
  }

  get stats(): AssemblerStats {
    return { ...this.counts, unknownEnds: this.ends.unknown };
  }

  /** Feeds one record received at wall time nowMs; returns the execs it completed. */
  push(rec: TraceRecord, nowMs: number): readonly ExecEvent[] {
    const outer = this.out;
    const out: ExecEvent[] = [];
    this.out = out;
    try {
      this.apply(rec, nowMs);
    } finally {
      this.out = outer;
    }
    return out.length === 0 ? NONE : out;
  }

  private apply(rec: TraceRecord, nowMs: number): void {
    switch (rec.kind) {
      case 'clock':
        this.clock.set(rec.monoNs, nowMs);
        return;
      case 'cgroupName': {
        if (!this.cgroups.add(rec.hier, rec.cgroupId, rec.level, rec.name)) return;
        // Execs in this cgroup may have had every other record already (its names are printed
        // once, by whichever exec saw the cgroup first, maybe on another CPU): finish them now.
        for (const p of this.pending.values()) if ((rec.hier === 2 ? p.cg2 : p.cg1) === rec.cgroupId) this.completeIfDone(p);
        return;
      }
      case 'pathName': {
        if (!this.paths.add(rec.pathId, rec.level, rec.name)) return;
        // As for cgroups: the path is printed once, maybe on another CPU than an exec that uses it.
        for (const p of this.pending.values()) if (p.returned && (p.cwdId === rec.pathId || p.exeId === rec.pathId)) this.completeIfDone(p);
        return;
      }
      case 'execEnter':
        this.entered(rec.key, rec.tid, rec.pid, rec.ppid, rec.uid, String(rec.monoNs), rec.cg2, rec.cg1, rec.argc, rec.filename, nowMs);
        return;
      case 'execArg':
        this.argument(rec.key, rec.index, rec.arg);
        return;
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
        if (p) this.completeIfDone(p);
        return;
      }
      case 'execReturn': {
        const p = this.returnOf(rec.key, nowMs);
        p.retval = rec.retval;
        p.upper = rec.upper;
        p.memfd = rec.memfd;
        p.deleted = rec.deleted;
        p.tree = rec.tree;
        p.tty = rec.tty;
        p.loginUid = rec.loginUid;
        p.sessionId = rec.sessionId;
        p.leader = rec.leader;
        p.cwdId = rec.cwdId;
        p.exeId = rec.exeId;
        p.comm = rec.comm;
        if (p.entered) this.completeIfDone(p);
        return;
      }
      case 'processEnd':
        for (const e of this.ends.end(rec, nowMs)) this.deliver(e);
        return;
      case 'lost':
        this.counts.lost += rec.count;
        return;
      case 'malformed':
        this.counts.malformed++;
        return;
      default:
        return;
    }
  }

  /** An execEnter record's fields (E), received at nowMs. */
  enter(f: HotFields, nowMs: number): void {
    this.entered(f.key, f.tid, f.pid, f.ppid, f.uid, f.mono, f.cg2, f.cg1, f.n, f.text, nowMs);
  }

  /** An execArg record's fields (A). */
  arg(f: HotFields): void {
    const last = this.last;
    const p = last !== null && isKey(f, last.key) ? last : this.pending.get(keyOf(f));
    if (p) this.argumentOf(p, f.n, f.text);
  }

  /** An execReturn record's fields (X), received at nowMs. */
  ret(f: HotFields, nowMs: number): void {
    const last = this.last;
    const p = last !== null && isKey(f, last.key) ? this.returned(last) : this.returnOf(keyOf(f), nowMs);
    p.retval = f.retval;
    p.upper = f.upper;
    p.memfd = f.memfd;
    p.deleted = f.deleted;
    p.tree = f.tree;
    p.tty = f.tty;
    p.loginUid = f.loginUid;
    p.sessionId = f.sessionId;
    p.leader = f.leader;
    p.cwdId = f.cwdId;
    p.exeId = f.exeId;
    p.comm = f.text;
    if (p.entered) this.completeIfDone(p);
  }

  private entered(
    key: string,
    tid: number,
    pid: number,
    ppid: number,
    uid: number,
    mono: string,
    cg2: string,
    cg1: string,
    argc: number,
    filename: string,
    nowMs: number,
  ): void {
    // Its return may have come first (another CPU): that Pending is this exec's from now on.
    const p = this.earlyReturns.take(key) ?? new Pending(key, nowMs);
    p.entered = true;
    p.since = nowMs;
    p.tid = tid;
    p.pid = pid;
    p.ppid = ppid;
    p.uid = uid;
    p.mono = mono;
    p.cg2 = cg2;
    p.cg1 = cg1;
    p.argc = argc;
    p.filename = filename;
    p.args = new Array(Math.min(argc, this.argsMax));
    p.argsSeen = 0;
    p.again = this.earlyRereads.take(key) ?? null;
    this.pending.set(key, p);
    this.last = p;
  }

  private argument(key: string, index: number, arg: string): void {
    const p = this.pending.get(key);
    if (p) this.argumentOf(p, index, arg);
  }

  private argumentOf(p: Pending, index: number, arg: string): void {
    if (index >= p.args.length || p.args[index] !== undefined) return;
    p.args[index] = arg;
    p.argsSeen++;
    this.completeIfDone(p);
  }

  private returned(p: Pending): Pending {
    p.returned = true;
    return p;
  }

  /** The Pending a return record fills: its exec's, or one held for an entry still to come. */
  private returnOf(key: string, nowMs: number): Pending {
    const p = this.pending.get(key);
    if (p) return this.returned(p);
    const early = new Pending(key, nowMs);
    early.returned = true;
    // A later return for the same key replaces the one held (as a record held under it would).
    this.earlyReturns.hold(key, early, nowMs);
    return early;
  }

  /** Emits execs that waited longer than holdMs (all of them with force, at the end of the stream). */
  expire(nowMs: number, force = false): ExecEvent[] {
    const outer = this.out;
    const out: ExecEvent[] = [];
    this.out = out;
    try {
      for (const p of this.pending.values()) {
        if (force || nowMs - p.since >= this.holdMs) {
          this.counts.incomplete++;
          this.finish(p);
        }
      }
    } finally {
      this.out = outer;
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

  private deliver(e: ExecEvent): void {
    if (this.out) this.out.push(e);
    else this.emit(e);
  }

  private completeIfDone(p: Pending): void {
    if (!p.returned || p.argsSeen < p.args.length) return;
    if (!this.cgroups.known(2, p.cg2) || !this.cgroups.known(1, p.cg1)) return;
    if (!this.paths.known(p.cwdId) || !this.paths.known(p.exeId)) return;
    // The program reads a successful exec's strings again when one read as empty: wait for that
    // second reading (held no longer than holdMs).
    if (p.retval === 0 && this.rereadMissing(p)) return;
    this.finish(p);
  }

  /** The exec read some string as empty at entry and its second reading did not all come (yet). */
  private rereadMissing(p: Pending): boolean {
    return readAsEmpty(p.filename, p.args) && !(p.again?.complete ?? false);
  }

  /** Emits an exec, and with --exits its end when that already came. */
  private finish(p: Pending): void {
    const e = this.event(p);
    if (!this.exits) return this.deliver(e);
    for (const x of this.ends.emitted(e, BigInt(p.mono))) this.deliver(x);
  }

  private event(p: Pending): ExecEvent {
    this.pending.delete(p.key);
    if (p === this.last) this.last = null;
    this.counts.events++;
    const cut = this.cut;
    // Every argument came and none is to be read again: argv is the array they came into.
    const { filename, args } =
      p.again === null && p.argsSeen === p.args.length
        ? { filename: p.filename, args: p.args as string[] }
        : execStrings(p.filename, p.args, p.again, this.argsMax);
    let argsTruncated = p.argc > this.argsMax || p.argsSeen < p.args.length || mayBeCut(filename, cut);
    for (let i = 0; !argsTruncated && i < args.length; i++) argsTruncated = mayBeCut(args[i]!, cut);
    const ret = p.returned;
    const ok = ret && p.retval === 0;
    argsTruncated ||=
      // An exec of "" cannot succeed: an empty filename on a successful exec means its strings sat
      // in a page the process had not touched yet, which a BPF read cannot fault in…
      (filename === '' && ok) ||
      // …and the second reading, from the new program, did not all come.
      (ok && this.rereadMissing(p));
    // What X says about the process and its new program (ExecContext): all unknown without X; the
    // executable and its properties are the new program's: a failed exec has none.
    const cwd = ret ? this.paths.get(p.cwdId) : null;
    // One literal, fields in ExecEvent's order (one shape for V8).
    return {
      timeMs: this.clock.wallMsOf(p.mono, p.since),
      pid: p.pid,
      tid: p.tid,
      ppid: p.ppid,
      uid: p.uid,
      comm: ret ? p.comm : '',
      filename,
      args,
      argsTruncated,
      retval: ret ? p.retval : null,
      cgroupV2: this.cgroups.path(2, p.cg2),
      cgroupV1: this.cgroups.path(1, p.cg1),
      upperLayer: UPPER_LAYER[ret ? p.upper : 0],
      cwd: cwd?.path ?? null,
      cwdTruncated: cwd?.cut ?? false,
      exe: ok ? (this.paths.get(p.exeId)?.path ?? null) : null,
      exeFromMemfd: ok ? p.memfd : null,
      exeDeleted: ok ? p.deleted : null,
      tty: ret ? ttyName(p.tty) : null,
      loginUid: ret ? p.loginUid : null,
      sessionId: ret ? p.sessionId : null,
      inInitTree: INIT_TREE[ret ? p.tree : 0],
      sessionLeaderPid: ret && p.leader !== 0 ? p.leader : null,
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
