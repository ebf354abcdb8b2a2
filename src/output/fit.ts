/**
 * The table on a terminal: every column gets a fixed width so that the header and every row fit on
 * one line of `width` columns. Columns start at their minimum (never below their header, so header
 * words are never split); ARGS keeps ARGS_SHARE of the width, what is left grows the other columns
 * towards their preferred width in GROW_ORDER, and ARGS takes the rest. When even the minimums leave ARGS too
 * little, whole columns are left out, least useful first (DROP_ORDER). DRIFT goes early: without it,
 * ARGS marks the rows it would have said yes for (src/output/columns.ts markDrift).
 *
 * Pure: computed once per run from the column names and the width.
 */
import type { ColumnName } from './columns.js';

/** Spaces between columns. */
export const GAP = 2;
/** ARGS is never narrower than this on a terminal (a row without its command line says little). */
export const MIN_ARGS = 16;
/** The share of the terminal ARGS keeps before other columns grow beyond their minimum. */
export const ARGS_SHARE = 0.3;

export interface FitSpec {
  /** Columns it needs at least: its header, and its content where that is fixed (PID). */
  min: number;
  /** Columns it may grow to when there is room. */
  preferred: number;
  /** How a longer cell is cut: names in the middle (both ends of a pod name stay), the rest at the end. */
  cut: 'middle' | 'end';
}

export const FIT: Readonly<Record<ColumnName, FitSpec>> = {
  TIME: { min: 8, preferred: 12, cut: 'end' }, // HH:MM:SS, .mmm when it has 12
  NODE: { min: 8, preferred: 16, cut: 'middle' },
  NAMESPACE: { min: 9, preferred: 14, cut: 'middle' },
  POD: { min: 12, preferred: 30, cut: 'middle' },
  CONTAINER: { min: 9, preferred: 14, cut: 'middle' },
  PID: { min: 7, preferred: 7, cut: 'end' }, // pid_max is at most 4194304
  PPID: { min: 7, preferred: 7, cut: 'end' },
  COMM: { min: 6, preferred: 15, cut: 'end' }, // the kernel's comm has at most 15 characters
  RET: { min: 6, preferred: 8, cut: 'end' }, // ENOENT; ENOEXEC, SIGKILL (--exits; KILL when narrower), exit 127
  UID: { min: 5, preferred: 6, cut: 'end' },
  'CONTAINER-ID': { min: 13, preferred: 13, cut: 'end' }, // the 13 characters CONTAINER-ID shows
  DRIFT: { min: 5, preferred: 5, cut: 'end' }, // yes, no, -
  // A path cut to less than 36 columns says little: the column is left out (DROP_ORDER) instead, so
  // a one-node -o wide shows EXE from 163 terminal columns, and CWD too from 201.
  CWD: { min: 36, preferred: 48, cut: 'middle' },
  EXE: { min: 36, preferred: 48, cut: 'middle' },
  ANCESTRY: { min: 12, preferred: 40, cut: 'end' }, // nearest parents first: the far end goes
  ARGS: { min: MIN_ARGS, preferred: Infinity, cut: 'end' },
};

/** Who gets the room beyond the minimums first. */
export const GROW_ORDER: readonly ColumnName[] = [
  'POD',
  'TIME',
  'NAMESPACE',
  'CONTAINER',
  'COMM',
  'NODE',
  'RET',
  'UID',
  'CONTAINER-ID',
  'ANCESTRY',
  'EXE',
  'CWD',
];
/** Left out first when the terminal is too narrow for every column at its minimum. */
// PID outlives CONTAINER: it is what an admin's next command (kill, nsenter, /proc) needs, and most
// pods have one container. ANCESTRY, once asked for, outlives CONTAINER too. With several nodes NODE
// outlives PID: a PID means nothing without its node.
// CWD and EXE, the last columns -o wide gained, go first (CWD before EXE: what ran says more than where).
export const DROP_ORDER: readonly ColumnName[] = [
  'CWD',
  'EXE',
  'PPID',
  'UID',
  'CONTAINER-ID',
  'DRIFT',
  'CONTAINER',
  'ANCESTRY',
  'PID',
  'NODE',
];

export interface FittedColumn {
  name: ColumnName;
  width: number;
}

/**
 * Widths for `names` (ARGS last) on a terminal `width` columns wide: the columns kept, in order,
 * ARGS last with what is left.
 */
export function fitColumns(names: readonly ColumnName[], width: number): FittedColumn[] {
  let kept = names.filter((n) => n !== 'ARGS');
  const used = (cols: readonly ColumnName[], w: (n: ColumnName) => number): number => cols.reduce((s, n) => s + w(n) + GAP, 0);
  for (const drop of DROP_ORDER) {
    if (used(kept, (n) => FIT[n].min) + MIN_ARGS <= width) break;
    kept = kept.filter((n) => n !== drop);
  }
  const widths = new Map<ColumnName, number>(kept.map((n) => [n, FIT[n].min]));
  let spare = width - used(kept, (n) => FIT[n].min) - Math.max(MIN_ARGS, Math.floor(width * ARGS_SHARE));
  for (const n of GROW_ORDER) {
    if (spare <= 0) break;
    const w = widths.get(n);
    if (w === undefined) continue;
    const add = Math.min(spare, FIT[n].preferred - w);
    widths.set(n, w + add);
    spare -= add;
  }
  const fitted = kept.map((n) => ({ name: n, width: widths.get(n)! }));
  return [...fitted, { name: 'ARGS', width: Math.max(MIN_ARGS, width - used(kept, (n) => widths.get(n)!)) }];
}
