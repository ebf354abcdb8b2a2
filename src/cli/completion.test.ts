import { describe, expect, it } from 'vitest';
import {
  complete,
  completionScript,
  Directive,
  formatCompletion,
  invokedAs,
  planCompletion,
  type Connection,
  type NameLookups,
} from './completion.js';

const conn = (c: Partial<Connection> = {}): Connection => ({ kubeconfig: null, context: null, requestTimeoutMs: null, ...c });

describe('planCompletion: what the word under the cursor is', () => {
  it.each<[string, string[], unknown]>([
    [
      'the first word: nodes as node/NAME, and the subcommands',
      [''],
      { kind: 'nodes', before: 'node/', partial: '', extra: [{ value: 'cleanup' }, { value: 'completion' }, { value: 'report' }] },
    ],
    ['a kind typed: node names after it', ['node/wo'], { kind: 'nodes', before: 'node/', partial: 'wo', extra: [] }],
    ['the kind as kubectl spells it: nodes/, no/', ['nodes/'], { kind: 'nodes', before: 'nodes/', partial: '' }],
    ['short kind', ['no/w'], { kind: 'nodes', before: 'no/', partial: 'w' }],
    ['a prefix of node/', ['no'], { kind: 'nodes', before: 'node/', partial: '' }],
    ['a prefix of a subcommand only', ['cl'], { kind: 'static', candidates: [{ value: 'cleanup' }] }],
    ['another kind: nothing', ['svc/x'], { kind: 'static', candidates: [], directive: Directive.NoFileComp }],
    ['after the flags', ['-o', 'json', 'node/'], { kind: 'nodes', before: 'node/', partial: '', extra: [] }],
    ['another node: not the ones already given', ['node/a', 'nodes/b', 'node/'], { kind: 'nodes', before: 'node/', exclude: ['a', 'b'] }],
    ['after a pod target: nothing', ['pod/a', 'node/'], { kind: 'static', candidates: [], directive: Directive.NoFileComp }],
    ['--all-nodes takes no target', ['--all-nodes', 'node/'], { kind: 'static', candidates: [] }],
    ['--node-selector takes a value, then no target', ['--node-selector', 'a=b', 'no'], { kind: 'static', candidates: [] }],
    ['-l takes a value', ['-l', 'app=x', 'node/'], { kind: 'nodes' }],
    ['--local takes no target', ['--local', ''], { kind: 'static', candidates: [] }],
    ['-n NS', ['node/a', '-n', 'pay'], { kind: 'namespaces', before: '', partial: 'pay', exclude: [] }],
    ['--namespace NS', ['--namespace', ''], { kind: 'namespaces', before: '', partial: '' }],
    ['--namespace=NS', ['--namespace=sh'], { kind: 'namespaces', before: '--namespace=', partial: 'sh' }],
    [
      '-n a comma list: the last element, without the ones listed',
      ['-n', 'payments,sh'],
      { kind: 'namespaces', before: 'payments,', partial: 'sh', exclude: ['payments'] },
    ],
    ['-n again: without the ones given before', ['-n', 'a,b', '-n', ''], { kind: 'namespaces', exclude: ['a', 'b'] }],
    ['--debug-namespace', ['--debug-namespace', 'x'], { kind: 'namespaces', before: '', partial: 'x', exclude: [] }],
    ['-o formats', ['-o', ''], { kind: 'static', partial: '', directive: Directive.NoFileComp }],
    ['--output=', ['--output=j'], { kind: 'static', before: '--output=', partial: 'j' }],
    ['--kubeconfig: files, from the shell', ['--kubeconfig', ''], { kind: 'files' }],
    [
      "--context: the kubeconfig's contexts",
      ['--kubeconfig', '/k', '--context', 'st'],
      { kind: 'contexts', partial: 'st', kubeconfig: '/k' },
    ],
    ['-d: examples', ['-d', ''], { kind: 'static', candidates: [{ value: '30s' }, { value: '1m' }, { value: '5m' }, { value: '10m' }] }],
    ['--max-events: nothing to offer', ['--max-events', ''], { kind: 'static', candidates: [], directive: Directive.NoFileComp }],
    ['a boolean flag does not swallow the next word', ['-v', 'node/'], { kind: 'nodes', before: 'node/' }],
    ['after --, words are positionals', ['--', '-n'], { kind: 'static', candidates: [] }],
    [
      'completion SHELL',
      ['completion', 'b'],
      { kind: 'static', partial: 'b', candidates: [{ value: 'bash' }, { value: 'zsh' }, { value: 'fish' }] },
    ],
    ['completion takes one shell', ['completion', 'bash', ''], { kind: 'static', candidates: [] }],
    ['cleanup -n NS', ['cleanup', '-n', ''], { kind: 'namespaces', exclude: [] }],
    ['cleanup has no positionals', ['cleanup', ''], { kind: 'static', candidates: [] }],
    [
      "pod/: pods of the context's namespace",
      ['pod/a'],
      { kind: 'objects', resource: 'pod', before: 'pod/', partial: 'a', namespace: null, exclude: [] },
    ],
    [
      'pod/ after -n: pods of its (first) namespace',
      ['-n', 'shop,apps', 'po/'],
      { kind: 'objects', resource: 'pod', before: 'po/', namespace: 'shop' },
    ],
    ['pod/ before -n: -n typed later is not known yet', ['pods/x'], { kind: 'objects', namespace: null }],
    ['--namespace=NS counts too', ['--namespace=shop', 'pod/'], { kind: 'objects', namespace: 'shop' }],
    [
      'deploy/',
      ['-n', 'shop', 'deploy/w'],
      { kind: 'objects', resource: 'deployment', before: 'deploy/', partial: 'w', namespace: 'shop' },
    ],
    ['deployments/ as kubectl spells it', ['deployments/'], { kind: 'objects', resource: 'deployment', before: 'deployments/' }],
    ['sts/', ['sts/'], { kind: 'objects', resource: 'statefulset' }],
    ['ds/', ['ds/'], { kind: 'objects', resource: 'daemonset' }],
    ['job/', ['job/'], { kind: 'objects', resource: 'job' }],
    ['rs/', ['rs/'], { kind: 'objects', resource: 'replicaset' }],
    ['another pod: not the one already given', ['pod/a', 'deploy/b', 'pod/'], { kind: 'objects', resource: 'pod', exclude: ['a'] }],
    ['a workload after a pod', ['pod/a', 'deploy/'], { kind: 'objects', resource: 'deployment', exclude: [] }],
    ['a pod after a node: nothing (not mixed)', ['node/a', 'pod/'], { kind: 'static', candidates: [] }],
    [
      'a first letter: the kinds it starts, no space after the slash',
      ['d'],
      {
        kind: 'static',
        partial: 'd',
        directive: Directive.NoFileComp | Directive.NoSpace,
        candidates: [{ value: 'deploy/' }, { value: 'ds/' }],
      },
    ],
    ['p: pod/', ['p'], { kind: 'static', candidates: [{ value: 'pod/' }] }],
    [
      'after a pod target, a bare TAB: the kinds',
      ['pod/a', ''],
      {
        kind: 'static',
        directive: Directive.NoFileComp | Directive.NoSpace,
        candidates: expect.arrayContaining([{ value: 'pod/', description: expect.any(String) }]),
      },
    ],
    ['after a node target, p: nothing', ['node/a', 'p'], { kind: 'static', candidates: [] }],
    [
      '-c with a pod target: its containers',
      ['pod/web', '-n', 'shop', '-c', 'l'],
      {
        kind: 'containers',
        targets: [{ kind: 'pod', name: 'web' }],
        namespace: 'shop',
        before: '',
        partial: 'l',
        exclude: [],
      },
    ],
    [
      '-c with a workload target',
      ['deploy/web', '-c', ''],
      { kind: 'containers', targets: [{ kind: 'workload', workload: 'deployment', name: 'web' }], namespace: null },
    ],
    ['-c a comma list', ['pod/web', '-c', 'web,'], { kind: 'containers', before: 'web,', partial: '', exclude: ['web'] }],
    ['--container=', ['pod/web', '--container=w'], { kind: 'containers', before: '--container=', partial: 'w' }],
    [
      '-c with a node target: nothing (any container)',
      ['node/a', '-c', ''],
      { kind: 'static', candidates: [], directive: Directive.NoFileComp },
    ],
    ['a prefix of report', ['re'], { kind: 'static', candidates: [{ value: 'report' }] }],
    ['report FILE: files, from the shell', ['report', ''], { kind: 'files' }],
    ['report: another file after flags', ['report', 'a.jsonl', '-n', 'x', ''], { kind: 'files' }],
    ['report pod/: nothing to look up offline', ['report', 'a.jsonl', 'pod/'], { kind: 'static', candidates: [] }],
    [
      'report -o: its formats',
      ['report', 'a', '-o', ''],
      { kind: 'static', candidates: [{ value: 'summary' }, { value: 'markdown' }, { value: 'json' }] },
    ],
    [
      '--fail-on: the kinds not given yet',
      ['--fail-on', 'drift,'],
      {
        kind: 'static',
        partial: 'drift,',
        candidates: [{ value: 'drift,new-exec' }, { value: 'drift,new-failure' }, { value: 'drift,session' }],
      },
    ],
    ['report --timeline-to: files', ['report', 'a', '--timeline-to', ''], { kind: 'files' }],
    ['report flags: its own, not -l', ['report', '--se'], { kind: 'static', partial: '--se' }],
    [
      '--summary-format: text, markdown',
      ['--summary-format', ''],
      { kind: 'static', candidates: [{ value: 'text' }, { value: 'markdown' }] },
    ],
    ['--timeline-to: files', ['--timeline-to', ''], { kind: 'files' }],
  ])('%s', (_what, args, expected) => {
    expect(planCompletion(args)).toMatchObject(expected as object);
  });

  it('lookups use --kubeconfig, --context and --request-timeout typed anywhere before', () => {
    expect(planCompletion(['--kubeconfig', '/tmp/kc', '--context=prod', '--request-timeout', '2s', 'node/'])).toMatchObject({
      kind: 'nodes',
      conn: conn({ kubeconfig: '/tmp/kc', context: 'prod', requestTimeoutMs: 2000 }),
    });
    expect(planCompletion(['-n', 'a', '--kubeconfig', '/x'])).toEqual({ kind: 'files' }); // the last word is the one being completed
    expect(planCompletion(['--request-timeout', 'soon', '-n', ''])).toMatchObject({ conn: conn() }); // a bad value is the CLI's to report
  });

  it('flag names: long ones, short ones too for a bare "-", never one already given unless repeatable', () => {
    const flagsOf = (args: string[]): string[] => {
      const p = planCompletion(args);
      return p.kind === 'static' ? p.candidates.filter((c) => c.value.startsWith(p.partial)).map((c) => c.value) : [];
    };
    expect(flagsOf(['--na'])).toEqual(['--namespace']);
    expect(flagsOf(['-'])).toContain('-n');
    expect(flagsOf(['-'])).toContain('--output');
    expect(flagsOf(['--'])).not.toContain('-n');
    expect(flagsOf(['-o', 'json', '--o'])).toEqual([]);
    expect(flagsOf(['-n', 'a', '--name'])).toEqual(['--namespace']);
    expect(flagsOf(['cleanup', '--a'])).toEqual(['--all-namespaces', '--all']);
    expect(flagsOf(['--lo'])).toEqual(['--local']);
  });
});

