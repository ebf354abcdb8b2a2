/**
 * Bad input is answered before anything is created: one line naming the flag or object and how to
 * fix it, exit code 1, no stack trace, and no object created on the cluster.
 */
import { tempDir, removeTempDirs } from '../support/tmp.js';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiServer, type ApiServer } from '../apiserver/index.js';
import { startCli } from '../support/cli.js';

let api: ApiServer;
const dir = tempDir('trace-exec-bad-input-');
const malformed = join(dir, 'malformed.yaml');
const unreachable = join(dir, 'unreachable.yaml');

/** A loopback port nothing listens on (any more). */
async function closedPort(): Promise<number> {
  const net = await import('node:net');
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

let deadPort = 0;

beforeAll(async () => {
  api = await startApiServer();
  api.addNode('worker-1');
  deadPort = await closedPort();
  writeFileSync(malformed, 'apiVersion: v1\nclusters: [ this is : not yaml\n');
  writeFileSync(
    unreachable,
    [
      'apiVersion: v1',
      'kind: Config',
      `clusters: [{name: c, cluster: {server: "http://127.0.0.1:${deadPort}", insecure-skip-tls-verify: true}}]`,
      'users: [{name: u, user: {token: t}}]',
      'contexts: [{name: x, context: {cluster: c, user: u}}]',
      'current-context: x',
    ].join('\n'),
  );
});
afterAll(async () => {
  await api?.close();
});

async function runBad(args: string[], kubeconfig: string | null = api.kubeconfigPath) {
  const before = api.requests.length;
  const r = await startCli(kubeconfig ? [...args, '--kubeconfig', kubeconfig] : args).done();
  const mutations = api.requests.slice(before).filter((q) => q.method !== 'GET' && !q.path.includes('selfsubjectaccessreviews'));
  return { ...r, mutations };
}

describe('rejected before anything is created', () => {
  it.each([
    ['no target', [], /no target: give node\/NAME/],
    ['node without a name', ['node/'], /has no node name/],
    ['an unsupported kind', ['svc/x'], /target kind "svc" is not supported/],
    ['a target without a kind', ['worker-1'], /has no kind: write node\/NAME/],
    ['a node that does not exist', ['node/nope'], /node "nope" not found[\s\S]*kubectl get nodes/],
    ['a duration that is not one', ['node/worker-1', '--duration', 'abc'], /--duration "abc" is not a duration/],
    ['a negative duration', ['node/worker-1', '--duration=-5s'], /--duration "-5s" is not a duration/],
    ['a zero duration', ['node/worker-1', '-d', '0'], /--duration "0" must be longer than zero/],
    [
      'an unknown output format',
      ['node/worker-1', '-o', 'xml'],
      /-o\/--output "xml" is not a format: use one of table, wide, json, summary/,
    ],
    ['--max-events 0', ['node/worker-1', '--max-events', '0'], /--max-events "0" is not a count: give a whole number of at least 1/],
    ['--max-events -5', ['node/worker-1', '--max-events=-5'], /--max-events "-5" is not a count/],
    [
      '--max-events beyond what it counts to',
      ['node/worker-1', '--max-events', '99999999999999999999999'],
      /^trace-exec: error: --max-events "99999999999999999999999" is too large: give at most 9007199254740991, or leave the flag out for no limit$/m,
    ],
    [
      'kind and name apart, as kubectl get writes them',
      ['node', 'worker-1'],
      /^trace-exec: error: "node worker-1" is not a target: write node\/worker-1 \(KIND\/NAME, with a slash\)$/m,
    ],
    ['an unknown flag', ['node/worker-1', '--nmespace', 'x'], /unknown flag --nmespace; did you mean --namespace\?/],
    [
      'a namespace that is not a DNS-1123 label',
      ['node/worker-1', '-n', 'a;rm -rf /'],
      /-n\/--namespace "a;rm -rf \/" is not a valid namespace name/,
    ],
    ['a namespace with $()', ['node/worker-1', '-n', '$(touch /tmp/x)'], /is not a valid namespace name/],
    [
      'a context that is not in the kubeconfig',
      ['node/worker-1', '--context', 'nope'],
      /--context "nope" is not in the kubeconfig[\s\S]*known contexts: standin/,
    ],
    ['--debug-namespace that does not exist', ['node/worker-1', '--debug-namespace', 'nope'], /--debug-namespace "nope" does not exist/],
    ['a bad --request-timeout', ['node/worker-1', '--request-timeout', 'soon'], /--request-timeout "soon" is not a duration/],
    [
      '--summary-to in a directory that does not exist',
      ['node/worker-1', '--summary-to', join(dir, 'missing/s.txt')],
      /--summary-to \/.*\/missing\/s\.txt: the directory \/.*\/missing does not exist; create it or choose another path/,
    ],
    ['--summary-to a directory', ['node/worker-1', '--summary-to', dir], /--summary-to \/.*: \/.* is a directory/],
    [
      '--summary-to a directory: asks for a file in it, not to create it',
      ['node/worker-1', '--summary-to', dir],
      new RegExp(`^trace-exec: error: --summary-to ${dir}: ${dir} is a directory; give the path of a file, e.g. ${dir}/summary.txt$`, 'm'),
    ],
    [
      '--timeline-to a directory: asks for a file in it',
      ['node/worker-1', '--timeline-to', dir],
      new RegExp(
        `^trace-exec: error: --timeline-to ${dir}: ${dir} is a directory; give the path of a file, e.g. ${dir}/timeline.json$`,
        'm',
      ),
    ],
    [
      '--timeline-to in a directory that does not exist',
      ['node/worker-1', '--timeline-to', join(dir, 'missing/t.json')],
      /--timeline-to \/.*\/missing\/t\.json: the directory \/.*\/missing does not exist; create it or choose another path/,
    ],
    [
      'an unknown --summary-format',
      ['node/worker-1', '--summary-to', join(dir, 's.md'), '--summary-format', 'html'],
      /--summary-format "html" is not a format: use text or markdown/,
    ],
    [
      '--summary-format without --summary-to',
      ['node/worker-1', '--summary-format', 'markdown'],
      /--summary-format says what --summary-to writes: add --summary-to FILE/,
    ],
  ])('%s', async (_what, args, message) => {
    const r = await runBad(args as string[]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/^\s+at /m); // no stack trace
    expect(r.stdout).toBe('');
    expect(r.mutations).toEqual([]);
  });

  it.each([
    ['a malformed kubeconfig', () => malformed, /cannot load the kubeconfig \(--kubeconfig .*malformed.yaml\)/],
    ['an unreadable kubeconfig', () => join(dir, 'missing.yaml'), /cannot load the kubeconfig \(--kubeconfig .*missing.yaml\): ENOENT/],
    [
      'an unreachable API server',
      () => unreachable,
      /cannot reach the API server http:\/\/127.0.0.1:\d+ while reading node worker-1 \(ECONNREFUSED\)/,
    ],
  ])('%s', async (_what, kubeconfig, message) => {
    const r = await runBad(['node/worker-1'], kubeconfig());
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/^\s+at /m);
  });

  it('missing RBAC names the verb and resource', async () => {
    api.denyAccess('create', 'pods', 'exec');
    try {
      const r = await runBad(['node/worker-1']);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/you are not allowed to: create pods\/exec/);
      expect(r.mutations).toEqual([]);
    } finally {
      api.allowAllAccess();
    }
  });

  it('--request-timeout is honoured', async () => {
    // A server that accepts connections and never answers.
    const net = await import('node:net');
    const silent = net.createServer(() => {});
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
    const port = (silent.address() as { port: number }).port;
    const cfg = join(dir, 'silent.yaml');
    writeFileSync(
      cfg,
      `apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "http://127.0.0.1:${port}", insecure-skip-tls-verify: true}}]\nusers: [{name: u, user: {token: t}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n`,
    );
    try {
      const started = Date.now();
      const r = await runBad(['node/worker-1', '--request-timeout', '1s'], cfg);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/reading node worker-1 took longer than --request-timeout \(1s\)/);
      expect(Date.now() - started).toBeLessThan(15_000);
    } finally {
      silent.close();
    }
  });
});

