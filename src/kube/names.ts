/**
 * Names for shell completion: the cluster's nodes, namespaces, pods, workloads and the containers of
 * pod and workload targets, and the kubeconfig's contexts. Short and bounded: a TAB must never hang,
 * so every request has a deadline.
 */
import { AppsV1Api, BatchV1Api, CoreV1Api, KubeConfig, type V1PodSpec } from '@kubernetes/client-node';
import type { Target, WorkloadKind } from './targets.js';
import { contextNamespace, isLastResort, loadKubeConfig, loadKubeconfigList } from './config.js';
import { describeApiError, withTimeout } from './errors.js';

export interface NameSource {
  kubeconfig: string | null;
  context: string | null;
  /** Deadline for the request; completion passes --request-timeout or its own default. */
  timeoutMs: number;
}

/** Where pods and workloads are listed: -n's namespace, else (null) the context's, as a run resolves targets. */
export interface NamespacedSource extends NameSource {
  namespace: string | null;
}

const sorted = (names: (string | undefined)[]): string[] => names.filter((n): n is string => typeof n === 'string' && n !== '').sort();

function list<T extends { metadata?: { name?: string } }>(
  src: NameSource,
  what: string,
  request: (core: CoreV1Api) => Promise<{ items: T[] }>,
): Promise<string[]> {
  return call(src, what, async (kc) => sorted((await request(kc.makeApiClient(CoreV1Api))).items.map((i) => i.metadata?.name)));
}

/** Runs one request against the source's cluster, bounded, errors in one line. */
async function call<T>(src: NameSource, what: string, fn: (kc: KubeConfig) => Promise<T>): Promise<T> {
  const kc = loadKubeConfig(src.kubeconfig, src.context);
  const server = kc.getCurrentCluster()?.server ?? '(unknown server)';
  try {
    return await withTimeout(fn(kc), src.timeoutMs, what);
  } catch (e) {
    throw describeApiError(e, what, server);
  }
}

/** The names of the pods, or of one kind of workload, in the source's namespace. */
export function listObjectNames(src: NamespacedSource, resource: 'pod' | WorkloadKind): Promise<string[]> {
  return call(src, `listing ${resource}s`, async (kc) => {
    const namespace = src.namespace ?? contextNamespace(kc);
    const apps = (): AppsV1Api => kc.makeApiClient(AppsV1Api);
    const list = await (resource === 'pod'
      ? kc.makeApiClient(CoreV1Api).listNamespacedPod({ namespace })
      : resource === 'deployment'
        ? apps().listNamespacedDeployment({ namespace })
        : resource === 'statefulset'
          ? apps().listNamespacedStatefulSet({ namespace })
          : resource === 'daemonset'
            ? apps().listNamespacedDaemonSet({ namespace })
            : resource === 'replicaset'
              ? apps().listNamespacedReplicaSet({ namespace })
              : kc.makeApiClient(BatchV1Api).listNamespacedJob({ namespace }));
    return sorted((list.items as { metadata?: { name?: string } }[]).map((i) => i.metadata?.name));
  });
}

/**
 * The container names of pod and workload targets (a workload's from its pod template): regular,
 * init (sidecars are init containers) and, for pods, ephemeral ones — each once, in order.
 */
export function listContainerNames(src: NamespacedSource, targets: readonly Exclude<Target, { kind: 'node' }>[]): Promise<string[]> {
  return call(src, "reading the targets' containers", async (kc) => {
    const namespace = src.namespace ?? contextNamespace(kc);
    const apps = kc.makeApiClient(AppsV1Api);
    const specs = await Promise.all(
      targets.map(async (t): Promise<V1PodSpec | undefined> => {
        const args = { name: t.name, namespace };
        if (t.kind === 'pod') return (await kc.makeApiClient(CoreV1Api).readNamespacedPod(args)).spec;
        switch (t.workload) {
          case 'deployment':
            return (await apps.readNamespacedDeployment(args)).spec?.template.spec;
          case 'statefulset':
            return (await apps.readNamespacedStatefulSet(args)).spec?.template.spec;
          case 'daemonset':
            return (await apps.readNamespacedDaemonSet(args)).spec?.template.spec;
          case 'replicaset':
            return (await apps.readNamespacedReplicaSet(args)).spec?.template?.spec;
          case 'job':
            return (await kc.makeApiClient(BatchV1Api).readNamespacedJob(args)).spec?.template.spec;
        }
      }),
    );
    const names = specs.flatMap((s) =>
      [...(s?.containers ?? []), ...(s?.initContainers ?? []), ...(s?.ephemeralContainers ?? [])].map((c) => c.name),
    );
    return [...new Set(names.filter((n) => n))];
  });
}

export function listNodeNames(src: NameSource): Promise<string[]> {
  return list(src, 'listing nodes', (core) => core.listNode());
}

export function listNamespaceNames(src: NameSource): Promise<string[]> {
  return list(src, 'listing namespaces', (core) => core.listNamespace());
}

/** The contexts of the kubeconfig (no request); also when it has no current-context yet. */
export function contextNames(kubeconfig: string | null): string[] {
  const kc = new KubeConfig();
  try {
    if (kubeconfig) kc.loadFromFile(kubeconfig);
    else if (process.env.KUBECONFIG) loadKubeconfigList(kc, process.env.KUBECONFIG);
    else kc.loadFromDefault();
  } catch {
    return [];
  }
  if (isLastResort(kc)) return [];
  return sorted(kc.getContexts().map((c) => c.name));
}
