import { describe, expect, it } from 'vitest';
import { buildBaselineOptions } from './baseline-options.js';

describe('buildBaselineOptions', () => {
  it.each([
    [{}, null],
    [{ baseline: ['old.jsonl'] }, { sources: ['old.jsonl'], failOn: [], allow: null }],
    [
      { baseline: ['a.jsonl', 'b.jsonl.gz'], failOn: ['new-exec,drift', 'session', 'drift'], allow: 'allow.txt' },
      { sources: ['a.jsonl', 'b.jsonl.gz'], failOn: ['new-exec', 'drift', 'session'], allow: 'allow.txt' },
    ],
  ])('%j', (raw, want) => expect(buildBaselineOptions(raw)).toEqual(want));

  it.each([
    [{ failOn: ['drift'] }, '--fail-on applies to a comparison: add --baseline FILE'],
    [{ allow: 'a.txt' }, '--allow applies to a comparison: add --baseline FILE'],
    [{ baseline: ['old'], failOn: ['drfit'] }, '--fail-on "drfit" is not a kind of finding: use new-exec, new-failure, drift, session'],
    [{ baseline: ['old'], failOn: [''] }, '--fail-on needs kinds of finding'],
    [{ baseline: [''] }, '--baseline needs a file'],
    [{ baseline: ['-'] }, 'stdin cannot be the baseline'],
    [{ baseline: ['old'], allow: ' ' }, '--allow needs a file name'],
  ])('refuses %j', (raw, message) => expect(() => buildBaselineOptions(raw)).toThrow(message));
});
