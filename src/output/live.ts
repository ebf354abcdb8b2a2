import type { AttributedEvent } from '../join/types.js';
import { columnsFor, markDrift, type Column, type ColumnSet } from './columns.js';
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
 * The streaming table of `-o table` / `-o wide`, laid out like `kubectl get`: left-aligned columns
 * separated by spaces. No colour, no trailing spaces, no newline.
 *
 * On a terminal (`width` set) every column has a fixed width chosen once (src/output/fit.ts): the
 * header and every row fit on one line; longer cells are cut with `…` (names in the middle, keeping
 * both ends); narrow terminals leave the least useful columns out.
 *
 * Piped (`width` null) nothing is cut or left out: rows cannot be measured in advance, so each
 * column has a fixed start from its header and usual width, a longer cell pushes the following
 * cells right, and they return to their own start as soon as there is room.
 */
export class LiveTable {
  private readonly columns: readonly Column[];
  /** On a terminal: each column's width (ARGS last); piped: null. */
  private readonly widths: readonly number[] | null;
  /** Piped: the display column at which each column starts when nothing before it overflowed. */
  private readonly starts: readonly number[];

  constructor(opts: LiveTableOptions) {
    const all = columnsFor({ wide: opts.wide, nodes: opts.nodes ?? false, ancestry: opts.ancestry ?? false, terminal: opts.width !== null });
    if (opts.width === null) {
      this.columns = all;
      this.widths = null;
    } else {
      const fitted = fitColumns(all.map((c) => c.name), opts.width);
      // A DRIFT column left out for want of room: ARGS marks those rows instead.
      this.columns = markDrift(fitted.map((f) => all.find((c) => c.name === f.name)!));
      this.widths = fitted.map((f) => f.width);
    }
    const starts: number[] = [];
    let at = 0;
    for (const c of this.columns) {
      starts.push(at);
      at += Math.max(c.minWidth, displayWidth(c.name)) + COLUMN_GAP;
    }
    this.starts = starts;
  }

  header(): string {
    return this.widths ? this.fitted(this.columns.map((c) => c.name)) : this.pushed(this.columns.map((c) => c.name));
  }

  row(e: AttributedEvent): string {
    const widths = this.widths;
    if (!widths) return this.pushed(this.columns.map((c) => c.cell(e)));
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