describe('a namespace that does not exist', () => {
  beforeAll(() => {
    for (const ns of ['payments', 'payments-gw', 'shop']) api.addNamespace(ns);
  });

  it.each<[string, string]>([
    ['paymnets', 'namespace "paymnets" does not exist (yet); did you mean -n payments? Its execs will show if it appears during the trace'],
    [
      'payment',
      'namespace "payment" does not exist (yet); did you mean -n payments or -n payments-gw? Its execs will show if it appears during the trace',
    ],
    ['monitoring', 'namespace "monitoring" does not exist (yet): its execs will show if it appears during the trace'],
  ])('-n %s: the warning offers the near names that exist', async (ns, warning) => {
    const cli = startCli(['node/worker-1', '-n', ns, '--kubeconfig', api.kubeconfigPath, '-d', '30s']);
    await cli.waitForStderr(/does not exist/, 30_000);
    cli.proc.kill('SIGINT');
    const r = await cli.done();
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr.split('\n').filter((l) => l.includes('warning:'))).toEqual([`trace-exec: warning: ${warning}`]);
  });
});

/** Two values for each flag that takes one; the flag table in src/cli/parse.test.ts checks them in-process. */
const TWICE: Record<string, [string, string]> = {
  namespace: ['a', 'b'],
  output: ['json', 'wide'],
  duration: ['1s', '2s'],
  'max-events': ['5', '7'],
  context: ['standin', 'standin'],
  'request-timeout': ['5s', '10s'],
  'reconnect-timeout': ['10s', '20s'],
  image: ['img:a', 'img:b'],
  'debug-namespace': ['dbg-a', 'dbg-b'],
  timeout: ['1m', '2m'],
  'node-selector': ['a=b', 'c=d'],
  selector: ['a=b', 'c=d'],
  container: ['web', 'sidecar'],
  comm: ['^ls$', '^cat$'],
  'summary-to': ['/tmp/trace-exec-x.txt', '/tmp/trace-exec-y.txt'],
  'summary-format': ['markdown', 'text'],
  'timeline-to': ['/tmp/trace-exec-x.json', '/tmp/trace-exec-y.json'],
  // Files that do not exist, and --fail-on / --allow without --baseline: refused, naming the flag.
  baseline: ['/tmp/trace-exec-no-x.jsonl', '/tmp/trace-exec-no-y.jsonl'],
  'fail-on': ['drift', 'session'],
  allow: ['/tmp/trace-exec-no-x.txt', '/tmp/trace-exec-no-y.txt'],
  'kube-api-qps': ['5', '20'],
  'kube-api-burst': ['10', '40'],
};
/** What a user might see that is not one of our lines. */
const NOT_OURS = /TypeError|is not a function|Received an instance|NaN|^\s+at /m;

