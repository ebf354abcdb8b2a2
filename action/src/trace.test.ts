import { describe, expect, it } from 'vitest';
import { parseStat } from './trace.js';

const rest = (state: string, start: string): string =>
  `${state} 1 100 100 0 -1 4194560 300 0 0 0 5 2 0 0 20 0 3 0 ${start} 1000000 200 18446744073709551615`;

describe('parseStat', () => {
  it.each([
    ['plain', `4242 (kubectl-trace_e) ${rest('S', '987654')}`, { state: 'S', startTime: '987654' }],
    ['a zombie', `4242 (kubectl-trace_e) ${rest('Z', '12')}`, { state: 'Z', startTime: '12' }],
    ['a name with spaces and parentheses', `7 (a) b (c)) ${rest('R', '55')}`, { state: 'R', startTime: '55' }],
    ['cut short', '7 (x) S 1 2', null],
  ])('%s', (_what, stat, want) => expect(parseStat(stat)).toEqual(want));
});
