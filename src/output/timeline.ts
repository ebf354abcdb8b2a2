/**
 * `--timeline-to FILE`: the traced execs as a Chrome trace-event file (the JSON object form,
 * `{"traceEvents": [...]}`), which Perfetto's UI (ui.perfetto.dev) and chrome://tracing open.
 *
 * - one process (track group) per pod, named `namespace/pod`; host processes in `host` (one per node,
 *   `host NODE`, when several nodes ran host processes); pod cgroups no pod record matched in
 *   `<unknown>/pod-uid:…`;
 * - one thread (track) per process (pid) in it, named by its first command and its pid;
 * - one complete event (`ph: "X"`) per successful exec, named by the command, from the exec to the
 *   next exec of the same pid, to its exit when one is reported (exit(): --exits, or an exit line), or
 *   to the end of the trace; argv, container, node, retval… in `args`;
 * - a failed exec is an instant event (`ph: "i"`) on its process's track: the process goes on
 *   running what it ran before, so it ends no span; the failed attempts of a PATH search that went
 *   on (marked by path-search.ts) are left out;
 * - metadata events (`ph: "M"`, process_name / thread_name) declare every pid and tid used.
 *
 * pid and tid are numbers this file gives out, all distinct (a Linux pid can recur in several pods
 * and nodes, and viewers key threads by tid); the real pid is in each track's name and event args.
 * Timestamps are microseconds since the epoch.
 *
 * Memory: one small record per exec, kept until the end (the file is written then). Past
 * MAX_TIMELINE_EXECS records, later execs are left out (counted in `dropped` and in the file's
 * `otherData`); they still end the span of the process they replace.
 */
import type { AttributedEvent } from '../join/types.js';
import { attributionOf } from './attribution.js';
import { namespaceCell, podCell } from './columns.js';
import { errnoName } from './errno.js';
import { folded } from './path-search.js';
import { SessionLog, sessionPlace } from './sessions.js';

/**
 * Execs a timeline records; later ones are counted, not kept. Measured: ~400 bytes of heap per exec
 * with a short argv (20 MB at the bound, plus argv beyond that), and ~300 bytes of file.
 */
export const MAX_TIMELINE_EXECS = 50_000;

/** How a process ended, when the trace saw it end (the exit code, or the signal that killed it). */
export interface ExitInfo {
  exitCode: number | null;
  signal: string | null;
}

/** What else a record may say about an exec (from the JSON lines of a later version). */
export interface ExecExtras {
  /** The executable came from the container's writable layer (drift); null when not known. */
  upperLayer?: boolean | null;
}

interface Group {
  id: number;
  /** `namespace/pod`; for host groups the node (the name is chosen at the end, see render()). */
  name: string;
  host: boolean;
  node: string;
}

interface Track {
  id: number;
  group: Group;
  pid: number;
  /** The command of its first recorded exec. */
  comm: string;
}

interface Span {
  track: Track;
  timeMs: number;
  /** null while the process runs what this exec started. */
  endMs: number | null;
  endedBy: 'next exec' | 'exit' | null;
  exit: ExitInfo | null;
  failed: boolean;
  comm: string;
  filename: string;
  args: readonly string[];
  argsTruncated: boolean;
  retval: number | null;
  ppid: number;
  uid: number;
  container: string | null;
  upperLayer: boolean | null | undefined;
}

/** One trace event as written (the subset of the format this file uses). */
export interface TraceEvent {
  name: string;
  ph: 'X' | 'i' | 'M';
  pid: number;
  tid?: number;
  ts?: number;
  dur?: number;
  cat?: string;
  s?: 't';
  args?: Record<string, unknown>;
}

export interface TraceFile {
  traceEvents: TraceEvent[];
  displayTimeUnit: 'ms';
  otherData: Record<string, string | number>;
}

