import type { AttributedEvent } from '../join/types.js';
import { renderBox } from './box.js';
import { DRIFT_COLUMNS, DRIFT_FIT, EXITS_COLUMNS, EXITS_FIT, SUMMARY_COLUMNS, SUMMARY_FIT } from './summary-layout.js';
import { wrapToWidth } from './width.js';
import { containerCell, formatClock, HOST_NAMESPACE, namespaceCell, NONE, podCell, UNKNOWN_NAMESPACE } from './columns.js';
import { escapeUnprintable } from './quote.js';
import { toJsonExitRecord, type JsonExitRecord } from './json.js';
import { endedBadly } from '../events/wait-status.js';
import { folded } from './path-search.js';
import { renderSessions, SessionLog } from './sessions.js';
import { truncateToWidth } from './width.js';

/**
 * A process that ended (--exits: an exit event live, an exit line of a recording): its JSON line's
 * fields, with the time as milliseconds; durationMs null where a recording's line has none.
 */
export type EndedProcess = Omit<JsonExitRecord, 'type' | 'time' | 'durationMs'> & { timeMs: number; durationMs: number | null };

/** A live exit event (an event with `exit` set) as an EndedProcess: what its JSON line says. */
export function endedProcessOf(e: AttributedEvent): EndedProcess {
  const { type: _type, time: _time, ...rest } = toJsonExitRecord(e);
  return { timeMs: e.event.timeMs, ...rest };
}

/** Per pod (host processes: `<host>`), processes that ended badly, of how many ended. */
export interface ExitRow {
  namespace: string;
  pod: string;
  ended: number;
  bad: number;
  /** The commonest commands among those that ended badly, with counts. */
  top: [string, number][];
}

interface ExitGroup {
  namespace: string;
  pod: string;
  ended: number;
  bad: number;
  comms: Map<string, number>;
}

/** Commands listed in TOP. */
export const TOP_COMMANDS = 3;
/**
 * Distinct command names remembered per group. Beyond it new names are no longer told apart, so a
 * process exec'ing endless random names cannot grow memory without bound; COMMANDS then reads
 * `1024+`.
 */
export const MAX_COMMS_PER_GROUP = 1024;

/** The exits table (--exits): BAD = exited non-zero or by a signal. */
export const EXITS_HEAD = ['NAMESPACE', 'POD', 'ENDED', 'BAD', 'TOP'] as const;

export const SUMMARY_HEAD = ['NAMESPACE', 'POD', 'CONTAINER', 'EXECS', 'COMMANDS', 'FAILED', 'FIRST', 'LAST', 'TOP'] as const;

/** Executables from a container's writable layer (drift) in one namespace / pod / container. */
export interface DriftRow {
  namespace: string;
  pod: string;
  container: string;
  /** Execs whose executable came from the writable (upper) layer. */
  execs: number;
  /** The commonest such files (raw paths as exec'd) and how often each ran. */
  top: [string, number][];
}

export const DRIFT_HEAD = ['NAMESPACE', 'POD', 'CONTAINER', 'DRIFT EXECS', 'FILES'] as const;

/** One namespace / pod / container of the summary. Cells are as the table shows them (`<host>`, units, `-`). */
export interface SummaryRow {
  namespace: string;
  pod: string;
  container: string;
  execs: number;
  /** Distinct command names; `1024+` past MAX_COMMS_PER_GROUP. */
  commands: string;
  failed: number;
  firstMs: number;
  lastMs: number;
  /** The most frequent commands (raw names) and how often each ran. */
  top: [string, number][];
}

interface Group {
  namespace: string;
  pod: string;
  container: string;
  execs: number;
  failed: number;
  firstMs: number;
  lastMs: number;
  /** comm → execs; at most MAX_COMMS_PER_GROUP keys. */
  comms: Map<string, number>;
  /** Execs whose comm did not fit in `comms`. */
  otherComms: number;
  /** Execs of a file from the writable layer (upperLayer true), and their filenames (bounded as comms). */
  drift: number;
  driftFiles: Map<string, number>;
}

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * `-o summary`: execs counted per namespace/pod/container (host processes per systemd unit under
 * `<host>`, unmatched pod cgroups per pod uid under `<unknown>`), rendered once at the end.
 * Keeps counters per group, never the events.
 */
