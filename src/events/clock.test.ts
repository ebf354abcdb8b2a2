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

describe('TracerClock.wallMsOf: the clock as printed, to the bit what wallMs(BigInt(text)) gives', () => {
  const refs: bigint[] = [1_000_000_000n, 11_382_736_804_434n, 9_007_199_254_740_993n, 18_446_744_073_709_551_615n, 0n];
  const texts = [
    '1000000000',
    '11382846375449',
    '11382736804433',
    '0011382846375449',
    '5',
    '0',
    '-5',
    '9007199254740993',
    '9007199254740992',
    '18446744073709551615',
    '18446744073709551614',
    '99999999999999999999999',
    '1999999999',
    '2000000001',
  ];
  it.each(refs.flatMap((ref) => texts.map((t) => [String(ref), t] as const)))('reference %s, clock %s', (ref, text) => {
    const c = new TracerClock();
    expect(c.wallMsOf(text, 42)).toBe(42);
    c.set(BigInt(ref), 1_700_000_000_123.25);
    expect(c.wallMsOf(text, 0)).toBe(c.wallMs(BigInt(text), 0));
  });
});
