import { describe, expect, it } from 'vitest';
import { RecordingCheck, type LineKind } from './recording-check.js';

const rec: LineKind = { kind: 'record' };
const bad = (reason: string): LineKind => ({ kind: 'malformed', reason });
const totals = (shown: number | null): LineKind => ({ kind: 'totals', shown });

/** Feeds lines [source, text, kind, warning] and returns what was printed and what end() says. */
function feed(lines: [string, string, LineKind, string | null][]) {
  const c = new RecordingCheck();
  const printed: string[] = [];
  const lineNo = new Map<string, number>();
  for (const [source, text, kind, warning] of lines) {
    const n = (lineNo.get(source) ?? 0) + 1;
    lineNo.set(source, n);
    printed.push(...c.line(source, n, text, kind, warning));
  }
  const end = c.end();
  return { printed, notRecordings: end.notRecordings.map((x) => x.source), end };
}

describe('RecordingCheck', () => {
  it.each<[string, [string, string, LineKind, string | null][], { printed: string[]; notRecordings: string[]; atEnd: string[] }]>([
    [
      'a recording',
      [
        ['a', '{}', rec, null],
        ['a', '{}', rec, null],
      ],
      { printed: [], notRecordings: [], atEnd: [] },
    ],
    [
      'a recording with a malformed line first: its warning waits for the first record, then is printed',
      [
        ['a', '{"ti', bad('not JSON'), 'w1'],
        ['a', '{}', rec, null],
        ['a', 'x', bad('not JSON'), 'w3'],
      ],
      { printed: ['w1', 'w3'], notRecordings: [], atEnd: [] },
    ],
    [
      'a stderr log: no record, no warning printed',
      [
        ['log', 'trace-exec: x', bad('not JSON'), 'w1'],
        ['log', '{"kind":"trace-exec.totals"}', totals(3), null],
      ],
      { printed: [], notRecordings: ['log'], atEnd: [] },
    ],
    [
      'a run that showed nothing, stderr in the file: a recording; its warnings at the end',
      [
        ['m', 'trace-exec: x', bad('not JSON'), 'w1'],
        ['m', '{}', totals(0), null],
      ],
      { printed: [], notRecordings: [], atEnd: ['w1'] },
    ],
    [
      'an empty input, or blank lines only: a recording of nothing',
      [['e', '', { kind: 'blank' }, null]],
      { printed: [], notRecordings: [], atEnd: [] },
    ],
    [
      'a line of a type this version does not know is not a record',
      [['f', '{"type":"fork"}', { kind: 'other' }, null]],
      { printed: [], notRecordings: ['f'], atEnd: [] },
    ],
    [
      'each input on its own: a good one does not vouch for a log',
      [
        ['a', '{}', rec, null],
        ['log', 'trace-exec: x', bad('not JSON'), 'w'],
        ['b', '{}', rec, null],
      ],
      { printed: [], notRecordings: ['log'], atEnd: [] },
    ],
  ])('%s', (_what, lines, want) => {
    const r = feed(lines);
    expect(r.printed).toEqual(want.printed);
    expect(r.notRecordings).toEqual(want.notRecordings);
    expect(r.end.warnings).toEqual(want.atEnd);
  });

  it('says which line failed first, how many lines, and whether it looks like trace-exec stderr', () => {
    const r = feed([
      ['log', '', { kind: 'blank' }, null],
      ['log', 'trace-exec: probing node vm', bad('not JSON'), 'w'],
      ['log', 'x', bad('other'), 'w'],
    ]);
    expect(r.end.notRecordings).toEqual([
      { source: 'log', lines: 3, firstMalformed: { lineNo: 2, reason: 'not JSON' }, looksLikeStderr: true },
    ]);
    expect(feed([['j', '{"level":"info"}', bad('"attribution" is not a string'), null]]).end.notRecordings[0]?.looksLikeStderr).toBe(false);
  });
});
