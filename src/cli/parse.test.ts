import { describe, expect, it } from 'vitest';
import { buildParser, parseCleanup, parseMain, parseReport, splitShortValues, type HelpText } from './parse.js';
import { CLEANUP_FLAGS, MAIN_FLAGS, camelKey, type FlagSpec } from './flags.js';
import { buildOptions, UsageError, type RawArgs } from './options.js';

const help = (command: string): HelpText => ({ command, usage: 'usage', examples: [], version: 'trace-exec test', wrap: 100 });
const MAIN = help('kubectl trace-exec');
const CLEANUP = { ...help('kubectl trace-exec cleanup'), version: null };

/** The flags --help lists: `--name` and its `-x` alias, read from the help text itself. */
async function helpFlags(specs: readonly FlagSpec[], h: HelpText): Promise<{ name: string; alias: string | null }[]> {
  const text = await buildParser([], specs, h, specs === MAIN_FLAGS).getHelp();
  return [...text.matchAll(/^ {2}(?:-(\w), )? *--([\w-]+)/gm)].map((m) => ({ name: m[2]!, alias: m[1] ?? null }));
}

/** The UsageError message of a command line (parsing, then buildOptions), or null when accepted. */
async function mainError(argv: string[]): Promise<string | null> {
  try {
    const p = await parseMain(argv, MAIN);
    if (p.kind === 'args') buildOptions({ ...p.flags, targets: p.targets } as unknown as RawArgs);
    return null;
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    return e.message;
  }
}

/** Two valid values of each flag that takes one, the second different from the first. */
const SAMPLES: Record<string, [string, string]> = {
  namespace: ['a', 'b'],
  output: ['json', 'wide'],
  duration: ['1s', '2s'],
  'max-events': ['5', '7'],
  kubeconfig: ['/tmp/one', '/tmp/two'],
  context: ['one', 'two'],
  'request-timeout': ['1s', '3s'],
  'kube-api-qps': ['5', '0.5'],
  'kube-api-burst': ['10', '20'],
  image: ['img:a', 'img:b'],
  'debug-namespace': ['dbg-a', 'dbg-b'],
  timeout: ['1m', '2m'],
  'reconnect-timeout': ['10s', '30s'],
  'node-selector': ['a=b', 'c=d'],
  selector: ['a=b', 'c=d'],
  container: ['web', 'sidecar'],
  comm: ['^ls$', '^cat$'],
  'summary-to': ['/tmp/one.txt', '/tmp/two.txt'],
  'summary-format': ['markdown', 'text'],
  'timeline-to': ['/tmp/one.json', '/tmp/two.json'],
  baseline: ['/tmp/old-1.jsonl', '/tmp/old-2.jsonl'],
  'fail-on': ['drift', 'session'],
  allow: ['/tmp/allow-1.txt', '/tmp/allow-2.txt'],
};
/** Flags that need another to be accepted. */
const NEEDS: Record<string, string[]> = {
  'summary-format': ['--summary-to', '/tmp/s.md'],
  'fail-on': ['--baseline', '/tmp/old.jsonl'],
  allow: ['--baseline', '/tmp/old.jsonl'],
};
/** Flags that choose what to trace replace the node/worker-1 target used otherwise. */
const SCOPE_FLAGS = new Set(['local', 'all-nodes', 'node-selector']);
const NUMERIC = MAIN_FLAGS.filter((f) => f.kind === 'count' || f.kind === 'duration');

