/**
 * What to trace, resolved against the cluster: the nodes, and — for pod and workload targets — which
 * pods' execs to keep. Pod scopes are matched on the client after the join, by namespace and name or
 * by the workload's label selector, so a pod that restarts or is replaced keeps being followed.
 */
import { AppsV1Api, BatchV1Api, CoreV1Api, type KubeConfig, type V1LabelSelector, type V1Node } from '@kubernetes/client-node';
import { UserError } from '../errors.js';
import { parseSelector, selectorText, type LabelSelector } from '../join/selector.js';
import type { PodScope } from '../join/filter.js';
import { describeApiError, isNotFound, withTimeout } from './errors.js';
import { notReady } from './node-ready.js';

export type WorkloadKind = 'deployment' | 'statefulset' | 'daemonset' | 'job' | 'replicaset';

/** An object named on the command line (node/NAME, pod/NAME, deploy/NAME…): parsed by src/cli/target.ts. */
export type Target =
  | { kind: 'node'; name: string }
  | { kind: 'pod'; name: string }
  | { kind: 'workload'; workload: WorkloadKind; name: string };

/** Which nodes of a cluster to trace: named targets, nodes by label, or every node. */
export type ClusterScope =
  | { kind: 'targets'; targets: readonly Target[] }
  | { kind: 'node-selector'; selector: string }
  | { kind: 'all-nodes' };

/** What resolving a scope needs. */
export interface ScopeOptions {
  readonly scope: ClusterScope;
  /** --all-nodes / --node-selector: also try the nodes that are not Ready (else left out, one line each). */
  readonly includeNotReady: boolean;
  readonly requestTimeoutMs: number | null;
}

export interface Resolved {
  nodes: string[];
  /** --all-nodes / --node-selector: the nodes left out because they are not Ready, each with why. */
  skipped: { node: string; why: string }[];
  podScope: PodScope | null;
  /** The node objects the resolution read (--all-nodes, --node-selector): no need to read them again. */
  read: Map<string, V1Node>;
}

const WORKLOAD_SHORT: Record<string, string> = { deployment: 'deploy', statefulset: 'sts', daemonset: 'ds', job: 'job', replicaset: 'rs' };

async function workloadSelector(
  kc: KubeConfig,
  t: Extract<Target, { kind: 'workload' }>,
  namespace: string,
): Promise<V1LabelSelector | undefined> {
  const apps = kc.makeApiClient(AppsV1Api);
  const batch = kc.makeApiClient(BatchV1Api);
  const args = { name: t.name, namespace };
  switch (t.workload) {
    case 'deployment':
      return (await apps.readNamespacedDeployment(args)).spec?.selector;
    case 'statefulset':
      return (await apps.readNamespacedStatefulSet(args)).spec?.selector;
    case 'daemonset':
      return (await apps.readNamespacedDaemonSet(args)).spec?.selector;
    case 'replicaset':
      return (await apps.readNamespacedReplicaSet(args)).spec?.selector;
    case 'job':
      return (await batch.readNamespacedJob(args)).spec?.selector;
  }
}

