import { describe, expect, it } from 'vitest';
import { columnsFor, type ColumnName, type ColumnSet } from './columns.js';
import { fitColumns, FIT, GAP, MIN_ARGS } from './fit.js';

/** The columns of a table on a terminal (fitColumns is only used there). */
const names = (set: Partial<ColumnSet>): ColumnName[] =>
  columnsFor({ wide: false, nodes: false, ancestry: false, terminal: true, ...set }).map((c) => c.name);
const total = (cols: { width: number }[]): number => cols.reduce((s, c) => s + c.width, 0) + GAP * (cols.length - 1);
const layout = (cols: { name: string; width: number }[]): string => cols.map((c) => `${c.name}:${c.width}`).join(' ');

describe('fitColumns', () => {
  it.each<[string, Partial<ColumnSet>, number, string]>([
    [
      'table at 80: PPID and CONTAINER left out, PID kept (the next command needs it)',
      {},
      80,
      'TIME:8 NAMESPACE:9 POD:12 PID:7 COMM:6 RET:6 ARGS:20',
    ],
    ['table at 100: every column at its minimum', {}, 100, 'TIME:8 NAMESPACE:9 POD:12 CONTAINER:9 PID:7 PPID:7 COMM:6 RET:6 ARGS:20'],
    ['table at 120: the pod name grows first', {}, 120, 'TIME:8 NAMESPACE:9 POD:16 CONTAINER:9 PID:7 PPID:7 COMM:6 RET:6 ARGS:36'],
    ['table at 200', {}, 200, 'TIME:12 NAMESPACE:14 POD:30 CONTAINER:14 PID:7 PPID:7 COMM:15 RET:8 ARGS:77'],
    [
      'several nodes at 80: NODE stays (a PID says little without its node), CONTAINER and PID go',
      { nodes: true },
      80,
      'TIME:8 NODE:8 NAMESPACE:9 POD:12 COMM:6 RET:6 ARGS:19',
    ],
    ['several nodes at 120', { nodes: true }, 120, 'TIME:8 NODE:8 NAMESPACE:9 POD:12 CONTAINER:9 PID:7 PPID:7 COMM:6 RET:6 ARGS:30'],
    [
      'wide at 80, one node: no NODE (the same on every row), PID kept',
      { wide: true },
      80,
      'TIME:8 NAMESPACE:9 POD:12 PID:7 COMM:6 RET:6 ARGS:20',
    ],
    [
      'wide at 100, one node: DRIFT kept in the room NODE took',
      { wide: true },
      100,
      'TIME:8 NAMESPACE:9 POD:12 CONTAINER:9 PID:7 COMM:6 RET:6 DRIFT:5 ARGS:22',
    ],
    [
      'wide at 140, one node',
      { wide: true },
      140,
      'TIME:8 NAMESPACE:9 POD:12 CONTAINER:9 PID:7 PPID:7 COMM:6 UID:5 RET:6 CONTAINER-ID:13 DRIFT:5 ARGS:31',
    ],
    ['wide at 80, several nodes', { wide: true, nodes: true }, 80, 'TIME:8 NAMESPACE:9 POD:12 COMM:6 NODE:8 RET:6 ARGS:19'],
    [
      'wide at 140, several nodes: ARGS on the row, UID, CONTAINER-ID and DRIFT kept',
      { wide: true, nodes: true },
      140,
      'TIME:8 NAMESPACE:9 POD:12 CONTAINER:9 PID:7 PPID:7 COMM:6 NODE:8 UID:5 RET:6 CONTAINER-ID:13 DRIFT:5 ARGS:21',
    ],
    [
      'wide at 100, several nodes: DRIFT left out before PID (ARGS marks drift rows then)',
      { wide: true, nodes: true },
      100,
      'TIME:8 NAMESPACE:9 POD:12 CONTAINER:9 PID:7 COMM:6 NODE:8 RET:6 ARGS:19',
    ],
    ['ancestry at 120', { ancestry: true }, 120, 'TIME:8 NAMESPACE:9 POD:12 CONTAINER:9 PID:7 PPID:7 COMM:6 RET:6 ANCESTRY:12 ARGS:26'],
    [
      'ancestry at 100: CONTAINER left out before ANCESTRY (asked for) and PID',
      { ancestry: true },
      100,
      'TIME:8 NAMESPACE:9 POD:12 PID:7 COMM:6 RET:6 ANCESTRY:12 ARGS:26',
    ],
    ['ancestry at 80: ANCESTRY left out before PID', { ancestry: true }, 80, 'TIME:8 NAMESPACE:9 POD:12 PID:7 COMM:6 RET:6 ARGS:20'],
  ])('%s', (_what, set, width, expected) => {
    const cols = fitColumns(names(set), width);
    expect(layout(cols)).toBe(expected);
    expect(total(cols)).toBe(width);
  });

  it.each([80, 81, 90, 99, 100, 119, 120, 133, 140, 160, 199, 200, 300])(
    'at %d every set fits, no column below its minimum, ARGS last and ≥ MIN_ARGS',
    (width) => {
      for (const wide of [false, true]) {
        for (const nodes of [false, true]) {
          for (const ancestry of [false, true]) {
            const cols = fitColumns(names({ wide, nodes, ancestry }), width);
            expect(total(cols), `${width} ${JSON.stringify({ wide, nodes, ancestry })}: ${layout(cols)}`).toBeLessThanOrEqual(width);
            for (const c of cols) expect(c.width).toBeGreaterThanOrEqual(Math.max(FIT[c.name].min, c.name.length));
            expect(cols.at(-1)).toMatchObject({ name: 'ARGS' });
            expect(cols.at(-1)!.width).toBeGreaterThanOrEqual(MIN_ARGS);
            expect(cols.map((c) => c.name)).toContain('POD');
            expect(cols.map((c) => c.name)).toContain('RET');
            // The node of a several-node trace, else the PID: what the next command needs.
            expect(cols.map((c) => c.name)).toContain(nodes ? 'NODE' : 'PID');
            if (!nodes) expect(cols.map((c) => c.name)).not.toContain('NODE');
          }
        }
      }
    },
  );

  it('keeps the order of the columns', () => {
    const all = names({ wide: true, ancestry: true });
    const kept = fitColumns(all, 120).map((c) => c.name);
    expect(kept).toEqual(all.filter((n) => kept.includes(n)));
  });
});
