import { describe, expect, it } from 'vitest';
import { UsageError, buildOptions, parseTarget, type Options, type RawArgs } from './options.js';

const build = (raw: Partial<RawArgs>): Options => buildOptions({ targets: ['node/worker-1'], ...raw });

/** The UsageError message buildOptions throws, or a failure when it does not throw one. */
function usageError(raw: Partial<RawArgs>): string {
  try {
    build(raw);
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    return (e as Error).message;
  }
  throw new Error(`accepted ${JSON.stringify(raw)}`);
}

describe('parseTarget', () => {
  it.each([
    ['node/worker-1', 'worker-1'],
    ['nodes/worker-1', 'worker-1'],
    ['no/worker-1', 'worker-1'],
    ['Node/worker-1', 'worker-1'],
    ['node/ip-10-0-1-23.eu-west-1.compute.internal', 'ip-10-0-1-23.eu-west-1.compute.internal'],
  ])('%s → node %s', (text, name) => {
    expect(parseTarget(text)).toEqual({ kind: 'node', name });
  });

  it.each([
    ['pod/web-0', { kind: 'pod', name: 'web-0' }],
    ['po/web-0', { kind: 'pod', name: 'web-0' }],
    ['deploy/web', { kind: 'workload', workload: 'deployment', name: 'web' }],
    ['deployments/web', { kind: 'workload', workload: 'deployment', name: 'web' }],
    ['sts/db', { kind: 'workload', workload: 'statefulset', name: 'db' }],
    ['ds/agent', { kind: 'workload', workload: 'daemonset', name: 'agent' }],
    ['job/migrate', { kind: 'workload', workload: 'job', name: 'migrate' }],
    ['rs/web-5c8d', { kind: 'workload', workload: 'replicaset', name: 'web-5c8d' }],
  ])('%s → %j', (text, target) => {
    expect(parseTarget(text)).toEqual(target);
  });

  it.each([
    ['worker-1', /has no kind: write node\/NAME/],
    ['node/', /has no node name/],
    ['svc/web', /target kind "svc" is not supported: use node\/NAME, pod\/NAME, deploy\/NAME/],
    ['pod/', /has no name: write pod\/NAME/],
    ['node/Worker-1', /"Worker-1" is not a valid node name/],
    ['node/a/b', /"a\/b" is not a valid node name/],
    ['node/-worker', /is not a valid node name/],
    [`node/${'a'.repeat(254)}`, /is not a valid node name/],
  ])('rejects %j', (text, message) => {
    expect(() => parseTarget(text)).toThrow(UsageError);
    expect(() => parseTarget(text)).toThrow(message);
  });
});

describe('targets written kubectl get style, kind and name apart', () => {
  it.each<[string[], string]>([
    [['node', 'worker-1'], '"node worker-1" is not a target: write node/worker-1 (KIND/NAME, with a slash)'],
    [
      ['nodes', 'worker-1', 'worker-2'],
      '"nodes worker-1 worker-2" is not a target: write nodes/worker-1 nodes/worker-2 (KIND/NAME, with a slash)',
    ],
    [['pod', 'api-0'], '"pod api-0" is not a target: write pod/api-0 (KIND/NAME, with a slash)'],
    [['Deploy', 'web'], '"Deploy web" is not a target: write deploy/web (KIND/NAME, with a slash)'],
    [['node'], 'target "node" has no node name: write node/NAME (see: kubectl get nodes)'],
    [['node', 'node/worker-1'], 'target "node" has no node name: write node/NAME (see: kubectl get nodes)'],
  ])('%j', (targets, message) => {
    expect(usageError({ targets })).toBe(message);
  });

  it('a name alone still asks for a kind', () => {
    expect(usageError({ targets: ['worker-1'] })).toMatch(/^target "worker-1" has no kind: write node\/NAME/);
  });
});

