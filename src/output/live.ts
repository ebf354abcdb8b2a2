import type { AttributedEvent } from '../join/types.js';
import { columnsFor, markDrift, type Column, type ColumnName, type ColumnSet } from './columns.js';
import { fitColumns, FIT, GAP } from './fit.js';
import { displayWidth, padToWidth, truncateMiddle, truncateToWidth } from './width.js';

export interface LiveTableOptions extends Partial<ColumnSet> {
  /** `-o wide` columns instead of `-o table`. */
  wide: boolean;
  /** Terminal columns when stdout is a TTY; null when piped (then nothing is ever cut). */
  width: number | null;
}

/** Spaces between columns (at least this many, also after a cell that overflowed its column). */
export const COLUMN_GAP = GAP;

/**
 * Piped, the one column whose cells are cut, to the width a wide terminal gives it: a parent chain is
 * as long as the node's process tree is deep, and just before ARGS it would put ARGS somewhere else on
 * nearly every row. The nearest parents stay; `-o json` has the whole chain.
 */
const PIPED_WIDTH: Partial<Record<ColumnName, number>> = { ANCESTRY: FIT.ANCESTRY.preferred };

/**
 * The streaming table of `-o table` / `-o wide`, laid out like `kubectl get`: left-aligned columns
 * separated by spaces. No colour, no trailing spaces, no newline.
 *
 * On a terminal (`width` set) every column has a fixed width chosen once (src/output/fit.ts): the
 * header and every row fit on one line; longer cells are cut with `…` (names in the middle, keeping
 * both ends); narrow terminals leave the least useful columns out.
 *
 * Piped (`width` null) nothing is left out and nothing but ANCESTRY is cut (PIPED_WIDTH): rows cannot
 * be measured in advance, so each column has a fixed start from its header and usual width, a longer
 * cell pushes the following cells right, and they return to their own start as soon as there is room.
 */
export class LiveTable {
  private readonly columns: readonly Column[];
  /** On a terminal: each column's width (ARGS last); piped: null. */
  private readonly widths: readonly number[] | null;
  /** Piped: the display column at which each column starts when nothing before it overflowed. */
  private readonly starts: readonly number[];
  /** Piped: each column's cap (PIPED_WIDTH), or undefined. */
  private readonly caps: readonly (number | undefined)[];

  constructor(opts: LiveTableOptions) {
    const all = columnsFor({
      wide: opts.wide,
      nodes: opts.nodes ?? false,
      ancestry: opts.ancestry ?? false,
      terminal: opts.width !== null,
    });
    if (opts.width === null) {
      this.columns = all;
      this.widths = null;
    } else {
      const fitted = fitColumns(
        all.map((c) => c.name),
        opts.width,
      );
      // A DRIFT column left out for want of room: ARGS marks those rows instead.
      this.columns = markDrift(fitted.map((f) => all.find((c) => c.name === f.name)!));
      this.widths = fitted.map((f) => f.width);
    }
    this.caps = this.columns.map((c) => (this.widths ? undefined : PIPED_WIDTH[c.name]));
    const starts: number[] = [];
    let at = 0;
    this.columns.forEach((c, i) => {
      starts.push(at);
      at += (this.caps[i] ?? Math.max(c.minWidth, displayWidth(c.name))) + COLUMN_GAP;
    });
    this.starts = starts;
  }

  header(): string {
    return this.widths ? this.fitted(this.columns.map((c) => c.name)) : this.pushed(this.columns.map((c) => c.name));
  }

  row(e: AttributedEvent): string {
    const widths = this.widths;
    if (!widths)
      return this.pushed(this.columns.map((c, i) => (this.caps[i] === undefined ? c.cell(e) : truncateToWidth(c.cell(e), this.caps[i]))));
    return this.fitted(this.columns.map((c, i) => (c.narrow && widths[i]! < c.narrow.below ? c.narrow.cell(e) : c.cell(e))));
  }

  /** Terminal: each cell cut to its column and padded; ARGS cut to what is left. */
  private fitted(cells: readonly string[]): string {
    const widths = this.widths!;
    let line = '';
    for (let i = 0; i < cells.length; i++) {
      const w = widths[i]!;
      const cell = cells[i] ?? '';
      const cut = FIT[this.columns[i]!.name].cut === 'middle' ? truncateMiddle(cell, w) : truncateToWidth(cell, w);
      line += i === cells.length - 1 ? cut : padToWidth(cut, w) + ' '.repeat(COLUMN_GAP);
    }
    return line.trimEnd();
  }

  /** Piped: nothing cut; an overflowing cell pushes the rest of the row right. */
  private pushed(cells: readonly string[]): string {
    let line = '';
    let end = 0; // display width of `line`
    const last = cells.length - 1;
    for (let i = 0; i < last; i++) {
      const cell = cells[i] ?? '';
      const start = i === 0 ? 0 : Math.max(this.starts[i] ?? 0, end + COLUMN_GAP);
      line += ' '.repeat(start - end) + cell;
      end = start + displayWidth(cell);
    }
    const start = Math.max(this.starts[last] ?? 0, end + COLUMN_GAP);
    const args = cells[last] ?? '';
    // An empty argv leaves no trailing padding behind.
    return args === '' ? line : line + ' '.repeat(start - end) + args;
  }
}