export class Summary {
  private readonly groups = new Map<string, Group>();
  private readonly exitGroups = new Map<string, ExitGroup>();
  private exitCount = 0;
  /** Exec sessions and their commands (issue 23), rendered after the tables. */
  readonly sessions = new SessionLog();

  /** How many process ends were added (exit(), or add() of an exit event). */
  get exitsSeen(): number {
    return this.exitCount;
  }

  /** One process that ended: counted per pod, and by command when it ended badly. */
  exit(x: EndedProcess): void {
    this.exitCount++;
    this.sessions.ended(x.node, x.containerId, x.pid, x.timeMs, { exitCode: x.exitCode, signal: x.signal });
    // No namespace: a host process, or one in a pod cgroup no pod record matched (it has a container
    // id), as the exec table tells them apart.
    const namespace = x.namespace ?? (x.containerId !== null ? UNKNOWN_NAMESPACE : HOST_NAMESPACE);
    const pod = x.pod ?? NONE;
    const key = `${namespace}\u0000${pod}`;
    let g = this.exitGroups.get(key);
    if (!g) {
      // Bounded: past this many pods, further ones are not told apart.
      if (this.exitGroups.size >= 10_000) return;
      g = { namespace, pod, ended: 0, bad: 0, comms: new Map() };
      this.exitGroups.set(key, g);
    }
    g.ended++;
    if (endedBadly(x)) {
      g.bad++;
      if (g.comms.size < MAX_COMMS_PER_GROUP || g.comms.has(x.comm)) g.comms.set(x.comm, (g.comms.get(x.comm) ?? 0) + 1);
    }
  }

  /** Pods with processes that ended badly, most first. */
  exitRows(): ExitRow[] {
    return [...this.exitGroups.values()]
      .filter((g) => g.bad > 0)
      .sort((a, b) => b.bad - a.bad || compare(a.namespace, b.namespace) || compare(a.pod, b.pod))
      .map((g) => ({ namespace: g.namespace, pod: g.pod, ended: g.ended, bad: g.bad, top: topCommands(g.comms) }));
  }

  add(e: AttributedEvent): void {
    if (e.event.exit) return this.exit(endedProcessOf(e));
    // A PATH search counts once: as the exec that ran, or as its last failure (path-search.ts).
    if (folded(e)) return;
    // What a node counted (src/trace/node-counts.ts): its execs, weighted as one event each.
    const counted = e.event.count;
    if (counted?.execs === 0) return;
    if (!counted) this.sessions.add(e);
    const namespace = namespaceCell(e);
    const pod = podCell(e);
    const container = containerCell(e);
    const key = `${namespace}\u0000${pod}\u0000${container}`;
    const first = counted?.firstMs ?? e.event.timeMs;
    const last = counted?.lastMs ?? e.event.timeMs;
    const n = counted?.execs ?? 1;
    let g = this.groups.get(key);
    if (g === undefined) {
      g = {
        namespace,
        pod,
        container,
        execs: 0,
        failed: 0,
        firstMs: first,
        lastMs: last,
        comms: new Map(),
        otherComms: 0,
        drift: 0,
        driftFiles: new Map(),
      };
      this.groups.set(key, g);
    }
    g.execs += n;
    if (counted) g.failed += counted.failed;
    else if (e.event.retval !== null && e.event.retval < 0) g.failed++;
    // Events can arrive slightly out of order (per-CPU buffers): take the extremes, not first/last seen.
    if (first < g.firstMs) g.firstMs = first;
    if (last > g.lastMs) g.lastMs = last;
    const c = g.comms.get(e.event.comm);
    if (c !== undefined) g.comms.set(e.event.comm, c + n);
    else if (g.comms.size < MAX_COMMS_PER_GROUP) g.comms.set(e.event.comm, n);
    else g.otherComms += n;
    if (e.event.upperLayer === true) {
      g.drift++;
      const f = g.driftFiles.get(e.event.filename);
      if (f !== undefined) g.driftFiles.set(e.event.filename, f + 1);
      else if (g.driftFiles.size < MAX_COMMS_PER_GROUP) g.driftFiles.set(e.event.filename, 1);
    }
  }

