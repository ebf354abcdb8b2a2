/**
 * The cluster side of a run: checks, the debug namespace, one debug pod per node with its exec
 * runner and pod index — and a cleanup that removes what was created on every way out, retrying
 * deletions and printing the exact commands for whatever it could not remove.
 */
import { randomBytes } from 'node:crypto';
import { CoreV1Api, type V1Node, type V1Pod } from '@kubernetes/client-node';
import type { Log } from '../log.js';
import { Interrupted, UserError } from '../errors.js';
import { nearNames } from '../near-names.js';
import type { PodIndex } from '../join/pod-index.js';
import type { NodeRunner } from '../node/runner.js';
import { contextNamespace, loadKubeConfig } from './config.js';
import { checkAccess, checkNode, requiredPermissions } from './access.js';
import { apiStatus, describeApiError, isNotFound, withTimeout } from './errors.js';
import { CONTAINER, deadlineSeconds, debugNamespaceManifest, debugPodFiles, debugPodManifest } from './debug-pod.js';
import { leaseFromEnv } from '../node/lease.js';
import { notReadyGraceMs, waitForRunning } from './wait.js';
import { notReady } from './node-ready.js';
import { ExecRunner } from './exec-runner.js';
import { FleetPods, ownPodWatch, sharesOneWatch, type NodePods } from './fleet-pods.js';
import { OwnerResolver } from './owners.js';
import { resolveScope, type ScopeOptions } from './targets.js';
import type { PodScope } from '../join/filter.js';
import { nodeArchitecture } from '../node/arch.js';
import { chooseImage, noImageMessage, type ImageChoice, type ImageSpec } from '../node/images.js';
import { BudgetedKubeConfig, RequestBudget, type BudgetStats } from './request-budget.js';
import { startOrder } from './start-order.js';
import { PodUpdates } from './pod-updates.js';
import type { Budget } from './token-bucket.js';

/** What a cluster session needs: where, which nodes, and how its debug pods are made. */
export interface SessionOptions extends ScopeOptions {
  readonly kubeconfig: string | null;
  readonly context: string | null;
  /** -n: the first is where pod and workload targets are looked up; each is checked to exist. */
  readonly namespaces: readonly string[] | null;
  /** --image: the debug image for every node and/or per architecture (src/node/images.ts chooses). */
  readonly images: ImageSpec;
  readonly debugNamespace: string | null;
  /** How long a debug pod may take to start. */
  readonly timeoutMs: number;
  /** --duration: sets the debug pod's own deadline. */
  readonly durationMs: number | null;
  /** --kube-api-qps, --kube-api-burst: every API request of the run goes through this budget (src/kube/request-budget.ts). */
  readonly apiBudget: Budget;
}

/** One node being traced through its debug pod. */
export interface NodeSession {
  node: string;
  /** The debug image the node's pod runs (named when it lacks a command of the contract). */
  image: string;
  runner: NodeRunner;
  index: PodIndex;
  onPodsChanged(cb: () => void): void;
  /** Called when the debug pod goes away or fails during the run. */
  onFailure(cb: (message: string) => void): void;
  /** After a lost stream: why the debug pod cannot be traced any more, or null while it runs (src/node-trace.ts). */
  podGone(): Promise<string | null>;
  /** A new attachment took over: the pod watch retries now. */
  resumed(): void;
}

export interface ClusterRun {
  /** The nodes to trace: each has a debug image for its architecture. */
  nodes: string[];
  /** The same nodes in the order to start them (src/kube/start-order.ts). */
  startOrder: string[];
  /** What went through the API request budget so far (--kube-api-qps, --kube-api-burst). */
  requests: BudgetStats;
  /** Nodes that no image fits (one error line each); nothing was created for them. */
  refused: UserError[];
  podScope: PodScope | null;
  /** Creates the node's debug pod, waits for it, starts its pod watch. */
  openNode(node: string): Promise<NodeSession>;
  /** Removes what the run created; false when something was left (the commands to remove it are printed). */
  cleanup(): Promise<boolean>;
}