describe('every flag of --help, as a kubectl user types it', () => {
  let flags: { long: string; short: string | null; value: boolean }[] = [];
  beforeAll(async () => {
    const help = (await startCli(['--help']).done()).stdout;
    const section = help.slice(help.indexOf('\nOptions:\n')).split('\n\n')[0]!;
    // One block per flag: its line and the wrapped lines of its description, ending in its [type].
    flags = section
      .split(/\n(?= {2}(?:-\w, | {4})--)/)
      .slice(1)
      .map((b) => {
        const m = /^ {2}(?:-(\w), | {4})--([\w-]+)/.exec(b)!;
        return { short: m[1] ?? null, long: m[2]!, value: [...b.matchAll(/\[(\w+)\]/g)].at(-1)?.[1] !== 'boolean' };
      });
  });

  it('--help lists the flags (sanity of the reading above)', () => {
    expect(flags.map((f) => f.long)).toEqual(
      expect.arrayContaining(['namespace', 'output', 'max-events', 'kubeconfig', 'local', 'verbose', 'help', 'version']),
    );
  });

  it('given twice: one line that names the flag, or the run goes on to the node lookup', async () => {
    for (const f of flags) {
      if (f.long === 'kubeconfig') continue; // given twice by runBad below, with the stand-in's file
      const [a, b] = TWICE[f.long] ?? [];
      if (f.value) expect(a, `a sample value for --${f.long}`).toBeDefined();
      // The long form only: each run costs a process start; src/cli/parse.test.ts covers the aliases.
      for (const word of [`--${f.long}`]) {
        const args = f.value ? [word, a!, 'node/nope', word, b!] : [word, 'node/nope', word];
        const r = await runBad([...args, '--kubeconfig', api.kubeconfigPath]);
        const what = `${args.join(' ')}:\n${r.stderr}`;
        expect(r.stderr, what).not.toMatch(NOT_OURS);
        expect(r.mutations, what).toEqual([]);
        if (f.long === 'help' || f.long === 'version') {
          expect(r.code, what).toBe(0);
          continue;
        }
        expect(r.code, what).toBe(1);
        const errors = r.stderr.split('\n').filter((l) => l.startsWith('trace-exec: error:'));
        expect(errors, what).toHaveLength(1);
        expect(errors[0], what).toMatch(new RegExp(`--${f.long}\\b|node "nope" not found`));
      }
    }
  }, 120_000);

  it.each(['--duration', '-d', '--max-events', '--timeout', '--request-timeout'])('%s abc: one line naming the flag', async (flag) => {
    const r = await runBad(['node/worker-1', flag, 'abc']);
    expect(r.code).toBe(1);
    expect(r.stderr).not.toMatch(NOT_OURS);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(flag === '-d' ? /--duration "abc"/ : new RegExp(`${flag} "abc"`));
    expect(r.mutations).toEqual([]);
  });

  it.each([
    [['node/worker-1', '-output', 'json'], /unknown flag -output: a long flag takes two dashes: --output/],
    [['node/worker-1', '-l', 'a=b', '-l', 'c=d=e'], /-l\/--selector/],
    [['cleanup', '--dry-ru'], /unknown flag --dry-ru; did you mean --dry-run\?/],
    [['cleanup', '-A', '--al'], /unknown flag --al; did you mean --all\?/],
  ])('%j', async (args, message) => {
    const r = await runBad(args);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(message);
  });

  it('cleanup --help lists every cleanup flag, --all included', async () => {
    const r = await startCli(['cleanup', '--help']).done();
    expect(r.code).toBe(0);
    for (const f of ['--namespace', '--all-namespaces', '--dry-run', '--all ', '--kubeconfig', '--context', '--verbose'])
      expect(r.stdout).toContain(f);
    expect(r.stdout).toMatch(/Usage:\n.*cleanup \[-A \| -n NS\] \[--dry-run\] \[--all\]/);
  });
});

afterAll(removeTempDirs);
