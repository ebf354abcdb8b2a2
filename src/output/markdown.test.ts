import { describe, expect, it } from 'vitest';
import type { AttributedEvent } from '../join/types.js';
import { MarkdownSummary, MAX_LISTED, mdCode, mdText, type EndedProcess } from './markdown.js';
import { T0, hostEvent, podEvent, unattributedEvent } from './fixtures.test-helpers.js';
import { gfmCells, gfmTables } from '../../test/support/gfm.js';

const at = (s: number) => T0 + s * 1000; // T0 = 2026-11-26T11:41:16.123Z

function render(
  events: AttributedEvent[],
  opts: { upper?: (boolean | null | undefined)[]; exits?: Partial<EndedProcess>[]; facts?: string[] } = {},
): string {
  const m = new MarkdownSummary();
  events.forEach((e, i) => m.add(opts.upper ? { ...e, event: { ...e.event, upperLayer: opts.upper[i] ?? null } } : e));
  for (const x of opts.exits ?? [])
    m.exit({
      timeMs: T0,
      node: 'worker-1',
      namespace: 'pay',
      pod: 'api-0',
      container: 'api',
      containerId: null,
      pid: 1,
      comm: 'sh',
      exitCode: 0,
      signal: null,
      durationMs: 5,
      ...x,
    });
  return m.render('trace-exec summary', opts.facts);
}

/** The tables of `md` by the heading above each (checked to render as GFM tables). */
function tablesOf(md: string): Map<string, string[][]> {
  const { tables, problems } = gfmTables(md);
  expect(problems).toEqual([]);
  const lines = md.split('\n');
  const out = new Map<string, string[][]>();
  for (const t of tables) {
    const heading =
      lines
        .slice(0, t.line)
        .reverse()
        .find((l) => l.startsWith('#')) ?? '';
    out.set(out.has(heading) ? `${heading} (2)` : heading, [t.header, ...t.rows]);
  }
  return out;
}

const sections = (md: string): string[] => md.split('\n').filter((l) => l.startsWith('#'));

