/**
 * The cluster side of a run: checks, the debug namespace and pod, the exec runner, the pod index of
 * the node — and a cleanup that removes what was created on every way out, retrying deletions and
 * printing the exact commands for whatever it could not remove.
 */
import { randomBytes } from 'node:crypto';
import { CoreV1Api, type KubeConfig, type V1Pod } from '@kubernetes/client-node';
import type { Options } from '../cli/options.js';
import type { Log } from '../log.js';
import { UserError } from '../errors.js';
import { PodIndex } from '../join/pod-index.js';
import type { NodeRunner } from '../node/runner.js';
import { loadKubeConfig } from './config.js';
import { checkAccess, checkNode, requiredPermissions } from './access.js';
import { apiStatus, describeApiError, isNotFound, withTimeout } from './errors.js';
import { CONTAINER, deadlineSeconds, debugNamespaceManifest, debugPodManifest } from './debug-pod.js';
import { waitForRunning } from './wait.js';
import { ExecRunner } from './exec-runner.js';
import { PodWatch } from './pod-watch.js';

export interface ClusterSession {
  runner: NodeRunner;
  index: PodIndex;
  /** bpftrace as the debug image has it (on PATH). */
  bpftracePath: string;
  onPodsChanged(cb: () => void): void;
  /** Called when the debug pod goes away or fails during the run. */
  onFailure(cb: (message: string) => void): void;
  /** Removes what the run created; false when something was left (the commands to remove it are printed). */
  cleanup(): Promise<boolean>;
}

class Interrupted extends UserError {}

export async function openCluster(opts: Options, log: Log, interrupted: Promise<string>): Promise<ClusterSession> {
  if (opts.target.kind !== 'node') throw new Error('openCluster needs a node target');
  const node = opts.target.name;
  const kc = loadKubeConfig(opts.kubeconfig, opts.context);
  const server = kc.getCurrentCluster()?.server ?? '(unknown server)';
  const core = kc.makeApiClient(CoreV1Api);
  const t = opts.requestTimeoutMs;
  let wasInterrupted: string | null = null;
  void interrupted.then((why) => (wasInterrupted = why));
  const abortIfInterrupted = (): void => {
    if (wasInterrupted) throw new Interrupted(`interrupted (${wasInterrupted}) before tracing started`);
  };

  const nodeObj = await checkNode(kc, node, t, server);
  const ready = nodeObj.status?.conditions?.find((c) => c.type === 'Ready');
  if (ready && ready.status !== 'True') {
    log.warn(`node ${node} is NotReady (${ready.reason ?? 'no reason given'}): the debug pod may not start`);
  }
  await checkAccess(kc, requiredPermissions(opts.debugNamespace), t, server);
  if (opts.namespaces) await warnMissingNamespaces(core, opts.namespaces, log, t);
  if (opts.debugNamespace) {
    try {
      await withTimeout(core.readNamespace({ name: opts.debugNamespace }), t, `reading namespace ${opts.debugNamespace}`);
    } catch (e) {
      if (isNotFound(e)) throw new UserError(`--debug-namespace "${opts.debugNamespace}" does not exist`, 'create it first, or leave the flag out to use a temporary namespace');
      throw describeApiError(e, `reading namespace ${opts.debugNamespace}`, server);
    }
  }
  abortIfInterrupted();

  const runId = randomBytes(3).toString('hex');
  const created: { namespace: string | null; pod: { namespace: string; name: string } | null } = { namespace: null, pod: null };
  const watchers: PodWatch[] = [];
  let cleaned: Promise<boolean> | null = null;
  const cleanup = (): Promise<boolean> => {
    cleaned ??= (async () => {
      for (const w of watchers) w.stop();
      return removeCreated(core, created, log);
    })();
    return cleaned;
  };

  try {
    let namespace = opts.debugNamespace;
    if (!namespace) {
      const ns = await withTimeout(core.createNamespace({ body: debugNamespaceManifest(runId) }), t, 'creating the debug namespace').catch((e: unknown) => {
        throw describeApiError(e, 'creating the debug namespace', server);
      });
      namespace = ns.metadata!.name!;
      created.namespace = namespace;
    }
    const body = debugPodManifest({ node, namespace, image: opts.image, runId, deadlineSeconds: deadlineSeconds(opts.durationMs, opts.timeoutMs) });
    log.progress(`creating debug pod ${namespace}/${body.metadata!.name} on ${node} (image ${opts.image})`);
    const pod = await withTimeout(core.createNamespacedPod({ namespace, body }), t, 'creating the debug pod').catch((e: unknown) => {
      throw createPodError(e, namespace!, server);
    });
    created.pod = { namespace, name: pod.metadata!.name! };
    abortIfInterrupted();

    await waitForRunning(core, created.pod, { timeoutMs: opts.timeoutMs, image: opts.image, log, interrupted });
    abortIfInterrupted();

    const index = new PodIndex();
    const watch = new PodWatch(kc, node, index, log);
    watchers.push(watch);
    const failureListeners: ((m: string) => void)[] = [];
    watch.onPod((type, p: V1Pod) => {
      if (p.metadata?.namespace !== created.pod?.namespace || p.metadata?.name !== created.pod?.name) return;
      const why =
        type === 'DELETED'
          ? `the debug pod ${created.pod!.namespace}/${created.pod!.name} was deleted during the trace`
          : p.status?.phase === 'Failed' || p.status?.phase === 'Succeeded'
            ? `the debug pod ended (${p.status?.reason ?? p.status?.phase}${p.status?.reason === 'DeadlineExceeded' ? ': its activeDeadlineSeconds passed; pass a longer --duration' : ''})`
            : null;
      if (why) for (const l of failureListeners) l(why);
    });
    await watch.start().catch((e: unknown) => {
      throw describeApiError(e, `listing the pods of node ${node}`, server);
    });

    return {
      runner: new ExecRunner(kc, { ...created.pod, container: CONTAINER }, { pid: `/tmp/trace-exec-${runId}.pid`, program: `/tmp/trace-exec-${runId}.bt` }, server),
      index,
      bpftracePath: 'bpftrace',
      onPodsChanged: (cb) => watch.onChange(cb),
      onFailure: (cb) => failureListeners.push(cb),
      cleanup,
    };
  } catch (e) {
    await cleanup();
    throw e;
  }
}

