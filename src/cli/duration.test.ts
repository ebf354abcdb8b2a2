import { describe, expect, it } from 'vitest';
import { parseDuration } from './duration.js';

describe('parseDuration', () => {
  it.each([
    ['30', 30_000],
    ['30s', 30_000],
    ['2m', 120_000],
    ['1m30s', 90_000],
    ['1h', 3_600_000],
    ['500ms', 500],
    ['1.5s', 1500],
    [' 10s ', 10_000],
    ['1h2m3s', 3_723_000],
  ])('%s → %d ms', (text, ms) => {
    expect(parseDuration(text, '--duration')).toBe(ms);
  });

  it.each([
    ['abc', /--duration "abc" is not a duration/],
    ['', /is not a duration/],
    ['-5s', /is not a duration/],
    ['10x', /is not a duration/],
    ['s', /is not a duration/],
    ['0', /must be longer than zero/],
    ['0s', /must be longer than zero/],
  ])('rejects %j', (text, msg) => {
    expect(() => parseDuration(text, '--duration')).toThrow(msg);
  });
});
