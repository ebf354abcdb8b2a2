/**
 * A small reader of GitHub-flavoured Markdown tables (the GFM spec's "Tables (extension)"), for
 * tests that check that generated Markdown renders as tables: no Markdown library is installed
 * (swap in `marked` or `markdown-it` once one is a devDependency). It finds every table — a header
 * row, a delimiter row (`---`, `:--`, `--:`, `:-:` per column), body rows until a blank line — and
 * reports what a renderer would not show as intended: a table not preceded by a blank line or a
 * heading (it would join the paragraph above), a header and delimiter with different column
 * counts (no table at all), body rows with another count (cells lost or left empty).
 * Cells are split at `|` not escaped by a backslash; `\|` reads as `|`.
 */
export interface GfmTable {
  /** 1-based line of the header row. */
  line: number;
  header: string[];
  rows: string[][];
}

const DELIMITER = /^\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)*\|?\s*$/;

/** The cells of one row: split at unescaped pipes, the outer ones dropped, trimmed, `\|` unescaped. */
export function gfmCells(line: string): string[] {
  let s = line.trim();
  if (s.startsWith('|')) s = s.slice(1);
  if (s.endsWith('|') && !s.endsWith('\\|')) s = s.slice(0, -1);
  const cells: string[] = [];
  let cur = '';
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '\\' && s[i + 1] === '|') {
      cur += '|';
      i++;
    } else if (s[i] === '|') {
      cells.push(cur.trim());
      cur = '';
    } else cur += s[i];
  }
  cells.push(cur.trim());
  return cells;
}

export function gfmTables(markdown: string): { tables: GfmTable[]; problems: string[] } {
  const lines = markdown.split('\n');
  const tables: GfmTable[] = [];
  const problems: string[] = [];
  let inFence = false;
  for (let i = 0; i < lines.length - 1; i++) {
    if (/^\s*(```|~~~)/.test(lines[i]!)) inFence = !inFence;
    if (inFence || !lines[i]!.includes('|') || !DELIMITER.test(lines[i + 1]!) || !lines[i + 1]!.includes('-')) continue;
    const header = gfmCells(lines[i]!);
    const delimiter = gfmCells(lines[i + 1]!);
    const at = `table at line ${i + 1}`;
    if (header.length !== delimiter.length)
      problems.push(`${at}: header has ${header.length} cells, delimiter row ${delimiter.length}: not a table`);
    const before = i === 0 ? '' : lines[i - 1]!;
    if (before.trim() !== '' && !/^#{1,6} /.test(before))
      problems.push(`${at}: no blank line before it: it would read as part of the paragraph "${before}"`);
    const rows: string[][] = [];
    let j = i + 2;
    for (; j < lines.length && lines[j]!.trim() !== '' && lines[j]!.includes('|'); j++) {
      const cells = gfmCells(lines[j]!);
      if (cells.length !== header.length)
        problems.push(`${at}, row at line ${j + 1}: ${cells.length} cells, the header has ${header.length}`);
      rows.push(cells);
    }
    if (j < lines.length && lines[j]!.trim() !== '') problems.push(`${at}: line ${j + 1} follows it without a blank line`);
    tables.push({ line: i + 1, header, rows });
    i = j - 1;
  }
  return { tables, problems };
}