async function warnMissingNamespaces(core: CoreV1Api, namespaces: readonly string[], log: Log, t: number | null): Promise<void> {
  for (const name of namespaces) {
    try {
      await withTimeout(core.readNamespace({ name }), t, `reading namespace ${name}`);
    } catch (e) {
      if (isNotFound(e)) log.warn(`namespace "${name}" does not exist (yet): its execs will show if it appears during the trace`);
    }
  }
}

function createPodError(e: unknown, namespace: string, server: string): UserError {
  const s = apiStatus(e);
  const msg = s?.message ?? '';
  if (s?.code === 403 && /PodSecurity|pod security/i.test(msg)) {
    return new UserError(
      `Pod Security admission rejected the privileged debug pod in namespace ${namespace}: ${msg}`,
      `allow privileged pods there: kubectl label namespace ${namespace} pod-security.kubernetes.io/enforce=privileged --overwrite`,
    );
  }
  if (s?.code === 403 && /security context constraint/i.test(msg)) {
    return new UserError(
      `no SecurityContextConstraint admits the privileged debug pod in namespace ${namespace}: ${msg}`,
      `grant it: oc adm policy add-scc-to-user privileged -z default -n ${namespace}`,
    );
  }
  return describeApiError(e, 'creating the debug pod', server);
}

const DELETE_ATTEMPTS = 4;

async function removeCreated(
  core: CoreV1Api,
  created: { namespace: string | null; pod: { namespace: string; name: string } | null },
  log: Log,
): Promise<boolean> {
  const left: string[] = [];
  if (created.pod) {
    const { namespace, name } = created.pod;
    if (!(await retryDelete(() => core.deleteNamespacedPod({ name, namespace, gracePeriodSeconds: 0 })))) {
      left.push(`kubectl delete pod -n ${namespace} ${name}`);
    }
  }
  if (created.namespace) {
    const name = created.namespace;
    if (!(await retryDelete(() => core.deleteNamespace({ name })))) left.push(`kubectl delete namespace ${name}`);
  }
  if (left.length > 0) {
    log.error(`could not remove what trace-exec created; remove it with:\n  ${left.join('\n  ')}`);
    return false;
  }
  if (created.pod || created.namespace) {
    log.debug(`removed ${[created.pod && `pod ${created.pod.namespace}/${created.pod.name}`, created.namespace && `namespace ${created.namespace}`].filter(Boolean).join(' and ')}`);
  }
  return true;
}

/** True when the object is gone (deleted now, or already). Retries 5xx and network errors with backoff. */
async function retryDelete(del: () => Promise<unknown>): Promise<boolean> {
  for (let attempt = 0; attempt < DELETE_ATTEMPTS; attempt++) {
    try {
      await withTimeout(del(), 15_000, 'deleting');
      return true;
    } catch (e) {
      if (isNotFound(e)) return true;
      await new Promise((r) => setTimeout(r, 500 * 2 ** attempt));
    }
  }
  return false;
}
