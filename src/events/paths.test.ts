import { describe, expect, it } from 'vitest';
import { PathNames } from './paths.js';

/** Feeds the D records of one path (leaf first, then the marker) and returns what is known after. */
function walk(components: string[], marker: '' | '/', strlen = 200) {
  const p = new PathNames(strlen, 10);
  const done = [...components, marker].map((name, level) => p.add('7', level, name));
  return { done, known: p.get('7') };
}

describe('PathNames', () => {
  it.each([
    ['the root directory', [], '', { path: '/', cut: false }],
    ['a working directory', ['x', 'tmp'], '', { path: '/tmp/x', cut: false }],
    ['a memfd (the top of its internal mount)', ['memfd:payload'], '', { path: '/memfd:payload', cut: false }],
    ['a path deeper than the walk: cut, its start missing', ['c', 'b'], '/', { path: '…/b/c', cut: true }],
    ['a component that filled the string buffer: cut', ['a'.repeat(199), 'tmp'], '', { path: `/tmp/${'a'.repeat(199)}`, cut: true }],
  ] as const)('%s', (_name, components, marker, known) => {
    const r = walk([...components], marker);
    expect(r.known).toEqual(known);
    expect(r.done.at(-1)).toBe(true);
    expect(r.done.slice(0, -1).every((d) => !d)).toBe(true);
  });

  it('records in any order: known once every level up to the marker came', () => {
    const p = new PathNames(200, 10);
    expect(p.add('9', 2, '')).toBe(false);
    expect(p.add('9', 0, 'x')).toBe(false);
    expect(p.known('9')).toBe(false);
    expect(p.add('9', 1, 'tmp')).toBe(true);
    expect(p.get('9')).toEqual({ path: '/tmp/x', cut: false });
  });

  it("id '0' (no path: a failed exec's exe) is known and has no path; the oldest go past max", () => {
    const p = new PathNames(200, 1);
    expect(p.known('0')).toBe(true);
    expect(p.get('0')).toBeNull();
    p.add('1', 0, '');
    p.add('2', 0, '');
    expect(p.known('1')).toBe(false);
    expect(p.get('2')).toEqual({ path: '/', cut: false });
  });
});
