import { describe, expect, it } from 'vitest';
import { Backoff, GapLog } from './reconnect.js';

describe('Backoff', () => {
  it('tries at once, then 0.5, 1, 2, 4, 8, 10, 10 s', () => {
    const b = new Backoff(0, 3_600_000);
    expect(Array.from({ length: 8 }, () => b.next(0))).toEqual([0, 500, 1000, 2000, 4000, 8000, 10_000, 10_000]);
  });
  it('never waits past the window, and says when it is over', () => {
    const b = new Backoff(1000, 5000);
    expect(b.next(1000)).toBe(0);
    expect(b.next(1000)).toBe(500);
    b.next(1000);
    b.next(1000);
    expect(b.next(4000)).toBe(2000); // 4 s wanted, 2 s left
    expect(b.left(4000)).toBe(2000);
    expect(b.next(6000)).toBeNull();
    expect(b.left(7000)).toBe(0);
  });
  it('a window of 0 allows no attempt', () => {
    expect(new Backoff(5, 0).next(5)).toBeNull();
  });
});

describe('GapLog', () => {
  const t = (s: number) => Date.UTC(2026, 10, 30, 12, 0, 0) + s * 1000;
  it('opens one gap per incident and node, closes it, lists both ends in UTC', () => {
    const g = new GapLog();
    g.open('a', t(1));
    g.open('a', t(2)); // a second loss before the first was closed: the same gap
    g.open('b', t(3));
    expect(g.close('a', t(4.5))).toEqual({ node: 'a', from: '2026-11-30T12:00:01.000Z', to: '2026-11-30T12:00:04.500Z' });
    expect(g.close('a', t(5))).toBeNull();
    g.open('a', t(10));
    expect(g.close('a', t(11))).toMatchObject({ node: 'a', from: '2026-11-30T12:00:10.000Z' });
    expect(g.list()).toEqual([
      { node: 'a', from: '2026-11-30T12:00:01.000Z', to: '2026-11-30T12:00:04.500Z' },
      { node: 'b', from: '2026-11-30T12:00:03.000Z', to: null },
      { node: 'a', from: '2026-11-30T12:00:10.000Z', to: '2026-11-30T12:00:11.000Z' },
    ]);
    expect(g.summary()).toBe('3 gaps (4.5 s, 1 not closed)');
  });
  it('a gap never ends before it began; no gaps, no summary', () => {
    const g = new GapLog();
    expect(g.summary()).toBeNull();
    g.open('a', t(5));
    expect(g.close('a', t(4))?.to).toBe('2026-11-30T12:00:05.000Z');
    expect(g.summary()).toBe('1 gap (0.0 s)');
  });
});