const µs = (ms: number): number => Math.round(ms * 1000);
const basename = (path: string): string => path.slice(path.lastIndexOf('/') + 1) || path;
/** A span's name: the command, else (its record never came: an exec in progress when the trace ended) the file's name; never empty. */
const commandOf = (comm: string, filename: string): string => comm || basename(filename) || '(unknown)';

export class Timeline {
  private readonly groups = new Map<string, Group>();
  private readonly tracks = new Map<string, Track>();
  /** The span of what each live process (node, pid) runs now. */
  private readonly open = new Map<string, Span>();
  private readonly spans: Span[] = [];
  private nextId = 1;
  /** Execs past MAX_TIMELINE_EXECS: counted, not recorded. */
  dropped = 0;
  /** Exec sessions (issue 23): a track group each, drawn after the pods'. */
  private readonly sessions = new SessionLog();

  constructor(private readonly max = MAX_TIMELINE_EXECS) {}

  /** Execs recorded. */
  get size(): number {
    return this.spans.length;
  }

  exec(a: AttributedEvent, extras: ExecExtras = {}): void {
    // A PATH search is the attempt that ran (or its last failure): its earlier misses are no instants.
    if (folded(a)) return;
    const ev = a.event;
    this.sessions.add(a);
    const failed = ev.retval !== null && ev.retval < 0;
    const procKey = `${a.node}\u0000${ev.pid}`;
    if (!failed) {
      // The new program replaces the old one: that span ends here (also when this one is not kept).
      const prev = this.open.get(procKey);
      if (prev) {
        prev.endMs = Math.max(prev.timeMs, ev.timeMs);
        prev.endedBy = 'next exec';
        this.open.delete(procKey);
      }
    }
    if (this.spans.length >= this.max) {
      this.dropped++;
      return;
    }
    const span: Span = {
      track: this.trackOf(a),
      timeMs: ev.timeMs,
      endMs: failed ? ev.timeMs : null,
      endedBy: null,
      exit: null,
      failed,
      comm: ev.comm,
      filename: ev.filename,
      args: ev.args,
      argsTruncated: ev.argsTruncated,
      retval: ev.retval,
      ppid: ev.ppid,
      uid: ev.uid,
      container: attributionOf(a) === 'host' ? null : a.container,
      upperLayer: extras.upperLayer,
    };
    this.spans.push(span);
    if (!failed) this.open.set(procKey, span);
  }

  /** A process ended: its span ends here. An exit of a process whose exec was not recorded is ignored. */
  exit(node: string, pid: number, timeMs: number, info: ExitInfo): void {
    this.sessions.ended(node, undefined, pid, timeMs, info);
    const key = `${node}\u0000${pid}`;
    const span = this.open.get(key);
    if (!span) return;
    span.endMs = Math.max(span.timeMs, timeMs);
    span.endedBy = 'exit';
    span.exit = info;
    this.open.delete(key);
  }

  /**
   * One track group per exec session, named `exec session NS/POD CONTAINER pid N pts/0`: a span
   * from its first command to the end of the process that entered (or its last command, or the end
   * of the trace), and each command as an instant event in order, argv in its args.
   */
  private sessionEvents(endMs: number): TraceEvent[] {
    const out: TraceEvent[] = [];
    let id = this.nextId + 1_000_000; // apart from the pods' ids, whatever their count
    for (const s of this.sessions.list()) {
      const pid = id++;
      const tid = id++;
      out.push({
        name: 'process_name',
        ph: 'M',
        pid,
        args: { name: `exec session ${sessionPlace(s)} pid ${s.pid}${s.tty ? ` ${s.tty}` : ''}` },
      });
      out.push({ name: 'thread_name', ph: 'M', pid, tid, args: { name: 'commands' } });
      const end = s.endMs ?? Math.max(s.lastMs, endMs);
      out.push({
        name: 'session',
        cat: 'session',
        ph: 'X',
        pid,
        tid,
        ts: µs(s.startMs),
        dur: µs(end) - µs(s.startMs),
        args: {
          pid: s.pid,
          tty: s.tty,
          uid: s.uid,
          node: s.node,
          container: s.container,
          workload: s.workload,
          drift: s.drift,
          commands: s.commands.length + s.more,
          ended: s.endMs === null ? 'not traced' : 'exit',
          exit: s.exit,
        },
      });
      for (const c of s.commands) {
        out.push({
          name: c.argv.length > 80 ? `${c.argv.slice(0, 79)}…` : c.argv,
          cat: 'session,command',
          ph: 'i',
          s: 't',
          pid,
          tid,
          ts: µs(c.timeMs),
          args: { argv: c.argv, pid: c.pid, filename: c.filename, cwd: c.cwd, error: c.error, drift: c.drift },
        });
      }
    }
    return out;
  }

