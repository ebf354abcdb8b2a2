import type { AttributedEvent } from '../join/types.js';
import { columnsFor, type Column, type ColumnSet } from './columns.js';
import { displayWidth, truncateToWidth } from './width.js';

export interface LiveTableOptions extends Partial<ColumnSet> {
  /** `-o wide` columns instead of `-o table`. */
  wide: boolean;
  /** Terminal columns when stdout is a TTY; null when piped (then nothing is ever cut). */
  width: number | null;
}

/** Spaces between columns (at least this many, also after a cell that overflowed its column). */
export const COLUMN_GAP = 2;
/**
 * Columns ARGS keeps even when the columns before it already (nearly) fill the terminal: a line
 * that wraps is better than a row with no command line in it.
 */
export const MIN_ARGS_WIDTH = 16;

/**
 * The streaming table of `-o table` / `-o wide`, laid out like `kubectl get`: left-aligned columns
 * separated by spaces. Rows arrive one at a time and cannot be measured in advance, so each column
 * has a fixed start computed from its header and minimum width. A cell longer than its column is
 * never cut: it pushes the following cells right, and they return to their own column start as
 * soon as there is room. Only ARGS, the last column, is cut to the terminal width (with `…`),
 * and only when `width` is not null. No colour, no trailing newline.
 */
export class LiveTable {
  private readonly columns: readonly Column[];
  /** Display column at which each column starts when nothing before it overflowed. */
  private readonly starts: readonly number[];
  private readonly width: number | null;

  constructor(opts: LiveTableOptions) {
    this.columns = columnsFor({ wide: opts.wide, nodes: opts.nodes ?? false, ancestry: opts.ancestry ?? false });
    this.width = opts.width;
    const starts: number[] = [];
    let at = 0;
    for (const c of this.columns) {
      starts.push(at);
      at += Math.max(c.minWidth, displayWidth(c.name)) + COLUMN_GAP;
    }
    this.starts = starts;
  }

  header(): string {
    return this.layout(this.columns.map((c) => c.name));
  }

  row(e: AttributedEvent): string {
    return this.layout(this.columns.map((c) => c.cell(e)));
  }

  private layout(cells: readonly string[]): string {
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
    let args = cells[last] ?? '';
    if (this.width !== null) args = truncateToWidth(args, Math.max(this.width - start, MIN_ARGS_WIDTH));
    // An empty argv leaves no trailing padding behind.
    return args === '' ? line : line + ' '.repeat(start - end) + args;
  }
}
