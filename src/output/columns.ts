import { posix } from 'node:path';
import type { AttributedEvent } from '../join/types.js';
import { attributionOf, podUidOf, unitOf } from './attribution.js';
import { escapeUnprintable, shellQuote } from './quote.js';
import { errnoName } from './errno.js';
import { signalName } from './signal.js';
import { entryMark, withMark } from './entry-mark.js';

/** Every column the table formats know. */
export type ColumnName =
  | 'TIME'
  | 'NAMESPACE'
  | 'POD'
  | 'CONTAINER'
  | 'PID'
  | 'PPID'
  | 'COMM'
  | 'NODE'
  | 'UID'
  | 'RET'
  | 'CONTAINER-ID'
  | 'DRIFT'
  | 'CWD'
  | 'EXE'
  | 'ANCESTRY'
  | 'ARGS';

/** `-o table`: NODE is added when more than one node is traced. ARGS is last so that it alone can be cut to the terminal. */
export const TABLE_COLUMNS: readonly ColumnName[] = ['TIME', 'NAMESPACE', 'POD', 'CONTAINER', 'PID', 'PPID', 'COMM', 'RET', 'ARGS'];
/**
 * `-o wide`: the table columns plus CWD EXE NODE UID CONTAINER-ID DRIFT (NODE: see ColumnSet.terminal).
 * CWD and EXE follow COMM, what ran, and stay clear of the cells scripts find by position (RET,
 * CONTAINER-ID, DRIFT just before ARGS).
 */
export const WIDE_COLUMNS: readonly ColumnName[] = [
  'TIME',
  'NAMESPACE',
  'POD',
  'CONTAINER',
  'PID',
  'PPID',
  'COMM',
  'CWD',
  'EXE',
  'NODE',
  'UID',
  'RET',
  'CONTAINER-ID',
  'DRIFT',
  'ARGS',
];

/** Which columns a table shows. */
export interface ColumnSet {
  /** `-o wide`. */
  wide: boolean;
  /** More than one node is traced: the table shows NODE too (wide does anyway when piped). */
  nodes: boolean;
  /** --ancestry: the parent chain, compactly, before ARGS. */
  ancestry: boolean;
  /**
   * Laid out for a terminal, where room is short: `-o wide` leaves out the NODE of a one-node trace,
   * the same on every row (the room goes to PID and CONTAINER). Piped, wide keeps it so that its
   * columns do not depend on the run.
   */
  terminal?: boolean;
}

export interface Column {
  name: ColumnName;
  /**
   * Width a streaming table reserves for the column (at least the header's), chosen for the common
   * case; longer cells push the rest of their row right.
   */
  minWidth: number;
  /** The cell text: single-line, free of control characters, not padded. */
  cell(e: AttributedEvent): string;
  /** A shorter form for a column narrower than its usual cells (TIME without milliseconds), and the width below which it is used. */
  narrow?: { below: number; cell(e: AttributedEvent): string };
}

/** Shown in NAMESPACE for host processes. */
export const HOST_NAMESPACE = '<host>';
/** Shown in NAMESPACE for pod cgroups no pod record matched. */
export const UNKNOWN_NAMESPACE = '<unknown>';
/** Shown for an unknown or absent value. */
export const NONE = '-';
/**
 * Starts the ARGS cell of an exec whose executable came from its container's writable layer, when
 * no DRIFT column says so (`-o table`, or a terminal too narrow for it). `[` is always quoted in an
 * argument (shellQuote), so a bare `[drift]` cannot be the start of a real argv.
 */
export const DRIFT_MARK = '[drift]';
/** Characters of a container id shown in CONTAINER-ID. */
export const CONTAINER_ID_CHARS = 13;
/** Characters of the pod uid shown for an unattributed pod (`pod-uid:da0fc44d`). */
export const POD_UID_CHARS = 8;

/** HH:MM:SS (UTC) of an epoch-milliseconds time, with .mmm when `millis`. */
export function formatClock(timeMs: number, millis: boolean): string {
  return new Date(timeMs).toISOString().slice(11, millis ? 23 : 19);
}

/**
 * argv as one unambiguous cell: arguments joined with spaces, each shell-quoted when needed (see
 * shellQuote), with ` …` appended when bpftrace could not carry all of argv.
 */
