/**
 * The read path in counting mode (-o summary, src/trace/node-counts.ts): the batcher sends count
 * records (counts.ts) and passes on, as written, everything it did not count — the cgroup names
 * (P), the clock (B), and the execs it left whole (sessions, drift, …). Count records become one
 * event each, standing for the execs counted (ExecEvent.count); every other line takes the per-exec
 * path (TraceDecoder) unchanged.
 */
import { CgroupPaths } from './cgroup-paths.js';
import { TracerClock } from './clock.js';
import { COUNT_HEAD, parseCount, type CountRecord } from './counts.js';
import { TraceDecoder, type DecoderSink } from './decoder.js';
import type { AssemblerOptions, AssemblerStats } from './assemble.js';
import { LineSplitter } from './lines.js';
import { parseRecord } from './records.js';
import { UNKNOWN_CONTEXT, type ExecEvent } from './types.js';

/** The records the count records need: the clock, and the cgroup names (both few per run). */
const CLOCK_HEAD = '{"type": "printf", "data": "B ';
const CGROUP_HEAD = '{"type": "printf", "data": "P ';

export class CountingDecoder extends TraceDecoder {
  private readonly split = new LineSplitter();
  private readonly clock = new TracerClock();
  private readonly cgroups: CgroupPaths;
  private badCounts = 0;

  constructor(
    opts: AssemblerOptions,
    private readonly out: DecoderSink,
    private readonly wallNow: () => number = Date.now,
  ) {
    super(opts, out, wallNow);
    this.cgroups = new CgroupPaths(opts.levels, opts.maxCgroups ?? 100_000);
  }

  override get stats(): AssemblerStats {
    const s = super.stats;
    return { ...s, malformed: s.malformed + this.badCounts };
  }

  override push(chunk: Uint8Array | string): void {
    for (const line of this.split.push(chunk)) this.take(line);
  }

  override end(): void {
    for (const line of this.split.end()) this.take(line);
    super.end();
  }

  private take(line: string): void {
    if (line.startsWith(COUNT_HEAD)) {
      const rec = parseCount(line);
      if (typeof rec === 'string') {
        this.badCounts++;
        this.out.notice({ kind: 'malformed', line, reason: rec });
      } else if (rec.execs + rec.searches > 0) {
        this.out.event(this.event(rec));
      }
      return;
    }
    if (line.startsWith(CLOCK_HEAD) || line.startsWith(CGROUP_HEAD)) {
      const rec = parseRecord(line);
      if (rec?.kind === 'clock') this.clock.set(rec.monoNs, this.wallNow());
      else if (rec?.kind === 'cgroupName') this.cgroups.add(rec.hier, rec.cgroupId, rec.level, rec.name);
    }
    super.push(`${line}\n`);
  }

  private event(r: CountRecord): ExecEvent {
    const now = this.wallNow();
    const firstMs = this.clock.wallMs(r.firstNs, now);
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
      cgroupV2: this.cgroups.path(2, r.cg2),
      cgroupV1: this.cgroups.path(1, r.cg1),
      upperLayer: null,
      ...UNKNOWN_CONTEXT,
      count: {
        execs: r.execs,
        failed: r.failed,
        errnos: r.errnos,
        searches: r.searches,
        firstMs,
        lastMs: this.clock.wallMs(r.lastNs, now),
        argvExecs: r.argvExecs,
      },
    };
  }
}