export async function openCluster(opts: SessionOptions, log: Log, interrupted: Promise<string>): Promise<ClusterRun> {
  const budget = new RequestBudget(opts.apiBudget);
  const kc = loadKubeConfig(opts.kubeconfig, opts.context, new BudgetedKubeConfig(budget));
  const server = kc.getCurrentCluster()?.server ?? '(unknown server)';
  const core = kc.makeApiClient(CoreV1Api);
  const t = opts.requestTimeoutMs;
  let wasInterrupted: string | null = null;
  void interrupted.then((why) => (wasInterrupted = why));
  const abortIfInterrupted = (): void => {
    if (wasInterrupted) throw new Interrupted(wasInterrupted, 'before tracing started');
  };

  const podNamespace = opts.namespaces?.[0] ?? contextNamespace(kc);
  const resolved = await resolveScope(kc, opts, podNamespace, server);
  const { podScope } = resolved;
  for (const { node, why } of resolved.skipped) log.warn(`skipping node ${node}: ${why}; pass --include-not-ready to try it anyway`);
  const archOf = new Map<string, string | null>();
  const nodeObjects = new Map<string, V1Node>();
  await Promise.all(
    resolved.nodes.map(async (node) => {
      // A node of the list that chose it is not read again: 500 nodes, 500 requests saved.
      const nodeObj = resolved.read.get(node) ?? (await checkNode(kc, node, t, server));
      nodeObjects.set(node, nodeObj);
      const why = notReady(nodeObj);
      if (why) {
        log.warn(
          `node ${node} is ${why}: its debug pod may not start (given up after ${notReadyGraceMs(opts.timeoutMs) / 1000}s if its kubelet does not take the pod up while the node stays NotReady)`,
        );
      }
      archOf.set(node, nodeArchitecture({ architecture: nodeObj.status?.nodeInfo?.architecture, labels: nodeObj.metadata?.labels }));
    }),
  );
  // Each node its own image, chosen before anything is created: an image of another architecture
  // would only fail on the node, after the user waited for it.
  const images = new Map<string, Extract<ImageChoice, { kind: 'image' }>>();
  const refused: UserError[] = [];
  for (const node of resolved.nodes) {
    const choice = chooseImage(opts.images, archOf.get(node) ?? null);
    if (choice.kind === 'none') {
      refused.push(new UserError(noImageMessage(node, choice.arch)));
      continue;
    }
    images.set(node, choice);
    if (choice.assumed)
      log.warn(`node ${node} reports no architecture (status.nodeInfo.architecture, label kubernetes.io/arch): assuming ${choice.arch}`);
  }
  const nodes = resolved.nodes.filter((n) => images.has(n));
  if (nodes.length === 0) {
    if (refused.length === 1) throw refused[0]!;
    for (const r of refused) log.error(r.message);
    throw new UserError(`none of the ${refused.length} nodes has a debug image for its architecture: nothing was created`);
  }
  await checkAccess(kc, requiredPermissions(opts.debugNamespace), t, server);
  if (opts.namespaces) await warnMissingNamespaces(core, opts.namespaces, log, t);
  if (opts.debugNamespace) {
    try {
      await withTimeout(core.readNamespace({ name: opts.debugNamespace }), t, `reading namespace ${opts.debugNamespace}`);
    } catch (e) {
      if (isNotFound(e))
        throw new UserError(
          `--debug-namespace "${opts.debugNamespace}" does not exist`,
          'create it first, or leave the flag out to use a temporary namespace',
        );
      throw describeApiError(e, `reading namespace ${opts.debugNamespace}`, server);
    }
  }
  abortIfInterrupted();

  const runId = randomBytes(3).toString('hex');
  const lease = leaseFromEnv();
  const created: Created = { namespace: null, pods: [] };
  // One owner cache for every node: a Deployment's ReplicaSet is read once for the run, not once per node.
  const owners = new OwnerResolver(kc, log);
  // Many nodes share one cluster-wide pod watch (src/kube/fleet-pods.ts); a few keep their own.
  const fleet = sharesOneWatch(opts.scope.kind, nodes.length) ? new FleetPods(kc, nodes, log, undefined, owners) : null;
  if (fleet) log.debug(`one pod list and watch of the cluster serves the ${nodes.length} nodes`);
  const watchers: NodePods[] = [];
  const stopWatches = (): void => {
    for (const w of watchers) w.stop();
    fleet?.stop();
  };
  // After Ctrl-C no pod watch opens again: their re-opens would queue in the API request budget
  // before the stops and deletions. The indexes keep what they hold for the execs the tracers still flush.
  void interrupted.then(stopWatches);
  let cleaned: Promise<boolean> | null = null;
  const cleanup = (): Promise<boolean> => {
    cleaned ??= (async () => {
      stopWatches();
      const ok = await removeCreated(core, created, log);
      const r = budget.stats;
      log.debug(
        `API requests: ${r.requests} (${r.throttled} waited ${(r.throttledMs / 1000).toFixed(1)} s in all for --kube-api-qps ${opts.apiBudget.qps} / --kube-api-burst ${opts.apiBudget.burst}; ${r.retried} answers retried)`,
      );
      return ok;
    })();
    return cleaned;
  };

  let namespace = opts.debugNamespace;
  try {
    if (!namespace) {
      const ns = await withTimeout(core.createNamespace({ body: debugNamespaceManifest(runId) }), t, 'creating the debug namespace').catch(
        (e: unknown) => {
          throw describeApiError(e, 'creating the debug namespace', server);
        },
      );
      namespace = ns.metadata!.name!;
      created.namespace = namespace;
    }
  } catch (e) {
    await cleanup();
    throw e;
  }
  const debugNamespace = namespace;

  const openNode = async (node: string): Promise<NodeSession> => {
    abortIfInterrupted();
    const { image, arch } = images.get(node)!;
    const body = debugPodManifest({
      node,
      namespace: debugNamespace,
      image,
      runId,
      deadlineSeconds: deadlineSeconds(opts.durationMs, opts.timeoutMs),
      lease,
    });
    log.progress(`creating debug pod ${debugNamespace}/${body.metadata!.name} on ${node} (${arch}, image ${image})`);
    // The node's pod watch, which the trace needs anyway, also brings the debug pod's changes: the
    // wait for Running reads nothing more (src/kube/pod-updates.ts). Set up before the pod is
    // created: a shared watch that already runs may bring the pod before the create answers.
    const ref = { namespace: debugNamespace, name: body.metadata!.name! };
    const watch = fleet ? fleet.node(node) : ownPodWatch(kc, node, log, owners);
    watchers.push(watch);
    const updates = new PodUpdates();
    const isOwn = (p: V1Pod): boolean => p.metadata?.namespace === ref.namespace && p.metadata?.name === ref.name;
    /** A state from the watch came first: the create's answer is older. */
    let watched = false;
    watch.onList((pods) => {
      const own = pods.find(isOwn);
      if (own) {
        watched = true;
        updates.push(own);
      }
    });
    const failureListeners: ((m: string) => void)[] = [];
    watch.onPod((type, p: V1Pod) => {
      if (!isOwn(p)) return;
      watched = true;
      if (type !== 'DELETED') updates.push(p);
      const why =
        type === 'DELETED'
          ? `the debug pod ${ref.namespace}/${ref.name} was deleted during the trace`
          : p.status?.phase === 'Failed' || p.status?.phase === 'Succeeded'
            ? `the debug pod ended (${p.status?.reason ?? p.status?.phase}${p.status?.reason === 'DeadlineExceeded' ? ': its activeDeadlineSeconds passed; pass a longer --duration' : ''})`
            : null;
      if (why) for (const l of failureListeners) l(why);
    });
    // The shared list (the first node's) goes out while this pod is created; a node's own list after.
    const shared = fleet ? watch.start() : null;
    shared?.catch(() => {}); // awaited below, once the pod exists
    try {
      const pod = await withTimeout(core.createNamespacedPod({ namespace: debugNamespace, body }), t, 'creating the debug pod').catch(
        (e: unknown) => {
          throw createPodError(e, debugNamespace, server);
        },
      );
      created.pods.push(ref);
      if (!watched) updates.push(pod);
      abortIfInterrupted();
      await (shared ?? watch.start()).catch((e: unknown) => {
        throw describeApiError(e, fleet ? 'listing the pods of the cluster' : `listing the pods of node ${node}`, server);
      });
      abortIfInterrupted();
    } catch (e) {
      watch.stop();
      throw e;
    }
    const nodeObj = nodeObjects.get(node);
    try {
      await waitForRunning(core, ref, {
        timeoutMs: opts.timeoutMs,
        image,
        arch,
        log,
        interrupted,
        node,
        updates,
        ...(nodeObj ? { nodeNotReady: notReady(nodeObj) } : {}),
      });
      abortIfInterrupted();
    } catch (e) {
      watch.stop(); // the run may go on without this node
      throw e;
    }
    return {
      node,
      image,
      runner: new ExecRunner(kc, { ...ref, container: CONTAINER }, debugPodFiles(ref.name), server, lease),
      index: watch.index,
      onPodsChanged: (cb) => watch.onChange(cb),
      onFailure: (cb) => failureListeners.push(cb),
      podGone: () => podGone(core, ref, t, lease.limitS),
      resumed: () => watch.resume(),
    };
  };

  return {
    nodes,
    startOrder: startOrder(nodes.map((n) => nodeObjects.get(n)!)),
    requests: budget.stats,
    refused,
    podScope,
    openNode,
    cleanup,
  };
}

