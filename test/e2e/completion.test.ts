/**
 * Completion that knows the cluster, as a user gets it: a real kubectl (1.26+) finds
 * kubectl-trace_exec and kubectl_complete-trace_exec on PATH (this checkout's bin/ launchers, which
 * run the built dist/cli.js) and asks the plugin in cobra's `__complete` format; the `completion
 * bash|zsh|fish` scripts ask the same way in real shells. Names come from the API stand-in; every
 * kubectl and completion call names its kubeconfig explicitly (HOME is an empty directory).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, symlinkSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiServer, type ApiServer } from '../apiserver/index.js';
import { writeKubeconfig } from '../apiserver/kubeconfig.js';
import { removeTempDirs, tempDir } from '../support/tmp.js';
import { kubectlDescribe, kubectlMinor, run } from '../release/support.js';

const BIN = fileURLToPath(new URL('../../bin/', import.meta.url));
const kube = kubectlDescribe();

/** A shell for the completion scripts: on PATH, else Debian's package installed with apt-get (as root). */
function shell(name: 'zsh' | 'fish'): string | null {
  const find = (): string | null => ['/usr/bin', '/bin'].map((d) => join(d, name)).find((p) => existsSync(p)) ?? null;
  if (find() || process.getuid?.() !== 0 || !existsSync('/usr/bin/apt-get')) return find();
  try {
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', name], { stdio: 'ignore', env, timeout: 300_000 });
  } catch {
    // reported below as "not installed"
  }
  return find();
}

let api: ApiServer;
let path: string; // the plugin and its completion hook, and nothing else of this machine's but /usr/bin:/bin
let home: string;
const env = (): NodeJS.ProcessEnv => ({ PATH: `${path}:/usr/bin:/bin`, HOME: home });

beforeAll(async () => {
  api = await startApiServer();
  api.addNode('worker-1');
  api.addNode('worker-2');
  api.addNode('control-plane');
  api.addNamespace('shop');
  const pod = (namespace: string, name: string, containers: string[], init: string[] = []) =>
    api.addPod({
      metadata: { namespace, name },
      spec: {
        nodeName: 'worker-1',
        containers: containers.map((c) => ({ name: c, image: 'i' })),
        initContainers: init.map((c) => ({ name: c, image: 'i' })),
      },
    });
  pod('default', 'api-0', ['api']);
  pod('shop', 'web-0', ['web', 'log-shipper'], ['istio-proxy']);
  pod('shop', 'web-1', ['web', 'log-shipper']);
  pod('shop', 'db-0', ['db']);
  const template = (containers: string[]) => ({
    metadata: { labels: { app: 'x' } },
    spec: { containers: containers.map((c) => ({ name: c, image: 'i' })) },
  });
  api.addWorkload({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { namespace: 'shop', name: 'web' },
    spec: { selector: { matchLabels: { app: 'x' } }, template: template(['web', 'log-shipper']) },
  });
  api.addWorkload({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { namespace: 'shop', name: 'worker' },
    spec: { selector: { matchLabels: { app: 'y' } }, template: template(['worker']) },
  });
  api.addWorkload({
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { namespace: 'shop', name: 'db' },
    spec: { selector: { matchLabels: { app: 'z' } }, template: template(['db']) },
  });
  api.addWorkload({
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { namespace: 'shop', name: 'agent' },
    spec: { selector: { matchLabels: { app: 'a' } }, template: template(['agent']) },
  });
  api.addWorkload({
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { namespace: 'shop', name: 'migrate' },
    spec: { template: template(['migrate']) },
  });
  api.addWorkload({
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { namespace: 'shop', name: 'web-5d4f' },
    spec: { selector: { matchLabels: { app: 'x' } }, template: template(['web']) },
  });
  path = tempDir('trace-exec-completion-path-');
  home = tempDir('trace-exec-completion-home-');
  symlinkSync(join(BIN, 'trace-exec'), join(path, 'kubectl-trace_exec'));
  symlinkSync(join(BIN, 'kubectl_complete-trace_exec'), join(path, 'kubectl_complete-trace_exec'));
});
afterAll(async () => {
  await api?.close();
  removeTempDirs();
});

/** What the plugin's completion hook answers for the words typed after `kubectl trace-exec`. */
const hook = (words: string[]) =>
  run(join(path, 'kubectl_complete-trace_exec'), ['--kubeconfig', api.kubeconfigPath, ...words], { env: env() });