export function formatArgs(args: readonly string[], truncated: boolean): string {
  const joined = args.map(shellQuote).join(' ');
  if (!truncated) return joined;
  return joined === '' ? '…' : `${joined} …`;
}

/** NAMESPACE: the namespace, `<host>` or `<unknown>`. */
export function namespaceCell(e: AttributedEvent): string {
  switch (attributionOf(e)) {
    case 'host':
      return HOST_NAMESPACE;
    case 'unattributed':
      return UNKNOWN_NAMESPACE;
    case 'pod':
      return escapeUnprintable(e.namespace ?? NONE);
  }
}

/** POD: the pod name; the systemd unit for a host process; `pod-uid:<8 chars>` when unattributed. */
export function podCell(e: AttributedEvent): string {
  switch (attributionOf(e)) {
    case 'host':
      return escapeUnprintable(unitOf(e) ?? NONE);
    case 'unattributed': {
      const uid = podUidOf(e);
      return uid === null ? NONE : `pod-uid:${escapeUnprintable(uid.slice(0, POD_UID_CHARS))}`;
    }
    case 'pod':
      return escapeUnprintable(e.pod ?? NONE);
  }
}

/** CONTAINER: the container name, `-` for host processes or when unknown. */
export function containerCell(e: AttributedEvent): string {
  // A runtime helper in the pod's cgroup (CRI-O's conmon) is the pod's, but none of its containers.
  if (e.identity.kind === 'pod' && e.identity.helper) return `(${e.identity.helper})`;
  if (attributionOf(e) === 'host' || e.container === null) return NONE;
  return escapeUnprintable(e.container);
}

const COLUMNS: Readonly<Record<ColumnName, Column>> = {
  TIME: {
    name: 'TIME',
    minWidth: 12,
    cell: (e) => formatClock(e.event.timeMs, true),
    narrow: { below: 12, cell: (e) => formatClock(e.event.timeMs, false) },
  },
  NAMESPACE: { name: 'NAMESPACE', minWidth: 12, cell: namespaceCell },
  POD: { name: 'POD', minWidth: 24, cell: podCell },
  CONTAINER: { name: 'CONTAINER', minWidth: 12, cell: containerCell },
  PID: { name: 'PID', minWidth: 7, cell: (e) => String(e.event.pid) },
  PPID: { name: 'PPID', minWidth: 7, cell: (e) => String(e.event.ppid) },
  COMM: { name: 'COMM', minWidth: 12, cell: (e) => escapeUnprintable(e.event.comm) },
  NODE: { name: 'NODE', minWidth: 12, cell: (e) => escapeUnprintable(e.node) },
  UID: { name: 'UID', minWidth: 5, cell: (e) => String(e.event.uid) },
  // At 6 columns (80-column terminals) a signal goes without its SIG prefix: KILL, TERM, SEGV.
  RET: {
    name: 'RET',
    minWidth: 6,
    cell: retCell,
    narrow: { below: 7, cell: (e) => (e.event.exit && e.event.exit.signal !== null ? retCell(e).replace(/^SIG/, '') : retCell(e)) },
  },
  'CONTAINER-ID': {
    name: 'CONTAINER-ID',
    minWidth: CONTAINER_ID_CHARS,
    cell: (e) => (e.containerId === null ? NONE : escapeUnprintable(e.containerId.slice(0, CONTAINER_ID_CHARS))),
  },
  DRIFT: { name: 'DRIFT', minWidth: 5, cell: driftCell },
  CWD: { name: 'CWD', minWidth: 16, cell: (e) => (e.event.cwd === null || e.event.exit ? NONE : escapeUnprintable(e.event.cwd)) },
  EXE: { name: 'EXE', minWidth: 16, cell: exeCell },
  ANCESTRY: { name: 'ANCESTRY', minWidth: 24, cell: ancestryCell },
  ARGS: { name: 'ARGS', minWidth: 4, cell: (e) => withMark(entryMark(e), argsCell(e)) },
};

/**
 * ARGS where no DRIFT column is shown: execs from the writable layer start with DRIFT_MARK. Both
 * forms start with the entry mark of an exec that came in through the runtime's exec
 * (src/output/entry-mark.ts): `[exec pts/0] [drift] ./miner`.
 */