describe('every flag of --help, given twice', () => {
  it('the table below covers every flag --help lists', async () => {
    const listed = (await helpFlags(MAIN_FLAGS, MAIN)).map((f) => f.name).filter((n) => n !== 'help' && n !== 'version');
    const takesValue = listed.filter((n) => MAIN_FLAGS.find((f) => f.name === n)!.kind !== 'boolean');
    expect(takesValue.sort()).toEqual(Object.keys(SAMPLES).sort());
    expect(listed.length).toBeGreaterThan(20);
  });

  it.each(
    MAIN_FLAGS.filter((f) => f.name !== 'help' && f.name !== 'version').flatMap(
      (f) =>
        (f.alias
          ? [
              [`-${f.alias}`, f],
              [`--${f.name}`, f],
            ]
          : [[`--${f.name}`, f]]) as [string, FlagSpec][],
    ),
  )('%s', async (word, f) => {
    // --include-not-ready goes with a scope of many nodes only.
    const needsScope = f.name === 'include-not-ready';
    const target = SCOPE_FLAGS.has(f.name) || needsScope ? [] : ['node/worker-1'];
    const [a, b] = SAMPLES[f.name] ?? [];
    const argv = [
      ...(f.kind === 'boolean' ? [word, word, ...target] : [word, a!, ...target, word, b!]),
      ...(needsScope ? ['--all-nodes'] : []),
      ...(NEEDS[f.name] ?? []),
    ];
    const p = await parseMain(argv, MAIN);
    expect(p.kind).toBe('args');
    if (p.kind !== 'args') return;
    expect(p.targets).toEqual(target); // a list flag never swallows the target after it
    const v = p.flags[camelKey(f.name)];
    if (f.kind === 'boolean') expect(v).toBe(true);
    else if (f.kind === 'list')
      expect(v).toEqual([a, b]); // accumulate
    else expect(v).toBe(b); // the last one wins
    expect(await mainError(argv)).toBeNull();
  });

  it.each([
    [['--kubeconfig', '/k', '--kubeconfig', '/k', 'node/w'], 'kubeconfig', '/k'],
    [['-o', 'json', '-o', 'wide', 'node/w'], 'output', 'wide'],
    [['-o', 'json', '--output=wide', 'node/w'], 'output', 'wide'],
    [['-d', '1s', '--duration', '2s', 'node/w'], 'duration', '2s'],
    [['-n', 'a', 'node/w', '-n', 'b,c'], 'namespace', ['a', 'b,c']],
    [['-l', 'a=b', '-l', 'c=d', 'node/w'], 'selector', ['a=b', 'c=d']],
    [['--local', '--no-local', 'node/w'], 'local', false],
    // A flag whose name starts with no- (yargs would read it as --probes negated).
    [['--no-probes', 'node/w'], 'noProbes', true],
    [['--no-probes', '--sessions', 'node/w'], 'sessions', true],
  ])('%j → %s = %j', async (argv, key, value) => {
    const p = await parseMain(argv, MAIN);
    expect(p.kind === 'args' && p.flags[key]).toEqual(value);
  });
});

describe('bad values: one line that names the flag', () => {
  it.each(NUMERIC.flatMap((f) => ['abc', 'NaN', '1x', '-'].map((v) => [`--${f.name}`, v] as const)))('%s %j', async (flag, value) => {
    const msg = await mainError(['node/worker-1', flag, value]);
    expect(msg).not.toBeNull();
    expect(msg).toContain(flag);
    expect(msg).not.toContain('\n');
    expect(msg!.replaceAll(`"${value}"`, '')).not.toMatch(/NaN|TypeError|is not a function|undefined|^\s*at /m);
  });

  it.each(MAIN_FLAGS.filter((f) => f.kind !== 'boolean' && f.kind !== 'list').map((f) => [`--${f.name}`]))(
    '%s without its value',
    async (flag) => {
      expect(await mainError(['node/worker-1', flag])).toMatch(new RegExp(`^(-\\w/)?${flag} needs a value`));
    },
  );
});