describe("kubectl_complete-trace_exec: cobra's __complete answers with the cluster's names", () => {
  it.each<[string, string[], string]>([
    ['node/: the nodes', ['node/'], 'node/control-plane\nnode/worker-1\nnode/worker-2\n:4\n'],
    ["pod/: the pods of the context's namespace", ['pod/'], 'pod/api-0\n:4\n'],
    ['pod/ after -n: the pods of that namespace', ['-n', 'shop', 'pod/w'], 'pod/web-0\npod/web-1\n:4\n'],
    ['pod/ not the one already given', ['-n', 'shop', 'pod/web-0', 'pod/'], 'pod/db-0\npod/web-1\n:4\n'],
    ['deploy/', ['-n', 'shop', 'deploy/'], 'deploy/web\ndeploy/worker\n:4\n'],
    ['sts/', ['--namespace=shop', 'sts/'], 'sts/db\n:4\n'],
    ['ds/', ['-n', 'shop', 'ds/'], 'ds/agent\n:4\n'],
    ['job/', ['-n', 'shop', 'job/'], 'job/migrate\n:4\n'],
    ['rs/', ['-n', 'shop', 'rs/'], 'rs/web-5d4f\n:4\n'],
    ['a first letter: the kinds, no space after the slash', ['d'], 'deploy/\tthe pods of a deployment\nds/\tthe pods of a daemonset\n:6\n'],
    [
      '-c: the containers of the pod target, init containers too',
      ['-n', 'shop', 'pod/web-0', '-c', ''],
      'web\nlog-shipper\nistio-proxy\n:4\n',
    ],
    ['-c a comma list', ['-n', 'shop', 'pod/web-0', '-c', 'web,l'], 'web,log-shipper\n:4\n'],
    ["-c: a deployment's pod template", ['-n', 'shop', 'deploy/web', '-c', ''], 'web\nlog-shipper\n:4\n'],
    ['-c with a node target: nothing to offer', ['node/worker-1', '-c', ''], ':4\n'],
    ['-n: namespaces', ['-n', 's'], 'shop\n:4\n'],
    ["--context: the kubeconfig's contexts", ['--context', ''], 'standin\n:4\n'],
  ])('%s', async (_what, words, expected) => {
    const r = await hook(words);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(expected);
  });

  it('a failed lookup answers the error directive alone, at once, exit 0 (the reason on stderr, which shells discard)', async () => {
    const missing = await hook(['-n', 'nope', 'pod/']);
    expect(missing).toMatchObject({ code: 0, stdout: ':4\n' }); // an empty namespace: no pods
    const gone = await hook(['-n', 'shop', 'pod/nope', '-c', '']);
    expect(gone.code).toBe(0);
    expect(gone.stdout).toBe(':1\n');
    expect(gone.stderr).toMatch(/^trace-exec: completion: .*404/);
  });

  it('an API server that accepts the connection and never answers: given up after the short default deadline', async () => {
    const silent = createServer(() => {}); // holds every connection open, answers nothing
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = silent.address() as AddressInfo;
      const kc = writeKubeconfig(tempDir('trace-exec-completion-silent-'), `http://127.0.0.1:${port}`, 'u', 't');
      const started = Date.now();
      const r = await run(join(path, 'kubectl_complete-trace_exec'), ['--kubeconfig', kc, 'pod/'], { env: env() });
      const took = Date.now() - started;
      expect(r).toMatchObject({ code: 0, stdout: ':1\n' });
      expect(r.stderr).toMatch(/--request-timeout \(5s\)/);
      expect(took).toBeGreaterThanOrEqual(5_000);
      expect(took).toBeLessThan(9_000);
      // --request-timeout typed on the line is honoured instead.
      const quick = await run(join(path, 'kubectl_complete-trace_exec'), ['--kubeconfig', kc, '--request-timeout', '1s', 'node/'], {
        env: env(),
      });
      expect(quick).toMatchObject({ code: 0, stdout: ':1\n' });
      expect(quick.stderr).toMatch(/--request-timeout \(1s\)/);
    } finally {
      silent.closeAllConnections?.();
      await new Promise((r) => silent.close(r));
    }
  });
});

describe.skipIf(kube.skip)(`through a real kubectl${kube.reason ? ` (${kube.reason})` : ''}`, () => {
  const kubectl = (words: string[]) =>
    run(kube.path!, ['__complete', 'trace-exec', '--kubeconfig', api.kubeconfigPath, ...words], { env: env() });

  beforeAll(async () => {
    if (kube.reason) throw new Error(`must run under CI but cannot: ${kube.reason}`);
    const minor = await kubectlMinor(kube.path!);
    if (minor === null || minor < 26)
      throw new Error(`kubectl 1.${minor} has no plugin completion (1.26+): set TRACE_EXEC_TEST_KUBECTL to a newer one`);
  });

  it.each<[string[], string]>([
    [['node/w'], 'node/worker-1\nnode/worker-2\n:4\n'],
    [['-n', 'shop', 'pod/'], 'pod/db-0\npod/web-0\npod/web-1\n:4\n'],
    [['-n', 'shop', 'deploy/w'], 'deploy/web\ndeploy/worker\n:4\n'],
    [['-n', 'shop', 'pod/web-1', '-c', ''], 'web\nlog-shipper\n:4\n'],
    [['-n', ''], 'default\nkube-node-lease\nkube-public\nkube-system\nshop\n:4\n'],
    [['--context', 's'], 'standin\n:4\n'],
  ])('kubectl __complete trace-exec --kubeconfig K %j', async (words, expected) => {
    const r = await kubectl(words);
    expect(r.code, r.stderr).toBe(0);
    // kubectl adds its own directive line and debug text on stderr; stdout is the plugin's answer.
    expect(r.stdout).toBe(expected);
  });
});