describe('complete: the answer, with live names', () => {
  const calls: string[] = [];
  const lookups: NameLookups = {
    nodes: async (c) => {
      calls.push(`nodes ${c.kubeconfig} ${c.context}`);
      return ['worker-1', 'worker-2', 'control-plane'];
    },
    namespaces: async () => ['default', 'payments', 'shop', 'kube-system'],
    contexts: () => ['standin', 'prod'],
    objects: async (_c, namespace, resource) => {
      calls.push(`${resource} ${namespace}`);
      return resource === 'pod' ? ['web-0', 'web-1', 'db-0'] : resource === 'deployment' ? ['web', 'worker'] : [];
    },
    containers: async (_c, namespace, targets) => {
      calls.push(`containers ${namespace} ${targets.map((t) => t.name).join(',')}`);
      return ['web', 'log-shipper', 'istio-proxy'];
    },
  };
  const values = async (args: string[]) => {
    const r = await complete(args, lookups);
    return [...r.candidates.map((c) => c.value), `:${r.directive}`];
  };

  it.each<[string[], string[]]>([
    [['node/wo'], ['node/worker-1', 'node/worker-2', ':4']],
    [['nodes/c'], ['nodes/control-plane', ':4']],
    [[''], ['cleanup', 'completion', 'report', 'node/worker-1', 'node/worker-2', 'node/control-plane', ':4']],
    [['node/x'], [':4']],
    [
      ['node/worker-1', 'node/w'],
      ['node/worker-2', ':4'],
    ],
    [
      ['-n', 'p'],
      ['payments', ':4'],
    ],
    [
      ['-n', 'payments,'],
      ['payments,default', 'payments,shop', 'payments,kube-system', ':4'],
    ],
    [['--namespace=s'], ['--namespace=shop', ':4']],
    [
      ['-o', ''],
      ['table', 'wide', 'json', 'summary', ':4'],
    ],
    [
      ['-o', 'j'],
      ['json', ':4'],
    ],
    [['--output=s'], ['--output=summary', ':4']],
    [
      ['--context', 'p'],
      ['prod', ':4'],
    ],
    [['--kubeconfig', ''], [':0']],
    [
      ['completion', ''],
      ['bash', 'zsh', 'fish', ':4'],
    ],
    [['pod/w'], ['pod/web-0', 'pod/web-1', ':4']],
    [
      ['pod/web-0', 'pod/'],
      ['pod/web-1', 'pod/db-0', ':4'],
    ],
    [['deploy/w'], ['deploy/web', 'deploy/worker', ':4']],
    [['sts/'], [':4']],
    [['de'], ['deploy/', ':6']],
    [
      ['pod/web-0', '-c', ''],
      ['web', 'log-shipper', 'istio-proxy', ':4'],
    ],
    [
      ['pod/web-0', '-c', 'web,'],
      ['web,log-shipper', 'web,istio-proxy', ':4'],
    ],
    [['-c', ''], [':4']],
  ])('%j', async (args, expected) => {
    expect(await values(args)).toEqual(expected);
  });

  it('passes the typed --kubeconfig and --context to the lookup', async () => {
    calls.length = 0;
    await complete(['--kubeconfig', '/k', '--context', 'c', 'node/'], lookups);
    expect(calls).toEqual(['nodes /k c']);
  });

  it("looks pods, workloads and containers up in -n's namespace (null: the context's)", async () => {
    calls.length = 0;
    await complete(['-n', 'shop', 'deploy/'], lookups);
    await complete(['pod/'], lookups);
    await complete(['pod/a', 'deploy/b', '--namespace=apps', '-c', ''], lookups);
    expect(calls).toEqual(['deployment shop', 'pod null', 'containers apps a,b']);
  });

  it('a failed lookup: the error directive and the reason, never a throw', async () => {
    const failing: NameLookups = { ...lookups, nodes: async () => Promise.reject(new Error('cannot reach the API server')) };
    expect(await complete(['node/'], failing)).toEqual({
      candidates: [],
      directive: Directive.Error,
      error: 'cannot reach the API server',
    });
    // The subcommands are still offered on the first word.
    expect(await complete(['c'], failing)).toMatchObject({
      candidates: [{ value: 'cleanup' }, { value: 'completion' }],
      directive: Directive.NoFileComp,
    });
  });
});

