/**
 * Exec sessions: each process that entered a container through the runtime's exec (`entry` exec:
 * kubectl exec, crictl exec), with the commands run in it in order — the transcript an incident
 * review reconstructs by hand. A session is keyed by node, container and the host pid of the
 * process that entered (sessionLeaderPid); its end (and exit status) is known when the trace saw
 * that process end (--exits). Sessions that ran a file from the container's writable layer come first.
 *
 * Shared by the summary (text), the Markdown summary and the timeline. Bounded: MAX_SESSIONS
 * sessions and MAX_COMMANDS commands each are kept; more are counted.
 */
import type { AttributedEvent } from '../join/types.js';
import { formatArgs } from './columns.js';
import { errnoName } from './errno.js';
import { escapeUnprintable } from './quote.js';

export const MAX_SESSIONS = 1000;
export const MAX_COMMANDS = 500;

export interface SessionCommand {
  timeMs: number;
  pid: number;
  /** argv as the table shows it (shell-quoted, ` …` when cut). */
  argv: string;
  filename: string;
  /** The errno name of a failed exec, else null. */
  error: string | null;
  /** The file came from the container's writable layer. */
  drift: boolean;
  cwd: string | null;
}

export interface Session {
  node: string;
  namespace: string | null;
  pod: string | null;
  container: string | null;
  containerId: string;
  workload: string | null;
  /** The host pid of the process that entered. */
  pid: number;
  tty: string | null;
  uid: number;
  startMs: number;
  lastMs: number;
  /** When the process that entered ended (--exits), else null. */
  endMs: number | null;
  exit: { exitCode: number | null; signal: string | null } | null;
  commands: SessionCommand[];
  /** Commands beyond MAX_COMMANDS, counted. */
  more: number;
  /** Some command ran a file from the writable layer. */
  drift: boolean;
}

export class SessionLog {
  private readonly byKey = new Map<string, Session>();
  /** `node pid` of each session's first process → its session, for the end of that process. */
  private readonly byLeader = new Map<string, Session>();
  /** Sessions beyond MAX_SESSIONS, counted. */
  dropped = 0;

  constructor(
    private readonly maxSessions = MAX_SESSIONS,
    private readonly maxCommands = MAX_COMMANDS,
  ) {}

  get size(): number {
    return this.byKey.size;
  }

  /** An exec; only those of exec sessions are kept (the end of a process goes to ended()). */
  add(a: AttributedEvent): void {
    const ev = a.event;
    if (a.entry !== 'exec' || a.containerId === null || ev.exit) return;
    const leader = ev.sessionLeaderPid ?? ev.pid;
    const key = `${a.node}\0${a.containerId}\0${leader}`;
    let s = this.byKey.get(key);
    if (!s) {
      if (this.byKey.size >= this.maxSessions) {
        this.dropped++;
        return;
      }
      s = {
        node: a.node,
        namespace: a.namespace,
        pod: a.pod,
        container: a.container,
        containerId: a.containerId,
        workload: a.workload,
        pid: leader,
        tty: ev.tty,
        uid: ev.uid,
        startMs: ev.timeMs,
        lastMs: ev.timeMs,
        endMs: null,
        exit: null,
        commands: [],
        more: 0,
        drift: false,
      };
      this.byKey.set(key, s);
      this.byLeader.set(`${a.node}\0${leader}`, s);
    }
    if (ev.timeMs < s.startMs) s.startMs = ev.timeMs;
    if (ev.timeMs > s.lastMs) s.lastMs = ev.timeMs;
    s.tty ??= ev.tty;
    const drift = ev.upperLayer === true;
    if (drift) s.drift = true;
    if (s.commands.length >= this.maxCommands) {
      s.more++;
      return;
    }
    s.commands.push({
      timeMs: ev.timeMs,
      pid: ev.pid,
      argv: formatArgs(ev.args, ev.argsTruncated),
      filename: ev.filename,
      error: ev.retval !== null && ev.retval < 0 ? errnoName(ev.retval) : null,
      drift,
      cwd: ev.cwd,
    });
  }

  /** A process ended (--exits): when it is a session's first process, the session ended. */
  ended(
    node: string,
    containerId: string | null | undefined,
    pid: number,
    timeMs: number,
    exit: { exitCode: number | null; signal: string | null },
  ): void {
    const s = this.byLeader.get(`${node}\0${pid}`);
    // undefined: the caller does not know the container (the timeline's exit()); the node and pid then decide.
    if (!s || s.endMs !== null || (containerId !== undefined && s.containerId !== containerId)) return;
    s.endMs = timeMs;
    s.exit = exit;
  }

  /** Sessions that ran a file from the writable layer first, then by start. */
  list(): Session[] {
    return [...this.byKey.values()].sort((a, b) => Number(b.drift) - Number(a.drift) || a.startMs - b.startMs || a.pid - b.pid);
  }
}

const clock = (ms: number): string => new Date(ms).toISOString().slice(11, 19);

/** Where a session ran, one line: `shop/web-7d9c8b6f5-x2k4p web (deploy/web)`. */
export function sessionPlace(s: Session): string {
  const pod = s.namespace !== null && s.pod !== null ? `${s.namespace}/${s.pod}` : `pod-uid? container ${s.containerId.slice(0, 13)}`;
  return escapeUnprintable(`${pod}${s.container ? ` ${s.container}` : ''}${s.workload ? ` (${s.workload})` : ''}`);
}

/** How a session ended: `exit 0`, `SIGKILL`, or what is known without --exits. */
export function sessionEnd(s: Session): string {
  if (s.endMs === null || !s.exit) return `last command ${clock(s.lastMs)}, end not traced`;
  const how = s.exit.exitCode !== null ? `exit ${s.exit.exitCode}` : (s.exit.signal ?? 'killed');
  return `ended ${clock(s.endMs)}, ${how}`;
}

/** `pid 4242, pts/0, uid 0`: the session's first process. */
export function sessionWho(s: Session): string {
  return `pid ${s.pid}${s.tty ? `, ${escapeUnprintable(s.tty)}` : ', no terminal'}, uid ${s.uid}`;
}

/** The sessions as text, for the summary (`width`: cut lines to the terminal; null: nothing cut). */
export function renderSessions(list: readonly Session[], dropped: number, cut: (line: string) => string): string {
  const out: string[] = [
    cut(
      `Exec sessions (${list.length}${dropped > 0 ? `, ${dropped} more not kept` : ''}; those that ran a file from the writable layer first):`,
    ),
  ];
  for (const s of list) {
    out.push(cut(`  ${sessionPlace(s)}: ${sessionWho(s)}; started ${clock(s.startMs)}, ${sessionEnd(s)}${s.drift ? ' [drift]' : ''}`));
    for (const c of s.commands) {
      const marks = `${c.drift ? '[drift] ' : ''}`;
      const result = c.error ? `  (${c.error})` : '';
      out.push(cut(`    ${clock(c.timeMs)}  ${marks}${c.argv}${result}`));
    }
    if (s.more > 0) out.push(cut(`    …and ${s.more} more commands (the JSON lines have them all)`));
  }
  return out.join('\n');
}
