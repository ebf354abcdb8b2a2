import { describe, expect, it } from 'vitest';
import { boxOverhead, cutCell, fitBox, renderBox, type BoxColumn, type BoxLayout } from './box.js';
import { displayWidth } from './width.js';

const COLUMNS: BoxColumn[] = [
  { head: 'NAMESPACE', align: 'left', cut: 'middle', min: 9, preferred: 14 },
  { head: 'POD', align: 'left', cut: 'middle', min: 12, preferred: 30 },
  { head: 'EXECS', align: 'right', cut: 'never' },
  { head: 'FIRST', align: 'left', cut: 'never' },
  { head: 'TOP', align: 'left', cut: 'items', min: 16, preferred: 24 },
];
const LAYOUT: BoxLayout = { drop: ['FIRST'] };
const ROWS = [
  ['payments', 'api-7d9c6b5f4-x2kqp', '52', '11:46:48', 'curl×26 sh×14 date×12'],
  ['monitoring', 'checkout-frontend-5f8d9c7b6-qwert', '123456', '11:46:55', 'nginx×7'],
];
// Widest cells: NAMESPACE 10, POD 33, EXECS 6, FIRST 8, TOP 21; whole: 78 + 16 = 94 columns.

const layout = (w: Map<number, number> | null): string =>
  w === null ? 'whole' : [...w].map(([i, n]) => `${COLUMNS[i]!.head}:${n}`).join(' ');

describe('fitBox', () => {
  it.each<[string, number | null, string]>([
    ['piped: nothing cut', null, 'whole'],
    ['room for every cell', 94, 'whole'],
    ['200: still each column as wide as its widest cell', 200, 'whole'],
    ['93: FIRST kept (the names still get their preferred width), POD cut by one', 93, 'NAMESPACE:10 POD:32 EXECS:6 FIRST:8 TOP:21'],
    [
      '80: FIRST left out; the columns that need least room are made whole first, POD gets the rest',
      80,
      'NAMESPACE:10 POD:30 EXECS:6 TOP:21',
    ],
    ['60: NAMESPACE whole, TOP grown by what is left, POD at its minimum', 60, 'NAMESPACE:10 POD:12 EXECS:6 TOP:19'],
    ['40: minimums (too wide: best effort, as on the live table below 80)', 40, 'NAMESPACE:9 POD:12 EXECS:6 TOP:16'],
  ])('%s', (_what, width, expected) => {
    const w = fitBox(COLUMNS, ROWS, width, LAYOUT);
    expect(layout(w)).toBe(expected);
    if (w && width !== null && width >= 60) expect([...w.values()].reduce((s, n) => s + n, 0) + boxOverhead(w.size)).toBe(width);
  });

  it('a count is never cut, and never left out unless listed', () => {
    const w = fitBox(COLUMNS, ROWS, 50, LAYOUT)!;
    expect(w.get(2)).toBe(6);
    expect(fitBox(COLUMNS, ROWS, 50, { drop: [] })!.has(3)).toBe(true);
  });
});

describe('cutCell', () => {
  it.each<[string, number, BoxColumn['cut'], string]>([
    ['api-7d9c6b5f4-x2kqp', 12, 'middle', 'api-7d…x2kqp'],
    ['api-7d9c6b5f4-x2kqp', 19, 'middle', 'api-7d9c6b5f4-x2kqp'],
    ['curl×26 sh×14 date×12', 16, 'items', 'curl×26 sh×14 …'],
    ['curl×26 sh×14 date×12', 15, 'items', 'curl×26 sh×14 …'],
    ['curl×26 sh×14 date×12', 14, 'items', 'curl×26 …'],
    ['curl×26 sh×14 date×12', 21, 'items', 'curl×26 sh×14 date×12'],
    ['/usr/local/bin/a-very-long-name×3', 16, 'items', '/usr/loc…-name×3'],
    ['/usr/local/bin/a-very-long-name×3 /x×1', 16, 'items', '/usr/lo…name×3 …'],
    ['123456789', 3, 'never', '123456789'],
  ])('%j in %d (%s) → %j', (cell, max, cut, out) => {
    expect(cutCell(cell, max, cut)).toBe(out);
    if (cut !== 'never') expect(displayWidth(cutCell(cell, max, cut))).toBeLessThanOrEqual(max);
  });
});

describe('renderBox', () => {
  it.each([60, 70, 80, 93, 94, 120])('at %d every line fits; piped it is the table as it is', (width) => {
    const text = renderBox(COLUMNS, ROWS, width, LAYOUT);
    for (const line of text.split('\n')) expect(displayWidth(line), line).toBeLessThanOrEqual(width);
  });

  it('at 80: FIRST left out, the pod name cut in the middle, every row one line', () => {
    expect(renderBox(COLUMNS, ROWS, 80, LAYOUT).split('\n')).toEqual([
      '┌────────────┬────────────────────────────────┬────────┬───────────────────────┐',
      '│ NAMESPACE  │ POD                            │  EXECS │ TOP                   │',
      '├────────────┼────────────────────────────────┼────────┼───────────────────────┤',
      '│ payments   │ api-7d9c6b5f4-x2kqp            │     52 │ curl×26 sh×14 date×12 │',
      '│ monitoring │ checkout-fronte…f8d9c7b6-qwert │ 123456 │ nginx×7               │',
      '└────────────┴────────────────────────────────┴────────┴───────────────────────┘',
    ]);
  });

  it('piped (null): every column whole', () => {
    const text = renderBox(COLUMNS, ROWS, null, LAYOUT);
    expect(text).toContain('checkout-frontend-5f8d9c7b6-qwert');
    expect(text).toContain(' FIRST ');
    expect(displayWidth(text.split('\n')[0]!)).toBe(94);
  });
});
