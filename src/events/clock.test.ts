import { describe, expect, it } from 'vitest';
import { TracerClock } from './clock.js';

describe('TracerClock', () => {
  it('without the clock record: the fallback', () => {
    expect(new TracerClock().wallMs(5_000_000n, 42)).toBe(42);
  });

  it.each<[bigint, number]>([
    [1_000_000_000n, 1_700_000_000_000],
    [1_002_500_000n, 1_700_000_000_002.5],
    [999_000_000n, 1_699_999_999_999],
  ])('monotonic %s ns → wall %s ms', (monoNs, wallMs) => {
    const c = new TracerClock();
    c.set(1_000_000_000n, 1_700_000_000_000);
    expect(c.wallMs(monoNs, 0)).toBe(wallMs);
  });
});