describe("formatCompletion: cobra's wire format", () => {
  it('one candidate per line, tab before the description, then :N', () => {
    expect(
      formatCompletion({ candidates: [{ value: 'json', description: 'one JSON object per exec' }, { value: 'table' }], directive: 4 }),
    ).toBe('json\tone JSON object per exec\ntable\n:4\n');
    expect(formatCompletion({ candidates: [{ value: 'json', description: 'x' }], directive: 4 }, false)).toBe('json\n:4\n');
    expect(formatCompletion({ candidates: [], directive: 1 })).toBe(':1\n');
    expect(formatCompletion({ candidates: [{ value: 'a\tb\nc' }], directive: 0 })).toBe('a b c\n:0\n');
  });
});

describe('invokedAs', () => {
  it.each<[string | undefined, string | undefined, string]>([
    ['/usr/local/bin/kubectl-trace_exec', undefined, 'kubectl'],
    ['/home/u/.krew/bin/oc-trace_exec', undefined, 'oc'],
    ['oc-trace_exec', undefined, 'oc'],
    ['/opt/x/kubectl_complete-trace_exec', undefined, 'complete'],
    ['/work/dist/cli.js', undefined, 'kubectl'],
    ['/work/dist/cli.js', 'oc-trace_exec', 'oc'],
    ['/opt/kubectl-trace_exec', 'kubectl_complete-trace_exec', 'complete'],
    [undefined, undefined, 'kubectl'],
    ['C:\\Users\\u\\.krew\\bin\\kubectl-trace_exec.exe', undefined, 'kubectl'],
    ['C:\\tools\\kubectl_complete-trace_exec.exe', undefined, 'complete'],
    ['Z:\\tmp\\x\\oc-trace_exec.exe', undefined, 'oc'],
    ['C:\\Tools\\KUBECTL_COMPLETE-TRACE_EXEC.EXE', undefined, 'complete'],
    ['C:/tools/oc-trace_exec.exe', undefined, 'oc'],
  ])('%s (TRACE_EXEC_INVOKED_AS=%s) → %s', (argv1, env, expected) => {
    expect(invokedAs(argv1, env)).toBe(expected);
  });
});

describe('completionScript', () => {
  it.each(['bash', 'zsh', 'fish'] as const)('%s: completes both command names through __complete', (shell) => {
    const s = completionScript(shell);
    expect(s).toContain('kubectl-trace_exec');
    expect(s).toContain('oc-trace_exec');
    expect(s).toContain('__complete');
  });
});
