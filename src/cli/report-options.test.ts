import { describe, expect, it } from 'vitest';
import { buildReportOptions, refuseSelector, type RawReportArgs } from './report-options.js';
import { UsageError } from './options.js';

function usageError(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    return (e as Error).message;
  }
  throw new Error('accepted');
}

describe('buildReportOptions', () => {
  it('defaults: -o summary, no filters', () => {
    expect(buildReportOptions({ targets: ['a.jsonl'] })).toEqual({
      sources: ['a.jsonl'],
      output: 'summary',
      timelineTo: null,
      baseline: null,
      namespaces: null,
      pods: null,
      filters: { selector: null, container: null, comm: null, failed: false, host: false, drift: false, sessions: false, noProbes: false },
      verbose: false,
    });
  });

  it.each<[string, Partial<RawReportArgs>, object]>([
    ['files in order, stdin among them', { targets: ['a.jsonl', '-', 'b.jsonl.gz'] }, { sources: ['a.jsonl', '-', 'b.jsonl.gz'] }],
    [
      'pod/NAME positionals are filters, not files',
      { targets: ['a.jsonl', 'pod/api-0', 'po/api-1', 'pod/api-0'] },
      { sources: ['a.jsonl'], pods: ['api-0', 'api-1'] },
    ],
    ['a file in a directory named pod, written ./pod/x', { targets: ['./pod/x'] }, { sources: ['./pod/x'], pods: null }],
    ['markdown and a timeline', { targets: ['a'], output: 'markdown', timelineTo: 't.json' }, { output: 'markdown', timelineTo: 't.json' }],
    [
      'a comparison as JSON',
      { targets: ['a'], output: 'json', baseline: ['old.jsonl'], failOn: ['drift'] },
      { output: 'json', baseline: { sources: ['old.jsonl'], failOn: ['drift'], allow: null } },
    ],
    [
      'the filters of a live run',
      { targets: ['a'], namespace: ['a,b'], container: ['web'], comm: ['^sh$'], failed: true },
      { namespaces: ['a', 'b'], filters: { container: ['web'], comm: [/^sh$/], failed: true } },
    ],
    ['--drift', { targets: ['a'], drift: true }, { filters: { drift: true, failed: false } }],
  ])('%s', (_name, raw, expected) => {
    expect(buildReportOptions({ targets: [], ...raw })).toMatchObject(expected);
  });

  it.each<[string, Partial<RawReportArgs>, RegExp]>([
    ['no file', { targets: [] }, /^report: give the files to read/],
    ['only a pod', { targets: ['pod/a'] }, /^report: give the files to read/],
    ['stdin twice', { targets: ['-', '-'] }, /^report: - \(stdin\) can be read only once$/],
    [
      'a workload',
      { targets: ['a', 'deploy/web'] },
      /^deploy\/web: report reads files and keeps pods by name \(pod\/NAME\); workloads need pod labels/,
    ],
    ['a node', { targets: ['a', 'node/w'] }, /^node\/w: report reads files/],
    ['a bad pod name', { targets: ['a', 'pod/Api'] }, /^"Api" in pod\/Api is not a valid pod name/],
    // -o json is the findings of a comparison (issue 24); a recording alone is JSON lines already.
    [
      '-o json without --baseline',
      { targets: ['a'], output: 'json' },
      /^-o json is the findings of --baseline, one a line: add --baseline FILE \(the input is JSON lines already: filter it with jq\)$/,
    ],
    [
      '-o table',
      { targets: ['a'], output: 'table' },
      /^-o\/--output "table" is not a report format: use summary, markdown or json \(json: with --baseline\)$/,
    ],
    ['--fail-on without --baseline', { targets: ['a'], failOn: ['drift'] }, /^--fail-on applies to a comparison: add --baseline FILE/],
    [
      '--baseline with --timeline-to',
      { targets: ['a'], baseline: ['old'], timelineTo: 't.json' },
      /^--timeline-to draws a recording, --baseline compares two/,
    ],
    ['a bad --comm', { targets: ['a'], comm: ['('] }, /^--comm "\(" is not a regular expression/],
    ['a bad namespace', { targets: ['a'], namespace: ['A'] }, /^-n\/--namespace "A" is not a valid namespace name/],
    [
      '--host with a pod',
      { targets: ['a', 'pod/x'], host: true },
      /^--host keeps only host processes: it cannot be combined with pod\/NAME$/,
    ],
    ['--host with -c', { targets: ['a'], host: true, container: ['c'] }, /^--host keeps only host processes/],
    ['an empty --timeline-to', { targets: ['a'], timelineTo: '' }, /^--timeline-to needs a file name$/],
  ])('refuses %s', (_name, raw, message) => {
    expect(usageError(() => buildReportOptions({ targets: [], ...raw }))).toMatch(message);
  });
});

describe('refuseSelector', () => {
  it.each([['-l', 'app=x'], ['--selector', 'app=x'], ['--selector=app=x'], ['-lapp=x'], ['-l=app']])(
    'refuses %j, saying why',
    (...argv) => {
      expect(usageError(() => refuseSelector(['a.jsonl', ...argv]))).toBe(
        '-l/--selector is not possible offline: the JSON records carry no pod labels; keep pods by name (pod/NAME), -n, -c or --comm instead',
      );
    },
  );

  it.each([[['a.jsonl', '-n', 'x']], [['--', '-l']], [['-', '--comm', 'l']]])('lets %j through', (argv) => {
    expect(() => refuseSelector(argv)).not.toThrow();
  });
});
