import { describe, expect, it } from 'vitest';
import { MAX_RETRIES, retryAfterSeconds, retryDelayMs } from './retry-after.js';

describe('retryAfterSeconds', () => {
  const now = Date.parse('2026-12-06T12:00:00Z');
  it.each<[string | undefined, number | null]>([
    [undefined, null],
    ['', null],
    ['1', 1],
    [' 7 ', 7],
    ['0', 0],
    ['3600', 60], // bounded: --request-timeout, not the server, decides how long a run waits
    ['Sun, 06 Dec 2026 12:00:05 GMT', 5],
    ['Sun, 06 Dec 2026 11:59:00 GMT', 0],
    ['soon', null],
    ['-3', null],
  ])('%j → %j', (header, expected) => {
    expect(retryAfterSeconds(header, now)).toBe(expected);
  });
});

describe('retryDelayMs', () => {
  const none = (): number => 0;
  const most = (): number => 1;
  it.each<[string, number, number | null, number, () => number, number | null]>([
    ['429 with Retry-After: the server’s wait', 429, 1, 0, none, 1000],
    ['429 with Retry-After: up to half again at random', 429, 1, 0, most, 1500],
    ['429 without Retry-After: backoff', 429, null, 0, none, 500],
    ['backoff doubles per attempt', 429, null, 3, none, 4000],
    ['backoff is bounded', 429, null, 9, none, 10_000],
    ['a longer backoff wins over a short Retry-After', 429, 1, 2, none, 2000],
    ['a longer Retry-After wins over the backoff', 429, 5, 2, none, 5000],
    ['503 with Retry-After', 503, 2, 0, none, 2000],
    ['503 without Retry-After is not retried here', 503, null, 0, none, null],
    ['503 with Retry-After: once only (its callers retry 5xx themselves)', 503, 1, 1, none, null],
    ['500 with Retry-After', 500, 1, 0, none, 1000],
    ['404 never', 404, 1, 0, none, null],
    ['409 never', 409, null, 0, none, null],
    ['after the last attempt, never', 429, 1, MAX_RETRIES, none, null],
  ])('%s', (_what, status, ra, attempt, random, expected) => {
    expect(retryDelayMs(status, ra, attempt, random)).toBe(expected);
  });

  it('retries of one moment spread over half the wait again', () => {
    let seed = 1;
    const random = (): number => ((seed = (seed * 16807) % 2147483647) - 1) / 2147483646;
    const delays = Array.from({ length: 500 }, () => retryDelayMs(429, 1, 0, random)!);
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(1000);
    expect(Math.max(...delays)).toBeLessThanOrEqual(1500);
    // Spread evenly (a fifth of them per 100 ms on average): never near all of them at once.
    for (let t = 1000; t < 1500; t += 10) expect(delays.filter((d) => d >= t && d < t + 100).length).toBeLessThanOrEqual(150);
  });
});
