/**
 * How the summary's tables (src/output/summary.ts) fit a terminal (src/output/box.ts): how far each
 * column may be cut, and which columns go first when room is short. At 80 columns the exec table
 * keeps who ran (NAMESPACE POD CONTAINER), how often (EXECS FAILED) and what (TOP).
 */
import type { BoxColumn, BoxLayout } from './box.js';

const name = (head: string, min: number, preferred: number): BoxColumn => ({ head, align: 'left', cut: 'middle', min, preferred });
const count = (head: string): BoxColumn => ({ head, align: 'right', cut: 'never' });
const time = (head: string): BoxColumn => ({ head, align: 'left', cut: 'never' });
/** The most frequent commands (or files) with their counts: cut between items, never inside a count. */
const top = (head: string): BoxColumn => ({ head, align: 'left', cut: 'items', min: 16, preferred: 24 });
// As the live table's (src/output/fit.ts).
const NAMESPACE = name('NAMESPACE', 9, 14);
const POD = name('POD', 12, 30);
const CONTAINER = name('CONTAINER', 9, 14);

/** In SUMMARY_HEAD order. */
export const SUMMARY_COLUMNS: readonly BoxColumn[] = [
  NAMESPACE,
  POD,
  CONTAINER,
  count('EXECS'),
  count('COMMANDS'),
  count('FAILED'),
  time('FIRST'),
  time('LAST'),
  top('TOP'),
];
// The distinct-command count says least; the times go before the names are cut below their
// preferred width, LAST (is it still going on?) after FIRST.
export const SUMMARY_FIT: BoxLayout = { drop: ['COMMANDS', 'FIRST', 'LAST'] };

/** In EXITS_HEAD order. */
export const EXITS_COLUMNS: readonly BoxColumn[] = [NAMESPACE, POD, count('ENDED'), count('BAD'), top('TOP')];
export const EXITS_FIT: BoxLayout = { drop: [] };

/** In DRIFT_HEAD order. */
export const DRIFT_COLUMNS: readonly BoxColumn[] = [NAMESPACE, POD, CONTAINER, count('DRIFT EXECS'), top('FILES')];
export const DRIFT_FIT: BoxLayout = { drop: [] };
