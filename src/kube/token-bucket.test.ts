import { describe, expect, it } from 'vitest';
import { TokenBucket, type Budget } from './token-bucket.js';

/** Reserves at the given times (ms) and returns each wait. */
function waits(budget: Budget, at: number[]): number[] {
  let now = 0;
  const bucket = new TokenBucket(budget, () => now);
  return at.map((t) => {
    now = t;
    return bucket.reserve();
  });
}

describe('TokenBucket', () => {
  it.each<[string, Budget, number[], number[]]>([
    ['the burst goes at once', { qps: 5, burst: 3 }, [0, 0, 0], [0, 0, 0]],
    ['past the burst, one token period more per request', { qps: 5, burst: 3 }, [0, 0, 0, 0, 0, 0], [0, 0, 0, 200, 400, 600]],
    ['refills at qps', { qps: 10, burst: 1 }, [0, 100, 200, 250], [0, 0, 0, 50]],
    ['a quiet spell refills no more than the burst', { qps: 10, burst: 2 }, [0, 10_000, 10_000, 10_000], [0, 0, 0, 100]],
    ['queued reservations are paid back before new ones go', { qps: 1, burst: 1 }, [0, 0, 0, 1500], [0, 1000, 2000, 1500]],
    ['a fraction of a request per second', { qps: 0.5, burst: 1 }, [0, 0], [0, 2000]],
    ['a clock that steps back refills nothing', { qps: 10, burst: 1 }, [1000, 500, 500], [0, 100, 200]],
  ])('%s', (_what, budget, at, expected) => {
    expect(waits(budget, at)).toEqual(expected);
  });

  it('over any window, at most burst + qps × window requests go', () => {
    const budget = { qps: 50, burst: 300 };
    const now = 0;
    const bucket = new TokenBucket(budget, () => now);
    const goAt = Array.from({ length: 2000 }, () => now + bucket.reserve()).sort((a, b) => a - b);
    for (let i = 0; i < goAt.length; i++) {
      for (const windowMs of [100, 1000, 10_000]) {
        let n = 0;
        for (let j = i; j < goAt.length && goAt[j]! < goAt[i]! + windowMs; j++) n++;
        expect(n).toBeLessThanOrEqual(budget.burst + Math.ceil((budget.qps * windowMs) / 1000));
      }
    }
    expect(goAt.at(-1)).toBe(((2000 - 300) * 1000) / 50);
  });
});
