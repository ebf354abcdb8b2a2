/**
 * `trace-exec completion SHELL` (the script) and the hidden `__complete` (kubectl_complete-trace_exec
 * and the scripts call it: cobra's protocol, see src/cli/completion.ts).
 */
import type { Log } from '../log.js';
import { complete, completionScript, formatCompletion, SHELLS, type Shell } from './completion.js';
import { NAME } from './command-name.js';

/** A TAB must not hang on an unreachable cluster: the lookup's limit without --request-timeout. */
const COMPLETION_TIMEOUT_MS = 5000;

export async function completeCommand(args: string[], descriptions: boolean): Promise<number> {
  // Every TAB starts a process: the client library (~0.6 s to load) only when a word needs the API
  // or the kubeconfig.
  const kube = (): Promise<typeof import('../kube/names.js')> => import('../kube/names.js');
  const timeout = (ms: number | null): number => ms ?? COMPLETION_TIMEOUT_MS;
  const result = await complete(args.length > 0 ? args : [''], {
    nodes: async (c) =>
      (await kube()).listNodeNames({ kubeconfig: c.kubeconfig, context: c.context, timeoutMs: timeout(c.requestTimeoutMs) }),
    namespaces: async (c) =>
      (await kube()).listNamespaceNames({ kubeconfig: c.kubeconfig, context: c.context, timeoutMs: timeout(c.requestTimeoutMs) }),
    contexts: async (kubeconfig) => (await kube()).contextNames(kubeconfig),
    objects: async (c, namespace, resource) =>
      (await kube()).listObjectNames(
        { kubeconfig: c.kubeconfig, context: c.context, timeoutMs: timeout(c.requestTimeoutMs), namespace },
        resource,
      ),
    containers: async (c, namespace, targets) =>
      (await kube()).listContainerNames(
        { kubeconfig: c.kubeconfig, context: c.context, timeoutMs: timeout(c.requestTimeoutMs), namespace },
        targets,
      ),
  });
  process.stdout.write(formatCompletion(result, descriptions));
  if (result.error) process.stderr.write(`trace-exec: completion: ${result.error}\n`);
  return 0;
}

export async function completionCommand(argv: string[], log: Log): Promise<number> {
  const cmd = NAME.replace(' ', '-').replace('-trace-exec', '-trace_exec');
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h') {
    const out = argv.length === 0 ? (s: string) => void process.stderr.write(s) : (s: string) => void process.stdout.write(s);
    out(
      `Print a shell completion script for ${cmd} and oc-trace_exec typed directly.\n\n` +
        `Usage:\n  ${NAME} completion bash|zsh|fish\n\n` +
        `Examples:\n  source <(${cmd} completion bash)          # bash, this shell\n` +
        `  source <(${cmd} completion zsh)           # zsh, after compinit\n` +
        `  ${cmd} completion fish | source           # fish\n\n` +
        `${NAME} <TAB> itself is completed by kubectl 1.26+ when kubectl_complete-trace_exec is on PATH (see the README).\n`,
    );
    return argv.length === 0 ? 1 : 0;
  }
  const shell = argv[0] as Shell;
  if (!SHELLS.includes(shell) || argv.length > 1) {
    log.error(`completion: give one shell: ${SHELLS.join(', ')} (got: ${argv.join(' ')})`);
    return 1;
  }
  process.stdout.write(completionScript(shell));
  return 0;
}
