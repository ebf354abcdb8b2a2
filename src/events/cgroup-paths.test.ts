import { describe, expect, it } from 'vitest';
import { CgroupPaths } from './cgroup-paths.js';

describe('CgroupPaths', () => {
  it.each<[string, number, [number, string][], string | null]>([
    [
      'leaf first, then the root',
      8,
      [
        [0, 'b.scope'],
        [1, 'a.slice'],
        [2, ''],
      ],
      '/a.slice/b.scope',
    ],
    [
      'any level order',
      8,
      [
        [2, ''],
        [0, 'b.scope'],
        [1, 'a.slice'],
      ],
      '/a.slice/b.scope',
    ],
    ['the root cgroup itself', 8, [[0, '']], '/'],
    [
      'deeper than the program climbs',
      2,
      [
        [0, 'c'],
        [1, 'b'],
      ],
      '…/b/c',
    ],
    [
      'a level still missing',
      8,
      [
        [0, 'b.scope'],
        [2, ''],
      ],
      null,
    ],
  ])('%s', (_name, levels, names, path) => {
    const c = new CgroupPaths(levels, 100);
    const done = names.map(([level, name]) => c.add(2, '77', level, name));
    expect(done.at(-1)).toBe(path !== null);
    expect(c.known(2, '77')).toBe(path !== null);
    expect(c.path(2, '77')).toBe(path);
    expect(c.path(1, '77')).toBeNull(); // hierarchies are apart
  });

  it('id 0: the program did not read that hierarchy (known, no path)', () => {
    const c = new CgroupPaths(8, 100);
    expect(c.known(1, '0')).toBe(true);
    expect(c.path(1, '0')).toBeNull();
  });

  it('remembers at most max paths per hierarchy, the oldest going first', () => {
    const c = new CgroupPaths(8, 2);
    for (const id of ['1', '2', '3']) c.add(2, id, 0, '');
    expect(['1', '2', '3'].map((id) => c.known(2, id))).toEqual([false, true, true]);
  });
});
