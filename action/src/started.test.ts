import { describe, expect, it } from 'vitest';
import { allTracing, tracing } from './started.js';

describe('tracing', () => {
  it.each([
    ['nothing yet', 'trace-exec: creating debug pod ns/p on worker-1\n', null, false],
    ['one node', 'trace-exec: tracing execs on worker-1 (Ctrl-C to stop)\n', { attached: 1, of: 1 }, true],
    ['one node, with -d', 'trace-exec: tracing execs on worker-1 for 60s\n', { attached: 1, of: 1 }, true],
    [
      '2 of 3',
      'trace-exec: tracing execs on a (1/3) (Ctrl-C to stop)\ntrace-exec: tracing execs on c (2/3) (Ctrl-C to stop)\n',
      { attached: 2, of: 3 },
      false,
    ],
    [
      '3 of 3',
      'tracing execs on a (1/3) (Ctrl-C to stop)\ntracing execs on c (2/3) (Ctrl-C to stop)\ntracing execs on b (3/3) (Ctrl-C to stop)\n',
      { attached: 3, of: 3 },
      true,
    ],
  ])('%s', (_what, log, want, all) => {
    expect(tracing(log)).toEqual(want);
    expect(allTracing(log)).toBe(all);
  });
});
