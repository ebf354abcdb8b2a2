import { describe, expect, it } from 'vitest';
import { COUNT_HEAD, parseCount } from './counts.js';

/** A count record as bpf/batcher.pl writes it (its strings escaped as bpftrace escaped them). */
const line = (over: Record<string, string> = {}): string => {
  const f = {
    cg2: '"7421"',
    cg1: '"0"',
    comm: '"ls"',
    execs: '5',
    failed: '2',
    searches: '3',
    first: '"1001500000"',
    last: '"9007199254740993"',
    errnos: '{"2": 1, "13": 1}',
    argv: '["ls", "-l", "a b"]',
    argvExecs: '4',
    ...over,
  };
  return `${COUNT_HEAD}"data": {${Object.entries(f)
    .map(([k, v]) => `"${k}": ${v}`)
    .join(', ')}}}`;
};

describe('parseCount', () => {
  it('reads every field; times as bigint (past 2^53)', () => {
    expect(parseCount(line())).toEqual({
      kind: 'count',
      cg2: '7421',
      cg1: '0',
      comm: 'ls',
      execs: 5,
      failed: 2,
      searches: 3,
      firstNs: 1_001_500_000n,
      lastNs: 9_007_199_254_740_993n,
      errnos: new Map([
        [2, 1],
        [13, 1],
      ]),
      argv: ['ls', '-l', 'a b'],
      argvExecs: 4,
    });
  });

  it.each([
    [
      'bpftrace 0.17 escapes (bytes >= 0x80 as \\uffffffXX) in comm and argv',
      { comm: String.raw`"gr\uffffffc3\uffffffbc\uffffffc3\uffffff9fe"`, argv: String.raw`["\uffffffe2\uffffff9c\uffffff93 x", "q\"\\"]` },
      { comm: 'grüße', argv: ['✓ x', 'q"\\'] },
    ],
    ['UTF-8 as newer versions write it', { comm: '"日本語"', argv: '[]' }, { comm: '日本語', argv: [] }],
    ['a comm with spaces', { comm: '"my prog"' }, { comm: 'my prog' }],
    ['no errno, nothing failed', { failed: '0', errnos: '{}' }, { failed: 0, errnos: new Map() }],
    [
      'only folded attempts',
      { execs: '0', failed: '0', errnos: '{}', first: '"0"', last: '"0"', argv: '[]', argvExecs: '0' },
      { execs: 0, searches: 3, firstNs: 0n },
    ],
  ])('%s', (_name, over, want) => {
    expect(parseCount(line(over))).toMatchObject(want);
  });

  it.each([
    ['not JSON', `${COUNT_HEAD}"data": {`, 'not JSON'],
    ['another type', '{"type": "printf", "data": "B 1\\n"}', 'not a count record'],
    ['data not an object', `${COUNT_HEAD}"data": "x"}`, 'not a count record'],
    ['a cgroup id not a number', line({ cg2: '"x7"' }), 'bad cgroup ids'],
    ['a cgroup id as a number', line({ cg1: '0' }), 'bad cgroup ids'],
    ['no comm', line({ comm: '1' }), 'no comm'],
    ['negative execs', line({ execs: '-1' }), 'bad counts'],
    ['a fraction', line({ searches: '1.5' }), 'bad counts'],
    ['more failed than execs', line({ failed: '6' }), 'bad counts'],
    ['a time not a string', line({ first: '5' }), 'bad times'],
    ['argv not strings', line({ argv: '["a", 1]' }), 'bad argv'],
    ['errnos an array', line({ errnos: '[2]' }), 'bad errnos'],
    ['a negative errno', line({ errnos: '{"-2": 1}' }), 'bad errnos'],
  ])('%s: says what is wrong', (_name, text, why) => {
    expect(parseCount(text)).toBe(why);
  });
});
