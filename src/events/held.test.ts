import { describe, expect, it } from 'vitest';
import { Held } from './held.js';

describe('Held', () => {
  it('holds until taken, or until holdMs passed', () => {
    const h = new Held<string, number>(100);
    h.hold('a', 1, 0);
    h.hold('b', 2, 50);
    expect(h.take('a')).toBe(1);
    expect(h.take('a')).toBeUndefined();
    h.hold('c', 3, 10);
    expect(h.expire(109, false)).toBe(0);
    expect(h.expire(110, false)).toBe(1); // c
    expect(h.get('b')).toBe(2);
    expect(h.size).toBe(1);
    expect(h.expire(0, true)).toBe(1);
    expect(h.size).toBe(0);
  });

  it('a later value for the same key replaces the held one', () => {
    const h = new Held<string, number>(100);
    h.hold('a', 1, 0);
    h.hold('a', 2, 90);
    expect(h.expire(100, false)).toBe(0); // held from 90
    expect(h.take('a')).toBe(2);
  });
});