describe('MarkdownSummary', () => {
  it('nothing traced: the heading and a zero, no tables', () => {
    const md = render([]);
    expect(md).toBe('## trace-exec summary\n\n**0 execs**.\n');
    expect(gfmTables(md).tables).toEqual([]);
  });

  it('totals, a table of namespaces, a table per namespace, host processes, unmatched pods, failed execs', () => {
    const md = render(
      [
        podEvent({ comm: 'sh', timeMs: at(0) }, { namespace: 'pay', pod: 'api-0', container: 'api' }),
        podEvent({ comm: 'curl', timeMs: at(2) }, { namespace: 'pay', pod: 'api-0', container: 'api' }),
        podEvent(
          { comm: 'sh', timeMs: at(3), retval: -2, filename: '/nonexistent', args: ['/nonexistent', 'a|b'] },
          { namespace: 'pay', pod: 'api-1', container: 'api' },
        ),
        podEvent({ comm: 'nginx', timeMs: at(4) }, { namespace: 'web', pod: 'web-0', container: 'nginx' }),
        hostEvent({ comm: 'bash', timeMs: at(5) }, 'sshd.service'),
        unattributedEvent({ comm: 'sleep', timeMs: at(6) }),
      ],
      { facts: ['Traced on `worker-1`: 0 lost.'] },
    );
    expect(md.split('\n').slice(0, 5)).toEqual([
      '## trace-exec summary',
      '',
      '**6 execs**: 3 pods in 2 namespaces, 1 on the host; **1 failed**; 2026-11-26 11:41:16 to 11:41:22 UTC; node `worker-1`.',
      '',
      'Traced on `worker-1`: 0 lost.',
    ]);
    expect(sections(md)).toEqual([
      '## trace-exec summary',
      '### Namespace pay',
      '### Namespace web',
      '### Host processes',
      '### Pod cgroups no pod record matched',
      '### Failed execs',
    ]);
    const t = tablesOf(md);
    expect(t.get('## trace-exec summary')).toEqual([
      ['namespace', 'pods', 'execs', 'failed'],
      ['pay', '2', '3', '1'],
      ['web', '1', '1', '0'],
      ['host processes', '-', '1', '0'],
      ['unmatched pod cgroups', '1', '1', '0'],
    ]);
    expect(t.get('### Namespace pay')).toEqual([
      ['pod', 'container', 'execs', 'commands', 'failed', 'first', 'last', 'top commands'],
      ['api-0', 'api', '2', '2', '0', '11:41:16', '11:41:18', '`curl`×1 `sh`×1'],
      ['api-1', 'api', '1', '1', '1', '11:41:19', '11:41:19', '`sh`×1'],
    ]);
    expect(t.get('### Host processes')?.[1]?.slice(0, 3)).toEqual(['sshd.service', '-', '1']);
    expect(t.get('### Pod cgroups no pod record matched')?.[1]?.[0]).toBe('pod-uid:da0fc44d');
    expect(t.get('### Failed execs')).toEqual([
      ['time (UTC)', 'pod', 'container', 'file', 'argv', 'error'],
      ['11:41:19', 'pay/api-1', 'api', '`/nonexistent`', "`/nonexistent 'a|b'`", 'ENOENT'], // the | of argv stays in its cell
    ]);
  });

  it('no failed execs: says so', () => {
    expect(render([podEvent()])).toContain('### Failed execs\n\nNone.\n');
  });

  it('lists at most MAX_LISTED failed execs and says how many more', () => {
    const md = render(Array.from({ length: MAX_LISTED + 7 }, (_, i) => podEvent({ retval: -13, timeMs: at(i) })));
    expect(tablesOf(md).get('### Failed execs')).toHaveLength(MAX_LISTED + 1);
    expect(md).toContain('…and 7 more (the JSON lines have them all).');
  });

  it.each<[string, (boolean | null | undefined)[], RegExp | null]>([
    ['no upperLayer in the records: no drift section', [undefined, undefined], null],
    ['no exec on overlayfs: no drift section', [null, null], null],
    [
      'known, none from the writable layer',
      [false, null],
      /### Drift.*\n\nNone: all 1 exec of a file on overlayfs ran a file of an image layer\./,
    ],
    ['one from the writable layer', [true, false], /### Drift.*\n\n1 exec ran a file written into the container after it started/],
  ])('drift: %s', (_name, upper, re) => {
    const md = render([podEvent({ filename: '/tmp/x' }), podEvent()], { upper });
    if (re === null) expect(md).not.toContain('Drift');
    else expect(md).toMatch(re);
    if (upper[0] === true) {
      const tables = tablesOf(md);
      expect(tables.get('### Drift: executables not from the image')).toEqual([
        ['pod', 'container', 'drift execs', 'commonest files'],
        ['default/web-7d9f8b6c5d-x2x9q', 'nginx', '1', '`/tmp/x`×1'],
      ]);
      expect(tables.get('### Drift: executables not from the image (2)')?.[1]?.slice(3)).toEqual(['`/tmp/x`', '`sh -c true`', 'ran']);
    }
  });

  it.each<[string, Partial<EndedProcess>[], string[][] | string | null]>([
    ['no exits recorded: no section', [], null],
    ['all exited 0', [{}, {}], 'All 2 processes that ended exited with 0.'],
    [
      'non-zero and signals, per pod, commonest commands',
      [
        { exitCode: 1, comm: 'curl' },
        { exitCode: 1, comm: 'curl' },
        { exitCode: null, signal: 'SIGKILL', comm: 'java' },
        {},
        { namespace: null, pod: null, exitCode: 2, comm: 'make' },
      ],
      [
        ['namespace', 'pod', 'ended', 'non-zero or signal', 'commonest commands'],
        ['pay', 'api-0', '4', '3', '`curl`×2 `java`×1'],
        ['\\<host\\>', '-', '1', '1', '`make`×1'],
      ],
    ],
  ])('exits: %s', (_name, exits, expected) => {
    const md = render([podEvent()], { exits });
    if (expected === null) expect(md).not.toContain('### Exits');
    else if (typeof expected === 'string') expect(md).toContain(`### Exits\n\n${expected}`);
    else expect(tablesOf(md).get('### Exits')).toEqual(expected);
  });

  it.each<[string, string, string]>([
    ['plain', 'api-0', 'api-0'],
    ['emphasis and HTML stay text', '*a*_<b>', '\\*a\\*\\_\\<b\\>'],
    ['a pipe does not split the cell', 'a|b', 'a\\|b'],
    ['control characters are shown, not sent (as \\n, its backslash escaped)', 'a\nb', 'a\\\\nb'],
  ])('mdText: %s', (_name, input, out) => {
    expect(mdText(input)).toBe(out);
    expect(gfmCells(`| ${mdText(input)} | x |`)).toHaveLength(2);
  });

  it.each<[string, string, string]>([
    ['plain', 'curl', '`curl`'],
    ['a backtick inside: a longer fence', 'a`b', '``a`b``'],
    ['starting with a backtick: padded', '`x', '`` `x ``'],
    ['a pipe', 'a|b', '`a\\|b`'],
    ['empty', '', ''],
  ])('mdCode: %s', (_name, input, out) => {
    expect(mdCode(input)).toBe(out);
  });

  it('the table reader finds broken tables (so that the checks above can fail)', () => {
    expect(gfmTables('para\n| a | b |\n|---|---|\n| 1 | 2 |\n').problems.join()).toMatch(/no blank line before it/);
    expect(gfmTables('\n| a | b |\n|---|---|---|\n').problems.join()).toMatch(/not a table/);
    expect(gfmTables('\n| a | b |\n|---|---|\n| 1 | 2 | 3 |\n').problems.join()).toMatch(/3 cells, the header has 2/);
    expect(gfmTables('\n| a | b |\n|---|---|\n| 1 | 2 |\ntext\n').problems.join()).toMatch(/follows it without a blank line/);
    expect(gfmTables('\n| a | b |\n|---|--:|\n| 1 \\| 2 | 3 |\n').tables).toEqual([
      { line: 2, header: ['a', 'b'], rows: [['1 | 2', '3']] },
    ]);
  });
});