  /** The groups that ran files from their writable layer, most such execs first. */
  driftRows(): DriftRow[] {
    return [...this.groups.values()]
      .filter((g) => g.drift > 0)
      .sort((a, b) => b.drift - a.drift || compare(a.namespace, b.namespace) || compare(a.pod, b.pod) || compare(a.container, b.container))
      .map((g) => ({ namespace: g.namespace, pod: g.pod, container: g.container, execs: g.drift, top: topCommands(g.driftFiles) }));
  }

  /** The groups, most execs first, then by namespace, pod, container (the order of render() and of the Markdown summary). */
  rows(): SummaryRow[] {
    return [...this.groups.values()]
      .sort((a, b) => b.execs - a.execs || compare(a.namespace, b.namespace) || compare(a.pod, b.pod) || compare(a.container, b.container))
      .map((g) => ({
        namespace: g.namespace,
        pod: g.pod,
        container: g.container,
        execs: g.execs,
        commands: g.otherComms > 0 ? `${g.comms.size}+` : String(g.comms.size),
        failed: g.failed,
        firstMs: g.firstMs,
        lastMs: g.lastMs,
        top: topCommands(g.comms),
      }));
  }

  /**
   * The summary table: most execs first, then by namespace, pod, container; then, when any exec ran
   * a file from its container's writable layer, a drift table. No colour codes. `width`: the
   * terminal's, to fit every line to (src/output/summary-layout.ts); null (piped, a file): nothing cut.
   */
  render(width: number | null = null): string {
    const rows = this.rows().map((g) => [
      g.namespace,
      g.pod,
      g.container,
      String(g.execs),
      g.commands,
      String(g.failed),
      formatClock(g.firstMs, false),
      formatClock(g.lastMs, false),
      g.top.map(([comm, n]) => `${escapeUnprintable(comm)}×${n}`).join(' '),
    ]);
    const table = renderBox(SUMMARY_COLUMNS, rows, width, SUMMARY_FIT);
    const drift = this.driftRows();
    const main = this.exitCount === 0 ? table : `${table}\n\n${this.renderExits(width)}`;
    const sessions =
      this.sessions.size === 0
        ? ''
        : `\n\n${renderSessions(this.sessions.list(), this.sessions.dropped, (l) => (width === null ? l : truncateToWidth(l, width)))}`;
    if (drift.length === 0) return main + sessions;
    const driftRows = drift.map((d) => [
      d.namespace,
      d.pod,
      d.container,
      String(d.execs),
      d.top.map(([f, n]) => `${escapeUnprintable(f)}×${n}`).join(' '),
    ]);
    const title = wrapToWidth('Drift: execs of files written into the container after it started (its writable layer)', width);
    return `${main}\n\n${title}\n${renderBox(DRIFT_COLUMNS, driftRows, width, DRIFT_FIT)}${sessions}`;
  }

  /** --exits: per pod, the processes that ended badly, with their commonest commands. */
  private renderExits(width: number | null): string {
    const rows = this.exitRows();
    const of = `of ${this.exitCount} that ended`;
    if (rows.length === 0) return wrapToWidth(`Exits: every process that ended (${this.exitCount}) exited with 0.`, width);
    const cells = rows.map((r) => [
      r.namespace,
      r.pod,
      String(r.ended),
      String(r.bad),
      r.top.map(([comm, n]) => `${escapeUnprintable(comm)}×${n}`).join(' '),
    ]);
    return `${wrapToWidth(`Processes that exited non-zero or by a signal (${of}):`, width)}\n${renderBox(EXITS_COLUMNS, cells, width, EXITS_FIT)}`;
  }
}

/** The TOP_COMMANDS most frequent commands (or files) with their counts, ties by name. */
function topCommands(comms: ReadonlyMap<string, number>): [string, number][] {
  return [...comms].sort(([a, x], [b, y]) => y - x || compare(a, b)).slice(0, TOP_COMMANDS);
}