describe('the completion scripts, in real shells', () => {
  const script = async (sh: string): Promise<string> =>
    (await run(join(path, 'kubectl-trace_exec'), ['completion', sh], { env: env() })).stdout;
  const kc = () => `--kubeconfig ${api.kubeconfigPath}`;

  it('bash', async () => {
    const s = await script('bash');
    const complete = async (line: string): Promise<string[]> => {
      const r = await run(
        'bash',
        [
          '-c',
          `${s}\nCOMP_LINE="$1"; COMP_POINT=\${#COMP_LINE}; read -ra COMP_WORDS <<<"$1"; COMP_CWORD=$(( \${#COMP_WORDS[@]} - 1 )); _trace_exec_complete; printf '%s\\n' "\${COMPREPLY[@]}"`,
          'bash',
          line,
        ],
        { env: env() },
      );
      expect(r.code, r.stderr).toBe(0);
      return r.stdout.split('\n').filter((l) => l !== '');
    };
    expect(await complete(`kubectl-trace_exec ${kc()} -n shop pod/w`)).toEqual(['pod/web-0', 'pod/web-1']);
    expect(await complete(`kubectl-trace_exec ${kc()} -n shop deploy/`)).toEqual(['deploy/web', 'deploy/worker']);
    expect(await complete(`kubectl-trace_exec ${kc()} -n shop pod/web-0 -c `)).toEqual(['web', 'log-shipper', 'istio-proxy']);
    expect(await complete(`kubectl-trace_exec ${kc()} node/c`)).toEqual(['node/control-plane']);
  });

  const zsh = shell('zsh');
  it.skipIf(!zsh && process.env.CI !== 'true')(`zsh${zsh ? '' : ' (not installed)'}`, async () => {
    expect(zsh, 'zsh is not installed and apt-get install zsh did not bring it').not.toBeNull();
    const s = await script('zsh');
    // No interactive completion system here: compdef and _describe stand in, printing what they get.
    const complete = async (...words: string[]): Promise<string[]> => {
      const r = await run(
        zsh!,
        [
          '-f',
          '-c',
          `compdef() { :; }\n_describe() { local -a c; c=("\${(@P)4}"); print -rl -- "\${c[@]}" "\${@[5,-1]}"; }\n_files() { :; }\n${s}\nwords=("$@"); CURRENT=$#; _trace_exec_complete`,
          'zsh',
          ...words,
        ],
        { env: env() },
      );
      expect(r.stderr).toBe('');
      return r.stdout.split('\n').filter((l) => l !== '');
    };
    const k = ['--kubeconfig', api.kubeconfigPath];
    expect(await complete('kubectl-trace_exec', ...k, '-n', 'shop', 'pod/w')).toEqual(['pod/web-0', 'pod/web-1']);
    expect(await complete('kubectl-trace_exec', ...k, '-n', 'shop', 'deploy/web', '-c', '')).toEqual(['web', 'log-shipper']);
    // Only kind stems: no space after the slash (-S '').
    expect(await complete('kubectl-trace_exec', ...k, 'd')).toEqual([
      'deploy/:the pods of a deployment',
      'ds/:the pods of a daemonset',
      '-S',
    ]);
  });

  const fish = shell('fish');
  it.skipIf(!fish && process.env.CI !== 'true')(`fish${fish ? '' : ' (not installed)'}`, async () => {
    expect(fish, 'fish is not installed and apt-get install fish did not bring it').not.toBeNull();
    const s = await script('fish');
    const complete = async (line: string): Promise<string[]> => {
      const r = await run(fish!, ['--no-config', '-c', `${s}\ncomplete -C "$argv[1]"`, line], { env: env() });
      expect(r.code, r.stderr).toBe(0);
      return r.stdout
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => l.split('\t')[0]!);
    };
    expect(await complete(`kubectl-trace_exec ${kc()} -n shop pod/w`)).toEqual(['pod/web-0', 'pod/web-1']);
    expect(await complete(`kubectl-trace_exec ${kc()} -n shop sts/`)).toEqual(['sts/db']);
    expect(await complete(`kubectl-trace_exec ${kc()} -n shop pod/web-0 -c l`)).toEqual(['log-shipper']);
  });
});
