import { describe, expect, it } from 'vitest';
import { totalsProblems } from './totals.js';

const line = (o: object): string => JSON.stringify({ kind: 'trace-exec.totals', reason: 'signal', events: 10, ...o });

describe('totalsProblems', () => {
  it.each([
    ['complete', `creating debug pod …\n${line({ lost: 0, malformed: 0, failedNodes: 0, gaps: [] })}\n`, []],
    ['no totals line (killed, crashed)', 'tracing execs on worker-1\n', [expect.stringContaining('did not end cleanly (no totals line')]],
    ['a totals line cut short', `${line({ lost: 0 }).slice(0, 30)}\n`, [expect.stringContaining('did not end cleanly')]],
    ['lost events', `${line({ lost: 3, malformed: 0, failedNodes: 0 })}\n`, ['trace-exec lost 3 events: the recording is incomplete']],
    [
      'malformed and a failed node',
      `${line({ lost: 0, malformed: 2, failedNodes: 1 })}\n`,
      [
        'trace-exec read 2 malformed lines from bpftrace: the recording may be incomplete',
        'trace-exec could not trace 1 node(s) to the end: see its log',
      ],
    ],
  ])('%s', (_what, log, want) => expect(totalsProblems(log)).toEqual(want));
});
