import { describe, expect, it } from 'vitest';
import { closestFlag, closestSubcommand } from './suggest.js';
import { REPORT_FLAGS } from './flags.js';

describe('closestSubcommand', () => {
  it.each<[string, string | null]>([
    ['reprot', 'report'],
    ['rep', 'report'],
    ['Report', 'report'],
    ['clenup', 'cleanup'],
    ['completoin', 'completion'],
    ['worker-1', null], // a node name without node/: the target's own message says how to write it
    ['node/x', null],
    ['-n', null],
    ['r', null],
  ])('%j → %j', (word, expected) => {
    expect(closestSubcommand(word)).toBe(expected);
  });
});

describe('closestFlag among report flags', () => {
  it.each<[string, string | null]>([
    ['timeline', 'timeline-to'],
    ['outptu', 'output'],
    ['selector', null], // -l is refused before, with why
  ])('%j → %j', (word, expected) => {
    expect(closestFlag(word, REPORT_FLAGS)).toBe(expected);
  });
});