/** Why the debug pod cannot be traced any more (deleted, ended), or null while it runs; rejects when the API cannot tell. */
async function podGone(
  core: CoreV1Api,
  ref: { namespace: string; name: string },
  t: number | null,
  leaseS: number,
): Promise<string | null> {
  let pod: V1Pod;
  try {
    pod = await withTimeout(core.readNamespacedPod(ref), t ?? 10_000, 'reading the debug pod');
  } catch (e) {
    if (isNotFound(e)) return `the debug pod ${ref.namespace}/${ref.name} was deleted`;
    throw e;
  }
  const phase = pod.status?.phase;
  if (pod.metadata?.deletionTimestamp) return `the debug pod ${ref.namespace}/${ref.name} is being deleted`;
  if (phase === 'Succeeded' || phase === 'Failed') {
    const why =
      pod.status?.reason === 'DeadlineExceeded'
        ? 'its activeDeadlineSeconds passed'
        : phase === 'Succeeded'
          ? `it ends itself when this client has not been heard from for ${leaseS} s`
          : (pod.status?.reason ?? 'Failed');
    return `the debug pod ${ref.namespace}/${ref.name} ended (${phase}: ${why})`;
  }
  return null;
}

interface Created {
  namespace: string | null;
  pods: { namespace: string; name: string }[];
}

