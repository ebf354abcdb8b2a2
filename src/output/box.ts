/**
 * The boxed tables of the summary (cli-table3, no colour), fitted to a terminal. Piped, or when the
 * table fits as it is, every cell is whole and each column as wide as its widest cell. Else whole
 * columns are left out first, least useful first, while the others could not have their preferred
 * width; the rest start at their minimum, and the room left makes whole first the columns that need
 * least of it. Longer cells are cut with `…`: names in the middle, lists between items. Numbers and
 * times are never cut: their columns are as wide as their widest cell.
 *
 * Pure, apart from cli-table3's drawing: the widths are computed from the cells and the width.
 */
import Table from 'cli-table3';
import { displayWidth, truncateMiddle } from './width.js';

export interface BoxColumn {
  head: string;
  align: 'left' | 'right';
  /**
   * How a longer cell is cut: `middle` keeps both ends (pod names), `items` keeps whole
   * space-separated items (`curl×26 sh×14 …`; a first item too long is cut in the middle), `never`
   * (counts, times) is never cut.
   */
  cut: 'middle' | 'items' | 'never';
  /** The narrowest a cut column gets; never below its header, whose words are never split. */
  min?: number;
  /** A cut column's width worth leaving other columns out for (when its cells are that wide). */
  preferred?: number;
}

export interface BoxLayout {
  /** Heads of the columns that may be left out, first left out first. */
  drop: readonly string[];
}

/** Characters a box adds to its cells: `│ ` before each, ` ` after each, the closing `│`. */
export const boxOverhead = (columns: number): number => 3 * columns + 1;

/**
 * The content width of each column kept (by index into `columns`, in order) for a table `width`
 * columns wide; null when every column fits whole, or `width` is null (piped).
 */
export function fitBox(
  columns: readonly BoxColumn[],
  rows: readonly (readonly string[])[],
  width: number | null,
  layout: BoxLayout,
): Map<number, number> | null {
  const widest = columns.map((c, i) => Math.max(displayWidth(c.head), ...rows.map((r) => displayWidth(r[i] ?? ''))));
  const total = (kept: readonly number[], w: (i: number) => number): number =>
    kept.reduce((s, i) => s + w(i), 0) + boxOverhead(kept.length);
  const all = columns.map((_, i) => i);
  if (width === null || total(all, (i) => widest[i]!) <= width) return null;
  const least = (i: number): number => {
    const c = columns[i]!;
    return c.cut === 'never' ? widest[i]! : Math.min(widest[i]!, Math.max(c.min ?? 0, displayWidth(c.head)));
  };
  const wanted = (i: number): number => Math.max(least(i), Math.min(widest[i]!, columns[i]!.preferred ?? 0));
  let kept = all;
  for (const head of layout.drop) {
    if (total(kept, wanted) <= width) break;
    kept = kept.filter((i) => columns[i]!.head !== head);
  }
  const widths = new Map(kept.map((i) => [i, least(i)]));
  let spare = width - total(kept, least);
  const byNeed = kept.filter((i) => widest[i]! > least(i)).sort((a, b) => widest[a]! - least(a) - (widest[b]! - least(b)) || a - b);
  for (const i of byNeed) {
    const add = Math.min(spare, widest[i]! - least(i));
    if (add <= 0) break;
    widths.set(i, least(i) + add);
    spare -= add;
  }
  return widths;
}

/** `cell` cut to `max` columns as its column says. */
export function cutCell(cell: string, max: number, cut: BoxColumn['cut']): string {
  if (cut === 'never' || displayWidth(cell) <= max) return cell;
  if (cut === 'middle') return truncateMiddle(cell, max);
  // Whole items while they fit with the ` …` that says more follow; a first item too long is cut in
  // the middle, so that its count (`×3`) stays.
  const items = cell.split(' ');
  let out = '';
  for (const item of items) {
    const next = out === '' ? item : `${out} ${item}`;
    if (displayWidth(next) + 2 > max) break;
    out = next;
  }
  if (out !== '') return `${out} …`;
  return items.length === 1 || max < 4 ? truncateMiddle(cell, max) : `${truncateMiddle(items[0]!, max - 2)} …`;
}

/** The table, fitted to `width` (null: piped, nothing cut). */
export function renderBox(
  columns: readonly BoxColumn[],
  rows: readonly (readonly string[])[],
  width: number | null,
  layout: BoxLayout,
): string {
  const widths = fitBox(columns, rows, width, layout);
  const kept = widths ? [...widths.keys()] : columns.map((_, i) => i);
  const table = new Table({
    head: kept.map((i) => columns[i]!.head),
    colAligns: kept.map((i) => columns[i]!.align),
    // cli-table3's widths include the cell's padding.
    ...(widths ? { colWidths: kept.map((i) => widths.get(i)! + 2) } : {}),
    style: { head: [], border: [], compact: true },
  });
  for (const r of rows) table.push(kept.map((i) => (widths ? cutCell(r[i] ?? '', widths.get(i)!, columns[i]!.cut) : (r[i] ?? ''))));
  return table.toString();
}