describe('buildOptions', () => {
  it('fills in the defaults', () => {
    expect(buildOptions({ targets: ['node/worker-1'] })).toEqual<Options>({
      scope: { kind: 'targets', targets: [{ kind: 'node', name: 'worker-1' }] },
      filters: { selector: null, container: null, comm: null, failed: false, host: false, drift: false, sessions: false, noProbes: false },
      yes: false,
      includeNotReady: false,
      ancestry: false,
      exits: false,
      includeSelf: false,
      summaryTo: null,
      summaryFormat: 'text',
      timelineTo: null,
      baseline: null,
      namespaces: null,
      output: 'table',
      durationMs: null,
      maxEvents: null,
      kubeconfig: null,
      context: null,
      requestTimeoutMs: null,
      apiBudget: { qps: 50, burst: 300 },
      images: { all: null, byArch: {} },
      debugNamespace: null,
      timeoutMs: 120_000,
      reconnectTimeoutMs: 60_000,
      verbose: false,
    });
  });

  it('takes every flag', () => {
    expect(
      build({
        namespace: ['shop'],
        output: 'json',
        duration: '30s',
        maxEvents: '100',
        kubeconfig: '/home/me/.kube/config',
        context: 'prod',
        requestTimeout: '10s',
        kubeApiQps: '2.5',
        kubeApiBurst: '5',
        image: ['registry.example.com/bpftrace:0.21', 'arm64=registry.example.com/bpftrace-arm64:0.21'],
        debugNamespace: 'debug',
        timeout: '5m',
        verbose: true,
        summaryTo: 's.md',
        summaryFormat: 'markdown',
        timelineTo: 't.json',
      }),
    ).toEqual<Options>({
      scope: { kind: 'targets', targets: [{ kind: 'node', name: 'worker-1' }] },
      filters: { selector: null, container: null, comm: null, failed: false, host: false, drift: false, sessions: false, noProbes: false },
      yes: false,
      includeNotReady: false,
      ancestry: false,
      exits: false,
      includeSelf: false,
      summaryTo: 's.md',
      summaryFormat: 'markdown',
      timelineTo: 't.json',
      baseline: null,
      namespaces: ['shop'],
      output: 'json',
      durationMs: 30_000,
      maxEvents: 100,
      kubeconfig: '/home/me/.kube/config',
      context: 'prod',
      requestTimeoutMs: 10_000,
      apiBudget: { qps: 2.5, burst: 5 },
      images: { all: 'registry.example.com/bpftrace:0.21', byArch: { arm64: 'registry.example.com/bpftrace-arm64:0.21' } },
      debugNamespace: 'debug',
      timeoutMs: 300_000,
      reconnectTimeoutMs: 60_000,
      verbose: true,
    });
  });

  it('returns a frozen object, namespaces included', () => {
    const opts = build({ namespace: ['a', 'b'] });
    expect(Object.isFrozen(opts)).toBe(true);
    expect(Object.isFrozen(opts.namespaces)).toBe(true);
    expect(() => {
      (opts as { output: string }).output = 'json';
    }).toThrow(TypeError);
  });

  describe('scope', () => {
    it.each<[Partial<RawArgs>, Options['scope']]>([
      [{ targets: ['nodes/worker-2'] }, { kind: 'targets', targets: [{ kind: 'node', name: 'worker-2' }] }],
      [
        { targets: ['node/a', 'node/b'] },
        {
          kind: 'targets',
          targets: [
            { kind: 'node', name: 'a' },
            { kind: 'node', name: 'b' },
          ],
        },
      ],
      [
        { targets: ['pod/x', 'deploy/y'] },
        {
          kind: 'targets',
          targets: [
            { kind: 'pod', name: 'x' },
            { kind: 'workload', workload: 'deployment', name: 'y' },
          ],
        },
      ],
      [
        { targets: [], local: true },
        { kind: 'local', cluster: false },
      ],
      [
        { targets: [], local: true, kubeconfig: '/k' },
        { kind: 'local', cluster: true },
      ],
      [
        { targets: [], local: true, context: 'kind-kind' },
        { kind: 'local', cluster: true },
      ],
      [{ targets: [], allNodes: true }, { kind: 'all-nodes' }],
      [
        { targets: [], nodeSelector: 'node-role.kubernetes.io/worker=' },
        { kind: 'node-selector', selector: 'node-role.kubernetes.io/worker=' },
      ],
    ])('%j → %j', (raw, scope) => {
      expect(build(raw).scope).toEqual(scope);
    });

    it.each<Partial<RawArgs>>([
      { targets: [], allNodes: true, includeNotReady: true },
      { targets: [], nodeSelector: 'a=b', includeNotReady: true },
    ])('--include-not-ready with %j', (raw) => {
      expect(build(raw).includeNotReady).toBe(true);
    });

    it.each<[string, Partial<RawArgs>, RegExp]>([
      ['no target', { targets: [] }, /no target: give node\/NAME .* or --local/],
      ['a target without a name', { targets: ['node/'] }, /has no node name/],
      ['an unsupported kind', { targets: ['svc/web'] }, /target kind "svc" is not supported/],
      ['node and pod targets mixed', { targets: ['node/a', 'pod/b'] }, /node targets and pod\/workload targets cannot be mixed/],
      [
        '--local with a target',
        { targets: ['node/worker-1'], local: true },
        /--local and the target node\/worker-1 cannot be used together/,
      ],
      [
        '--all-nodes with --node-selector',
        { targets: [], allNodes: true, nodeSelector: 'a=b' },
        /--node-selector and --all-nodes cannot be used together/,
      ],
      ['an empty --node-selector', { targets: [], nodeSelector: ' ' }, /--node-selector is empty/],
      ['a bad -l', { selector: ['a;b'] }, /-l\/--selector "a;b"/],
      ['a bad second -l', { selector: ['app=web', 'a;b'] }, /-l\/--selector "a;b"/],
      ['a bad --comm', { comm: ['^sh$', '('] }, /--comm "\(" is not a regular expression/],
      ['--host with -c', { host: true, container: ['x'] }, /--host keeps only host processes/],
      ['--host with -l', { host: true, selector: ['a=b'] }, /--host keeps only host processes/],
      [
        '--drift with --failed',
        { drift: true, failed: true },
        /^--drift keeps only execs that ran a file from a writable layer, and a failed exec ran none: it cannot be combined with --failed$/,
      ],
      [
        '--sessions with --host',
        { sessions: true, host: true },
        /^--sessions keeps execs that entered a container through exec, and --host keeps host processes \(in no container\): they cannot be combined$/,
      ],
      ['a bad -c', { container: ['web', 'Web App'] }, /^-c\/--container "Web App" is not a valid container name/],
      [
        '--include-not-ready with a node target',
        { targets: ['node/a'], includeNotReady: true },
        /^--include-not-ready only applies to --all-nodes and --node-selector .*drop the flag/,
      ],
      [
        '--include-not-ready with --local',
        { targets: [], local: true, includeNotReady: true },
        /^--include-not-ready only applies to --all-nodes and --node-selector/,
      ],
      [
        '--ancestry with -o summary',
        { ancestry: true, output: 'summary' },
        /^--ancestry gives each exec its parent chain, and -o summary shows no single exec: use -o table, wide or json/,
      ],
    ])('rejects %s', (_name, raw, message) => {
      expect(usageError(raw)).toMatch(message);
    });
  });

  describe('-n/--namespace', () => {
    it.each<[string[], string[] | null]>([
      [['shop'], ['shop']],
      [
        ['shop', 'kube-system'],
        ['shop', 'kube-system'],
      ],
      [['shop,kube-system'], ['shop', 'kube-system']],
      [['shop, kube-system ,'], ['shop', 'kube-system']],
      [
        ['shop,shop', 'shop', 'b,shop'],
        ['shop', 'b'],
      ],
      [
        ['a1', 'x-y-z'],
        ['a1', 'x-y-z'],
      ],
      [['a'.repeat(63)], ['a'.repeat(63)]],
      [[], null],
      [[''], null],
      [[',,'], null],
    ])('%j → %j', (namespace, namespaces) => {
      expect(build({ namespace }).namespaces).toEqual(namespaces);
    });

    it.each(['a;rm -rf /', 'A', '$(x)', 'a'.repeat(64), '-shop', 'shop-', 'shop.prod', 'shop_1'])('rejects %j, naming -n', (ns) => {
      expect(usageError({ namespace: ['ok', ns] })).toMatch(/^-n\/--namespace ".*" is not a valid namespace name/);
    });
  });

  describe('-o/--output', () => {
    it.each(['table', 'wide', 'json', 'summary'])('accepts %s', (output) => {
      expect(build({ output }).output).toBe(output);
    });

    it.each(['xml', 'JSON', ''])('rejects %j, listing the formats', (output) => {
      expect(usageError({ output })).toBe(`-o/--output "${output}" is not a format: use one of table, wide, json, summary`);
    });
  });

  describe('--max-events', () => {
    it.each([
      ['1', 1],
      ['5000', 5000],
      [' 7 ', 7],
    ])('accepts %j', (maxEvents, n) => {
      expect(build({ maxEvents }).maxEvents).toBe(n);
    });

    it.each(['0', '-5', '1.5', 'abc', 'NaN', 'Infinity', '1e3', ''])('rejects %j, naming the flag, never NaN', (maxEvents) => {
      const msg = usageError({ maxEvents });
      expect(msg).toBe(`--max-events "${maxEvents}" is not a count: give a whole number of at least 1 (e.g. --max-events 100)`);
    });

    it('accepts the largest count', () => {
      expect(build({ maxEvents: '9007199254740991' }).maxEvents).toBe(Number.MAX_SAFE_INTEGER);
    });

    // A whole number, only too large: saying "not a count" would send the user looking for a typo.
    it.each(['9007199254740992', '99999999999999999999', '99999999999999999999999', ' 0099999999999999999999 '])(
      'rejects %j as too large, naming the largest',
      (maxEvents) => {
        expect(usageError({ maxEvents })).toBe(
          `--max-events "${maxEvents}" is too large: give at most 9007199254740991, or leave the flag out for no limit`,
        );
      },
    );
  });

  describe('list flags add up', () => {
    it.each<[Partial<RawArgs>, Partial<Options['filters']>]>([
      [{ selector: ['a=b'] }, { selector: 'a=b' }],
      [{ selector: ['a=b', 'c=d'] }, { selector: 'a=b,c=d' }], // both required, as with a comma
      [{ selector: ['a=b,e in (x,y)', '!f'] }, { selector: 'a=b,e in (x,y),!f' }],
      [{ selector: ['', ' '] }, { selector: null }],
      [{ container: ['web'] }, { container: ['web'] }],
      [{ container: ['web', 'sidecar'] }, { container: ['web', 'sidecar'] }],
      [{ container: ['web,sidecar', 'web'] }, { container: ['web', 'sidecar'] }],
      [{ container: [''] }, { container: null }],
    ])('%j → %j', (raw, filters) => {
      expect(build(raw).filters).toMatchObject(filters);
    });

    it('--comm given twice keeps both patterns (either matches)', () => {
      expect(build({ comm: ['^ls$', '^cat$'] }).filters.comm?.map(String)).toEqual(['/^ls$/', '/^cat$/']);
    });
  });

  describe('durations', () => {
    it.each<[keyof RawArgs, keyof Options, string, number]>([
      ['duration', 'durationMs', '1m30s', 90_000],
      ['duration', 'durationMs', '45', 45_000],
      ['timeout', 'timeoutMs', '500ms', 500],
      ['requestTimeout', 'requestTimeoutMs', '1h', 3_600_000],
      ['reconnectTimeout', 'reconnectTimeoutMs', '30s', 30_000],
      ['reconnectTimeout', 'reconnectTimeoutMs', '80s', 80_000],
      ['reconnectTimeout', 'reconnectTimeoutMs', '0', 0],
      ['reconnectTimeout', 'reconnectTimeoutMs', '0s', 0],
    ])('--%s %s', (flag, field, value, ms) => {
      expect(build({ [flag]: value })[field]).toBe(ms);
    });

    it.each<[keyof RawArgs, string, string, RegExp]>([
      ['duration', '--duration', 'soon', /is not a duration/],
      ['duration', '--duration', '0', /must be longer than zero/],
      ['timeout', '--timeout', '-1m', /is not a duration/],
      ['timeout', '--timeout', '0s', /must be longer than zero/],
      ['requestTimeout', '--request-timeout', '10x', /is not a duration/],
      ['requestTimeout', '--request-timeout', '0ms', /must be longer than zero/],
      ['reconnectTimeout', '--reconnect-timeout', 'forever', /is not a duration/],
      ['kubeApiQps', '--kube-api-qps', '0', /is not a rate: .*a number above 0/],
      ['kubeApiQps', '--kube-api-qps', 'fast', /is not a rate/],
      ['kubeApiQps', '--kube-api-qps', '-5', /is not a rate/],
      ['kubeApiBurst', '--kube-api-burst', '0', /is not a count/],
      ['kubeApiBurst', '--kube-api-burst', '1.5', /is not a count/],
      [
        'reconnectTimeout',
        '--reconnect-timeout',
        '5m',
        /longer than the debug pod outlives a silent client .*: give at most 80s, or 0 to end/,
      ],
    ])('rejects %s %j naming %s', (key, flag, value, message) => {
      const msg = usageError({ [key]: value });
      expect(msg.startsWith(`${flag} "${value}"`)).toBe(true);
      expect(msg).toMatch(message);
    });
  });

  describe('--image and --debug-namespace', () => {
    it.each<[string, Partial<RawArgs>, RegExp]>([
      ['an empty image', { image: [''] }, /--image "" is not an image reference/],
      ['an image with spaces', { image: ['bpftrace latest'] }, /--image "bpftrace latest" is not an image reference/],
      [
        'an unknown architecture',
        { image: ['arm65=reg/bt:1'] },
        /--image "arm65=reg\/bt:1": "arm65" is not an architecture: use one of amd64, arm64/,
      ],
      ['an invalid debug namespace', { debugNamespace: 'Debug' }, /--debug-namespace "Debug" is not a valid namespace name/],
    ])('rejects %s', (_name, raw, message) => {
      expect(usageError(raw)).toMatch(message);
    });
  });

  describe('--summary-to, --summary-format, --timeline-to', () => {
    it.each<[string, Partial<RawArgs>, Partial<Options>]>([
      ['text by default', { summaryTo: 's.txt' }, { summaryTo: 's.txt', summaryFormat: 'text' }],
      ['markdown', { summaryTo: 's.md', summaryFormat: 'markdown' }, { summaryFormat: 'markdown' }],
      ['the last value wins (resolved before): text', { summaryTo: 's', summaryFormat: 'text' }, { summaryFormat: 'text' }],
      ['a timeline', { timelineTo: 't.json' }, { timelineTo: 't.json' }],
    ])('%s', (_name, raw, expected) => {
      expect(build(raw)).toMatchObject(expected);
    });

    it.each<[string, Partial<RawArgs>, RegExp]>([
      ['an unknown format', { summaryTo: 's', summaryFormat: 'html' }, /^--summary-format "html" is not a format: use text or markdown$/],
      [
        'a format without --summary-to',
        { summaryFormat: 'markdown' },
        /^--summary-format says what --summary-to writes: add --summary-to FILE/,
      ],
      ['an empty timeline file name', { timelineTo: ' ' }, /^--timeline-to needs a file name$/],
    ])('rejects %s', (_name, raw, message) => {
      expect(usageError(raw)).toMatch(message);
    });
  });
});
