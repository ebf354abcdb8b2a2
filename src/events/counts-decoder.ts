/**
 * The read path in counting mode (-o summary, src/trace/node-counts.ts): the batcher sends count
 * records (counts.ts) and passes on, as written, everything it did not count — the cgroup names
 * (P), the clock (B), and the execs it left whole (sessions, drift, …). Count records become one
 * event each, standing for the execs counted (ExecEvent.count); every other line takes the per-exec
 * path (TraceDecoder) unchanged.
 */
import { COUNT_HEAD, parseCount, type CountRecord } from './counts.js';
import { TraceDecoder } from './decoder.js';
import type { AssemblerStats } from './assemble.js';
import { UNKNOWN_CONTEXT, type ExecEvent } from './types.js';

export class CountingDecoder extends TraceDecoder {
  private badCounts = 0;

  override get stats(): AssemblerStats {
    const s = super.stats;
    return { ...s, malformed: s.malformed + this.badCounts };
  }

  /** A count record becomes its event, with the clock and cgroup names the assembler keeps; any other line as per exec. */
  protected override line(s: string, from: number, to: number, nowMs: number): void {
    if (!s.startsWith(COUNT_HEAD, from)) return super.line(s, from, to, nowMs);
    const line = s.slice(from, to);
    const rec = parseCount(line);
    if (typeof rec === 'string') {
      this.badCounts++;
      this.sink.notice({ kind: 'malformed', line, reason: rec });
    } else if (rec.execs + rec.searches > 0) {
      this.sink.event(this.event(rec, nowMs));
    }
  }

  private event(r: CountRecord, now: number): ExecEvent {
    const firstMs = this.assembler.wallMs(r.firstNs, now);
    return {
      timeMs: firstMs,
      pid: 0,
      tid: 0,
      ppid: 0,
      uid: 0,
      comm: r.comm,
      filename: '',
      args: r.argv,
      argsTruncated: false,
      retval: null,
      cgroupV2: this.assembler.cgroupPath(2, r.cg2),
      cgroupV1: this.assembler.cgroupPath(1, r.cg1),
      upperLayer: null,
      ...UNKNOWN_CONTEXT,
      count: {
        execs: r.execs,
        failed: r.failed,
        errnos: r.errnos,
        searches: r.searches,
        firstMs,
        lastMs: this.assembler.wallMs(r.lastNs, now),
        argvExecs: r.argvExecs,
      },
    };
  }
}