const MARKED_ARGS: Column = {
  name: 'ARGS',
  minWidth: 4,
  cell: (e) => {
    const args = argsCell(e);
    const marked = e.event.upperLayer !== true || e.event.exit ? args : withMark(DRIFT_MARK, args);
    return withMark(entryMark(e), marked);
  },
};

/** DRIFT: `yes` for an executable from the container's writable (upper) layer, `no` from an image layer, `-` not known. */
export function driftCell(e: AttributedEvent): string {
  const u = e.event.upperLayer;
  return u === null || e.event.exit ? NONE : u ? 'yes' : 'no';
}

/**
 * EXE: the file that ran when it is not the one the filename names (a script's interpreter, a
 * symlink's target, a memfd, the loader of `ld.so ./x`), `-` when it is or is not known.
 */
export function exeCell(e: AttributedEvent): string {
  const { exe, filename, cwd } = e.event;
  if (exe === null || e.event.exit) return NONE;
  const named = filename.startsWith('/') || cwd === null ? filename : posix.resolve(cwd, filename);
  return named === exe ? NONE : escapeUnprintable(exe);
}

/** ARGS: argv; for the end of a process (--exits) `[ended after 1.52 s]` instead, which no argv row starts with. */
export function argsCell(e: AttributedEvent): string {
  const end = e.event.exit;
  if (!end) return formatArgs(e.event.args, e.event.argsTruncated);
  return `[ended after ${formatDuration(end.durationMs)}${end.core ? ', core dumped' : ''}]`;
}

/** `0.42 ms`, `12 ms`, `5.01 s`, `3m12s`, `2h03m`: short, with the precision that matters at each scale. */
export function formatDuration(ms: number): string {
  if (ms < 10) return `${Number(ms.toFixed(2))} ms`;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(2)} s`;
  const s = Math.floor(ms / 1000);
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor(s / 60) % 60).padStart(2, '0')}m`;
}

/**
 * RET: `0`, the errno name of a failed exec (`ENOENT`), `-` when the exit record never came; for
 * the end of a process (--exits) `exit 3` or the signal that killed it (`SIGKILL`).
 */
export function retCell(e: AttributedEvent): string {
  const end = e.event.exit;
  if (end) return end.exitCode !== null ? `exit ${end.exitCode}` : (signalName(end.signal) ?? NONE);
  const r = e.event.retval;
  return r === null ? NONE : (errnoName(r) ?? String(r));
}

/** Separates the commands of an ancestry chain, nearest parent first. */
export const ANCESTRY_ARROW = ' ← ';

/** ANCESTRY: the parents' command names, nearest first (`bash ← containerd-shim ← systemd`), `-` when none is known. */
export function ancestryCell(e: AttributedEvent): string {
  const chain = e.ancestry;
  if (!chain || chain.length === 0) return NONE;
  return chain.map((a) => escapeUnprintable(a.comm)).join(ANCESTRY_ARROW);
}

/** The columns of a table, ARGS last. */
export function columnsFor(set: ColumnSet): readonly Column[] {
  const names = [...(set.wide ? WIDE_COLUMNS : TABLE_COLUMNS)];
  if (set.nodes && !set.wide) names.splice(1, 0, 'NODE');
  if (set.wide && !set.nodes && set.terminal) names.splice(names.indexOf('NODE'), 1);
  if (set.ancestry) names.splice(names.length - 1, 0, 'ANCESTRY');
  return markDrift(names.map((name) => COLUMNS[name]));
}

/**
 * The same columns with ARGS marking drift execs when no DRIFT column is among them: for the
 * columns a narrow terminal keeps (src/output/live.ts) as for `-o table`.
 */
export function markDrift(columns: readonly Column[]): readonly Column[] {
  const shown = columns.some((c) => c.name === 'DRIFT');
  return columns.map((c) => (c.name !== 'ARGS' ? c : shown ? COLUMNS.ARGS : MARKED_ARGS));
}

/** The row of cells for an event, in columnsFor(set) order. */
export function rowCells(e: AttributedEvent, set: ColumnSet): string[] {
  return columnsFor(set).map((c) => c.cell(e));
}