export async function resolveScope(kc: KubeConfig, opts: ScopeOptions, namespace: string, server: string): Promise<Resolved> {
  const core = kc.makeApiClient(CoreV1Api);
  const t = opts.requestTimeoutMs;
  const scope = opts.scope;
  if (scope.kind === 'all-nodes' || scope.kind === 'node-selector') {
    const what = scope.kind === 'all-nodes' ? 'listing nodes' : `listing nodes with --node-selector ${scope.selector}`;
    const list = await withTimeout(core.listNode(scope.kind === 'node-selector' ? { labelSelector: scope.selector } : {}), t, what).catch(
      (e: unknown) => {
        throw describeApiError(e, what, server);
      },
    );
    const items = [...list.items].sort((a, b) => a.metadata!.name!.localeCompare(b.metadata!.name!));
    if (items.length === 0) {
      throw new UserError(
        scope.kind === 'all-nodes' ? 'the cluster has no nodes' : `no node matches --node-selector ${scope.selector}`,
        'list the nodes and their labels with: kubectl get nodes --show-labels',
      );
    }
    // A NotReady node's debug pod would only wait out --timeout: leave it out unless asked to try.
    const { nodes, skipped } = partitionReady(items, opts.includeNotReady);
    if (nodes.length === 0) {
      const which = scope.kind === 'all-nodes' ? 'the cluster' : `--node-selector ${scope.selector}`;
      throw new UserError(
        `no node of ${which} is Ready: ${skipped.map((s) => `${s.node} ${s.why}`).join('; ')}`,
        'check them with: kubectl describe node NAME; pass --include-not-ready to try them anyway',
      );
    }
    return { nodes, skipped, podScope: null, read: new Map(items.map((n) => [n.metadata!.name!, n])) };
  }

  const nodes = new Set<string>();
  const names = new Set<string>();
  const selectors: LabelSelector[] = [];
  const described: string[] = [];
  for (const target of scope.targets) {
    if (target.kind === 'node') {
      nodes.add(target.name);
      continue;
    }
    if (target.kind === 'pod') {
      described.push(`pod/${target.name}`);
      const pod = await withTimeout(core.readNamespacedPod({ name: target.name, namespace }), t, `reading pod ${target.name}`).catch(
        (e: unknown) => {
          if (isNotFound(e))
            throw new UserError(
              `pod "${target.name}" not found in namespace ${namespace}`,
              `list them with: kubectl get pods -n ${namespace}`,
            );
          throw describeApiError(e, `reading pod ${namespace}/${target.name}`, server);
        },
      );
      if (!pod.spec?.nodeName) throw new UserError(`pod ${namespace}/${target.name} is not scheduled on a node yet`);
      nodes.add(pod.spec.nodeName);
      names.add(target.name);
      continue;
    }
    const ref = `${WORKLOAD_SHORT[target.workload]}/${target.name}`;
    described.push(ref);
    const sel = await withTimeout(workloadSelector(kc, target, namespace), t, `reading ${ref}`).catch((e: unknown) => {
      if (isNotFound(e))
        throw new UserError(
          `${target.workload} "${target.name}" not found in namespace ${namespace}`,
          `list them with: kubectl get ${target.workload}s -n ${namespace}`,
        );
      throw describeApiError(e, `reading ${ref} in namespace ${namespace}`, server);
    });
    const text = sel ? selectorText(sel) : '';
    if (text === '') throw new UserError(`${ref} has no pod selector`);
    selectors.push(parseSelector(text));
    const pods = await withTimeout(core.listNamespacedPod({ namespace, labelSelector: text }), t, `listing the pods of ${ref}`).catch(
      (e: unknown) => {
        throw describeApiError(e, `listing the pods of ${ref}`, server);
      },
    );
    const on = pods.items.map((p) => p.spec?.nodeName).filter((n): n is string => !!n);
    if (on.length === 0) throw new UserError(`${ref} has no pods on any node yet: nothing to trace`);
    for (const n of on) nodes.add(n);
  }
  const podScope = described.length > 0 ? { namespace, names, selectors, describe: described.join(', ') } : null;
  return { nodes: [...nodes].sort(), skipped: [], podScope, read: new Map() };
}

/** Pure: the names of the nodes to trace, and the NotReady ones left out (none with includeNotReady). */
export function partitionReady(items: readonly V1Node[], includeNotReady: boolean): Pick<Resolved, 'nodes' | 'skipped'> {
  const nodes: string[] = [];
  const skipped: Resolved['skipped'] = [];
  for (const n of items) {
    const why = includeNotReady ? null : notReady(n);
    if (why) skipped.push({ node: n.metadata!.name!, why });
    else nodes.push(n.metadata!.name!);
  }
  return { nodes, skipped };
}