async function warnMissingNamespaces(core: CoreV1Api, namespaces: readonly string[], log: Log, t: number | null): Promise<void> {
  let existing: string[] | null = null;
  for (const name of namespaces) {
    try {
      await withTimeout(core.readNamespace({ name }), t, `reading namespace ${name}`);
    } catch (e) {
      if (!isNotFound(e)) continue;
      // A typo is likelier than a namespace still to come: offer the near names that exist. Listing
      // namespaces is not a permission a trace needs; without it the warning goes without them.
      existing ??= await withTimeout(core.listNamespace(), t, 'listing namespaces').then(
        (l) => l.items.map((n) => n.metadata?.name ?? '').filter((n) => n !== ''),
        () => [],
      );
      const near = nearNames(name, existing);
      log.warn(
        near.length > 0
          ? `namespace "${name}" does not exist (yet); did you mean ${near.map((n) => `-n ${n}`).join(' or ')}? Its execs will show if it appears during the trace`
          : `namespace "${name}" does not exist (yet): its execs will show if it appears during the trace`,
      );
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

async function removeCreated(core: CoreV1Api, created: Created, log: Log): Promise<boolean> {
  const left: string[] = [];
  await Promise.all(
    created.pods.map(async ({ namespace, name }) => {
      if (!(await retryDelete(() => core.deleteNamespacedPod({ name, namespace, gracePeriodSeconds: 0 })))) {
        left.push(`kubectl delete pod -n ${namespace} ${name}`);
      }
    }),
  );
  if (created.namespace) {
    const name = created.namespace;
    if (!(await retryDelete(() => core.deleteNamespace({ name })))) left.push(`kubectl delete namespace ${name}`);
  }
  if (left.length > 0) {
    log.error(`could not remove what trace-exec created; remove it with:\n  ${left.join('\n  ')}`);
    return false;
  }
  const what = [
    ...created.pods.map((p) => `pod ${p.namespace}/${p.name}`),
    ...(created.namespace ? [`namespace ${created.namespace}`] : []),
  ];
  if (what.length > 0) log.debug(`removed ${what.join(', ')}`);
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
