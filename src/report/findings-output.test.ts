import { describe, expect, it } from 'vitest';
import { displayWidth } from '../output/width.js';
import type { Finding } from './baseline.js';
import { MAX_TEXT_FINDINGS, renderFindingsMarkdown, renderFindingsText, toJsonFinding, type DiffFacts } from './findings-output.js';

const T = Date.UTC(2026, 11, 6, 12, 0, 1);
const f = (over: Partial<Finding>): Finding => ({
  kind: 'new-exec',
  namespace: 'shop',
  workload: 'deploy/web',
  container: 'web',
  entry: null,
  executable: '/usr/bin/id',
  count: 1,
  sessions: null,
  firstMs: T,
  args: ['id', '-u'],
  node: 'worker-1',
  pod: 'web-5c8d9f7b4-vwz9q',
  error: null,
  ...over,
});
const FACTS: DiffFacts = { baseline: ['old.jsonl'], baselineExecs: 12, compared: ['new.jsonl'], comparedExecs: 15, allowed: 0 };
const FOUND = [
  f({
    kind: 'drift',
    executable: '/tmp/trace-exec-e2e-baseline-abcdef/merged/miner',
    args: ['/tmp/trace-exec-e2e-baseline-abcdef/merged/miner', '--pool', 'stratum+tcp://example:3333'],
  }),
  f({ kind: 'session', entry: 'exec', executable: '/usr/bin/cat', count: 3, sessions: 2, args: ['cat', '/etc/shadow'] }),
  f({}),
  f({ kind: 'new-failure', executable: '/nonexistent/tool', args: ['/nonexistent/tool'], error: 'ENOENT' }),
];

describe('renderFindingsText', () => {
  it('nothing new: the headline alone, wrapped to the terminal', () => {
    expect(renderFindingsText([], { ...FACTS, allowed: 2 }, 80)).toBe(
      'Baseline diff: nothing new in new.jsonl (15 execs) against the baseline\nold.jsonl (12 execs); 2 more left out by --allow.',
    );
  });

  it('piped: every cell whole', () => {
    const text = renderFindingsText(FOUND, FACTS, null);
    expect(text.split('\n')[0]).toBe(
      'Baseline diff: 4 findings (1 drift, 1 session, 1 new-exec, 1 new-failure) in new.jsonl (15 execs) against the baseline old.jsonl (12 execs):',
    );
    expect(text).toContain('/tmp/trace-exec-e2e-baseline-abcdef/merged/miner --pool stratum+tcp://example:3333');
    expect(text).toContain('│ 3 in 2 sessions │');
    expect(text).toContain('/nonexistent/tool  (ENOENT)');
  });

  it('a table of at most MAX_TEXT_FINDINGS rows, then how many more', () => {
    const many = Array.from({ length: MAX_TEXT_FINDINGS + 5000 }, (_, i) => f({ executable: `/usr/bin/cmd${i}` }));
    const lines = renderFindingsText(many, FACTS, 100).split('\n');
    expect(lines.filter((l) => l.startsWith('│ new-exec'))).toHaveLength(MAX_TEXT_FINDINGS);
    expect(lines.at(-1)).toBe('…and 5000 more (-o json lists them all).');
  });

  it.each([80, 100, 120])('fits a terminal of %i columns', (width) => {
    const lines = renderFindingsText(FOUND, FACTS, width).split('\n');
    for (const l of lines) expect(displayWidth(l), l).toBeLessThanOrEqual(width);
    // Who and what stay: the kind, the workload and the executable's start.
    const body = lines.filter((l) => l.startsWith('│'));
    expect(body[0]).toMatch(/FINDING .*WORKLOAD .*EXECUTABLE/);
    expect(body.slice(1).map((l) => l.split('│')[1]!.trim())).toEqual(['drift', 'session', 'new-exec', 'new-failure']);
  });
});

describe('renderFindingsMarkdown', () => {
  it('a heading, the headline and one table', () => {
    const md = renderFindingsMarkdown(FOUND.slice(1, 2), FACTS);
    expect(md).toBe(
      [
        '## trace-exec baseline diff',
        '',
        'Baseline diff: 1 finding \\(1 session\\) in new.jsonl \\(15 execs\\) against the baseline old.jsonl \\(12 execs\\):',
        '',
        '| finding | namespace | workload | container | executable | count | first (UTC) | example |',
        '|---|---|---|---|---|---:|---|---|',
        '| new in an exec session (`session`) | shop | `deploy/web` | web | `/usr/bin/cat` | 3 in 2 sessions | 12:00:01 | `cat /etc/shadow` |',
        '',
      ].join('\n'),
    );
  });
});

describe('toJsonFinding', () => {
  it('the documented fields, in order', () => {
    expect(Object.keys(toJsonFinding(FOUND[3]!))).toEqual([
      'type',
      'kind',
      'namespace',
      'workload',
      'container',
      'entry',
      'executable',
      'count',
      'sessions',
      'first',
      'args',
      'node',
      'pod',
      'error',
    ]);
    expect(toJsonFinding(FOUND[3]!)).toMatchObject({
      type: 'finding',
      kind: 'new-failure',
      first: '2026-12-06T12:00:01.000Z',
      error: 'ENOENT',
    });
  });
});