describe('unknown flags', () => {
  it.each([
    [['node/w', '-output', 'json'], 'unknown flag -output: a long flag takes two dashes: --output (see kubectl trace-exec --help)'],
    [['node/w', '-output=json'], 'unknown flag -output=json: a long flag takes two dashes: --output=json (see kubectl trace-exec --help)'],
    [['node/w', '-local'], 'unknown flag -local: a long flag takes two dashes: --local (see kubectl trace-exec --help)'],
    [['node/w', '--nmespace', 'x'], 'unknown flag --nmespace; did you mean --namespace? (see kubectl trace-exec --help)'],
    [['node/w', '--max-event', '3'], 'unknown flag --max-event; did you mean --max-events? (see kubectl trace-exec --help)'],
    [['node/w', '-x'], 'unknown flag -x (see kubectl trace-exec --help)'],
    [['node/w', '-vx'], 'unknown flag -vx (see kubectl trace-exec --help)'],
    [['node/w', '--zzzzzzzz'], 'unknown flag --zzzzzzzz (see kubectl trace-exec --help)'],
  ])('%j', async (argv, message) => {
    expect(await mainError(argv)).toBe(message);
  });

  it.each([
    [['--dry-ru'], 'unknown flag --dry-ru; did you mean --dry-run? (see kubectl trace-exec cleanup --help)'],
    [['--al'], 'unknown flag --al; did you mean --all? (see kubectl trace-exec cleanup --help)'],
    [['--all-namespace'], 'unknown flag --all-namespace; did you mean --all-namespaces? (see kubectl trace-exec cleanup --help)'],
    [['-dry-run'], 'unknown flag -dry-run: a long flag takes two dashes: --dry-run (see kubectl trace-exec cleanup --help)'],
    [['pods'], 'unexpected argument "pods": this command takes no arguments, only flags (see kubectl trace-exec cleanup --help)'],
    [['-n'], '-n/--namespace needs a value (see kubectl trace-exec cleanup --help)'],
  ])('cleanup %j', async (argv, message) => {
    await expect(parseCleanup(argv, CLEANUP)).rejects.toThrow(message);
  });

  it('cleanup: a flag given twice takes the last value, -vA groups booleans', async () => {
    expect(await parseCleanup(['-n', 'a', '-n', 'b', '-vA', '--dry-run', '--dry-run'], CLEANUP)).toEqual({
      kind: 'args',
      targets: [],
      flags: { namespace: 'b', verbose: true, allNamespaces: true, dryRun: true },
    });
  });

  it('cleanup --help lists every cleanup flag', async () => {
    expect((await helpFlags(CLEANUP_FLAGS, CLEANUP)).map((f) => f.name).sort()).toEqual(CLEANUP_FLAGS.map((f) => f.name).sort());
  });
});

describe('splitShortValues: a short flag glued to its value, as kubectl allows', () => {
  it.each([
    [
      ['-nkube-system', 'node/w'],
      ['-n', 'kube-system', 'node/w'],
    ],
    [['-d30s'], ['-d', '30s']],
    [['-ojson'], ['-o', 'json']],
    [['-vh'], ['-vh']],
    [
      ['-n', 'a'],
      ['-n', 'a'],
    ],
    [
      ['--', '-output'],
      ['--', '-output'],
    ],
    [['--max-events=-5'], ['--max-events=-5']],
  ])('%j → %j', (argv, words) => {
    expect(splitShortValues(argv, MAIN_FLAGS)).toEqual(words);
  });
});

describe('report', () => {
  const REPORT = { ...help('kubectl trace-exec report'), version: null };
  it.each<[string[], string[], Record<string, unknown>]>([
    [['a.jsonl', 'b.jsonl.gz'], ['a.jsonl', 'b.jsonl.gz'], {}],
    [['-', '--failed'], ['-'], { failed: true }],
    [['a', '-', 'pod/x', '-o', 'markdown'], ['a', '-', 'pod/x'], { output: 'markdown' }],
    [['-n', '-', 'a'], ['a'], { namespace: ['-'] }], // a flag's value, not stdin
    [['a', '-n', 'x', '-n', 'y,z', '-o', 'summary', '-o', 'markdown'], ['a'], { namespace: ['x', 'y,z'], output: 'markdown' }],
  ])('%j', async (argv, targets, flags) => {
    const p = await parseReport(argv, REPORT);
    expect(p).toMatchObject({ kind: 'args', targets, flags });
  });

  it.each([
    [['a', '--namespce', 'x'], /^unknown flag --namespce; did you mean --namespace\? \(see kubectl trace-exec report --help\)$/],
    [['a', '--timeline', 't'], /^unknown flag --timeline; did you mean --timeline-to\?/],
    [['a', '--duration', '1s'], /^unknown flag --duration/],
  ])('%j', async (argv, message) => {
    await expect(parseReport(argv, REPORT)).rejects.toThrow(message);
  });
});
