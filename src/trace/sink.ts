/**
 * The run's one event sink: every node's joined execs and process ends, its losses and gaps, come
 * here. It counts them as they come (the totals are always current), applies what to show
 * (self, the filters, --max-events) and hands the shown ones to the outputs.
 */
import { isSelf, type EventFilter } from '../join/filter.js';
import type { AttributedEvent } from '../join/types.js';
import type { ProcessEnd } from '../events/types.js';
import type { Printer } from '../output/index.js';
import type { MarkdownSummary } from '../output/markdown.js';
import type { Summary } from '../output/summary.js';
import type { Timeline } from '../output/timeline.js';
import type { BaselineDiff } from '../report/diff.js';
import { signalName } from '../output/signal.js';
import { PathSearchMarker } from '../output/path-search.js';
import { GapLog } from '../reconnect.js';
import type { NodeSink } from './pipeline.js';

export interface Counts {
  events: number;
  shown: number;
  lost: number;
  unattributed: number;
  malformed: number;
  incomplete: number;
  /** Execs of trace-exec's own debug pod (or, with --local, of its own children): left out unless --include-self. */
  self: number;
  /** --exits: ends of processes exec'd while tracing (before the filters). */
  exits: number;
}

export interface SinkParts {
  keep: EventFilter;
  /** --local: this process, whose children are "self". */
  selfPid: number | null;
  includeSelf: boolean;
  maxEvents: number | null;
  printer: Printer;
  /** --summary-to. */
  digest: Summary | MarkdownSummary | null;
  /** --timeline-to. */
  timeline: Timeline | null;
  /** --baseline: what is new against a recording. */
  diff?: BaselineDiff | null;
  /** --max-events was reached. */
  full(): void;
}

export class EventSink implements NodeSink {
  readonly counts: Counts = { events: 0, shown: 0, lost: 0, unattributed: 0, malformed: 0, incomplete: 0, self: 0, exits: 0 };
  /** Stretches whose execs are unknown: a node's exec stream was lost until a new attachment took over. */
  readonly gaps = new GapLog();

  /**
   * Before the filters: whether a failed exec was one attempt of a PATH search depends on the exec
   * after it, which --failed, --comm… may leave out. JSON writes the mark, the rest fold on it.
   */
  private readonly marker = new PathSearchMarker((a) => this.show(a));

  constructor(private readonly parts: SinkParts) {}

  event(a: AttributedEvent): void {
    // A node's count (src/trace/node-counts.ts) is no attempt of a PATH search: the node folded those.
    if (a.event.count) return this.show(a, a.event.count.execs + a.event.count.searches);
    this.marker.push(a);
  }

  /** Passes on the failed execs still waiting for their next attempt (path-search.ts); idempotent. */
  flush(): void {
    this.marker.flush();
  }

  /**
   * An exec, or a node's count of n execs shown as n execs would be. Counting runs only where nothing
   * needs single execs (no --max-events, --baseline, --timeline-to): for a count those are unset.
   */
  private show(a: AttributedEvent, n = 1): void {
    if (a.event.exit) return this.end(a, a.event.exit);
    const { counts, parts } = this;
    counts.events += n;
    if (a.unattributed) counts.unattributed += n;
    if (isSelf(a, parts.selfPid)) {
      counts.self += n;
      if (!parts.includeSelf) return;
    }
    if (!parts.keep(a)) return;
    if (parts.maxEvents !== null && counts.shown >= parts.maxEvents) return;
    counts.shown += n;
    parts.printer.event(a);
    parts.digest?.add(a);
    parts.diff?.add(a);
    parts.timeline?.exec(a, { upperLayer: a.event.upperLayer });
    if (parts.maxEvents !== null && counts.shown >= parts.maxEvents) parts.full();
  }

  /**
   * --exits: a process's end passes the filters of its exec (its pod, container, command; --failed:
   * ended badly); it is not an exec, so it does not count towards --max-events.
   */
  private end(a: AttributedEvent, end: ProcessEnd): void {
    const { counts, parts } = this;
    counts.exits++;
    if (isSelf(a, parts.selfPid) && !parts.includeSelf) return;
    if (!parts.keep(a)) return;
    if (parts.maxEvents !== null && counts.shown >= parts.maxEvents) return;
    parts.printer.event(a);
    parts.digest?.add(a);
    parts.timeline?.exit(a.node, a.event.pid, a.event.timeMs, { exitCode: end.exitCode, signal: signalName(end.signal) });
  }

  lost(count: number): void {
    this.counts.lost += count;
  }

  malformed(count: number): void {
    this.counts.malformed += count;
  }

  incomplete(count: number): void {
    this.counts.incomplete += count;
  }

  gapOpened(node: string, fromMs: number): void {
    this.gaps.open(node, fromMs);
  }

  gapClosed(node: string, toMs: number): void {
    this.gaps.close(node, toMs);
  }
}
