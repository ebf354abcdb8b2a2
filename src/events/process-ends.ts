/**
 * --exits: the end of each process exec'd while tracing (processEnd records, Z), reported as an
 * event of its last successful exec. The end names that exec by its enter time; it may come before
 * the exec is emitted (another CPU, or the exec's records still missing), and is then held.
 */
import type { ExecEvent } from './types.js';
import type { TraceRecord } from './records.js';
import type { TracerClock } from './clock.js';
import { Held } from './held.js';
import { decodeWaitStatus } from './wait-status.js';

type ProcessEndRecord = Extract<TraceRecord, { kind: 'processEnd' }>;

export interface ProcessEndsOptions {
  /** --exits: remember execs for their ends (without it, every end is unknown). */
  exits: boolean;
  /** Upper bound on remembered execs (the program's own bound, EXEC_KEYS); oldest go first. */
  maxExecd: number;
  holdMs: number;
}

export class ProcessEnds {
  /** pid → its last successful exec, emitted (Map order: oldest first, for the bound). */
  private readonly execd = new Map<number, { event: ExecEvent; monoNs: bigint }>();
  /** pid → an end that came before its exec was emitted. */
  private readonly early: Held<number, ProcessEndRecord>;
  /** Ends whose exec was not seen (lost, or forgotten past maxExecd): dropped. */
  unknown = 0;

  constructor(
    private readonly opts: ProcessEndsOptions,
    private readonly clock: TracerClock,
  ) {
    this.early = new Held(opts.holdMs);
  }

  /** A processEnd record: the event of its exec's end, or nothing while that exec is not emitted yet. */
  end(z: ProcessEndRecord, nowMs: number): ExecEvent[] {
    const known = this.execd.get(z.pid);
    if (known && known.monoNs === z.execMonoNs) {
      this.execd.delete(z.pid);
      return [this.ended(known.event, known.monoNs, z)];
    }
    // Its exec is still being assembled (or was lost: then it is dropped after holdMs).
    if (this.opts.exits) this.early.hold(z.pid, z, nowMs);
    else this.unknown++;
    return [];
  }

  /** An exec was emitted (entered at execMonoNs): it, and its end when that already came. */
  emitted(e: ExecEvent, execMonoNs: bigint): ExecEvent[] {
    if (!this.opts.exits || e.retval !== 0) return [e];
    const early = this.early.get(e.pid);
    if (early && early.execMonoNs === execMonoNs) {
      this.early.take(e.pid);
      return [e, this.ended(e, execMonoNs, early)];
    }
    this.execd.delete(e.pid); // re-insert: Map order is oldest exec first
    this.execd.set(e.pid, { event: e, monoNs: execMonoNs });
    if (this.execd.size > this.opts.maxExecd) {
      const oldest = this.execd.keys().next().value;
      if (oldest !== undefined) this.execd.delete(oldest);
    }
    return [e];
  }

  /** Drops ends held holdMs (all with force) whose exec never came. */
  expire(nowMs: number, force: boolean): void {
    this.unknown += this.early.expire(nowMs, force);
  }

  /** Ends held for their exec. */
  get waiting(): number {
    return this.early.size;
  }

  /** Execs remembered for their ends (bounded by maxExecd). */
  get remembered(): number {
    return this.execd.size;
  }

  /** The event of a process's end: its exec's fields, the time of the end, how it ended. */
  private ended(exec: ExecEvent, execMonoNs: bigint, z: ProcessEndRecord): ExecEvent {
    const durationMs = Math.round(Number(z.monoNs - execMonoNs) / 1000) / 1000;
    return { ...exec, timeMs: this.clock.wallMs(z.monoNs, exec.timeMs + durationMs), exit: { ...decodeWaitStatus(z.status), durationMs } };
  }
}