  private trackOf(a: AttributedEvent): Track {
    const host = attributionOf(a) === 'host';
    const groupKey = host ? `host\u0000${a.node}` : `${namespaceCell(a)}/${podCell(a)}`;
    let group = this.groups.get(groupKey);
    if (!group) {
      group = { id: this.nextId++, name: host ? a.node : `${namespaceCell(a)}/${podCell(a)}`, host, node: a.node };
      this.groups.set(groupKey, group);
    }
    // The node too: a pod recreated on another node keeps its name, not its pids.
    const trackKey = `${groupKey}\u0000${a.node}\u0000${a.event.pid}`;
    let track = this.tracks.get(trackKey);
    if (!track) {
      track = { id: this.nextId++, group, pid: a.event.pid, comm: commandOf(a.event.comm, a.event.filename) };
      this.tracks.set(trackKey, track);
    }
    return track;
  }

  /**
   * The trace-event file; spans still open end at `endMs` (the end of the trace). Metadata first,
   * then the execs by time.
   */
  render(endMs: number, otherData: Record<string, string | number> = {}): TraceFile {
    const events: TraceEvent[] = [];
    const hostGroups = [...this.groups.values()].filter((g) => g.host).length;
    for (const g of this.groups.values()) {
      const name = g.host ? (hostGroups > 1 ? `host ${g.node}` : 'host') : g.name;
      events.push({ name: 'process_name', ph: 'M', pid: g.id, args: { name } });
    }
    for (const t of this.tracks.values()) {
      events.push({ name: 'thread_name', ph: 'M', pid: t.group.id, tid: t.id, args: { name: `${t.comm} ${t.pid}` } });
    }
    const byTime = [...this.spans].sort((x, y) => x.timeMs - y.timeMs);
    for (const s of byTime) {
      const args: Record<string, unknown> = {
        pid: s.track.pid,
        ppid: s.ppid,
        uid: s.uid,
        argv: s.args,
        filename: s.filename,
        container: s.container,
        node: s.track.group.node,
        retval: s.retval,
        error: errnoName(s.retval),
      };
      if (s.argsTruncated) args.argsTruncated = true;
      if (s.upperLayer !== undefined) args.upperLayer = s.upperLayer;
      const base = { pid: s.track.group.id, tid: s.track.id, ts: µs(s.timeMs) };
      if (s.failed) {
        events.push({ name: `${basename(s.filename)} ${errnoName(s.retval)}`, cat: 'exec,failed', ph: 'i', s: 't', ...base, args });
        continue;
      }
      const end = s.endMs ?? Math.max(s.timeMs, endMs);
      args.ended = s.endedBy ?? 'end of trace';
      if (s.exit) {
        args.exitCode = s.exit.exitCode;
        args.signal = s.exit.signal;
      }
      events.push({ name: commandOf(s.comm, s.filename), cat: 'exec', ph: 'X', ...base, dur: µs(end) - base.ts, args });
    }
    events.push(...this.sessionEvents(endMs));
    return {
      traceEvents: events,
      displayTimeUnit: 'ms',
      otherData: { tool: 'trace-exec', execs: this.spans.length, dropped: this.dropped, ...otherData },
    };
  }
}
