import { describe, expect, it } from 'vitest';
import { decodeWaitStatus, endedBadly } from './wait-status.js';

describe('decodeWaitStatus', () => {
  it.each([
    ['exit 0', 0, { exitCode: 0, signal: null, core: false }],
    ['exit 3', 3 << 8, { exitCode: 3, signal: null, core: false }],
    ['exit 255', 255 << 8, { exitCode: 255, signal: null, core: false }],
    ['SIGKILL', 9, { exitCode: null, signal: 9, core: false }],
    ['SIGSEGV with a core dump', 11 | 0x80, { exitCode: null, signal: 11, core: true }],
  ])('%s', (_name, status, end) => {
    expect(decodeWaitStatus(status)).toEqual(end);
  });
});

describe('endedBadly', () => {
  it.each([
    ['a live end: exit 0', { exitCode: 0, signal: null }, false],
    ['a live end: exit 1', { exitCode: 1, signal: null }, true],
    ['a live end: killed by signal 9', { exitCode: null, signal: 9 }, true],
    ['an exit line: exit 0', { exitCode: 0, signal: null }, false],
    ['an exit line: exit 2', { exitCode: 2, signal: null }, true],
    ['an exit line: SIGKILL', { exitCode: null, signal: 'SIGKILL' }, true],
    // A recording's exit line that says neither: nothing says it ended badly.
    ['an exit line with neither field', { exitCode: null, signal: null }, false],
  ] as const)('%s', (_name, end, bad) => {
    expect(endedBadly(end)).toBe(bad);
  });
});
