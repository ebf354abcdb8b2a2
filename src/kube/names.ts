/**
 * Names for shell completion: the cluster's nodes and namespaces, and the kubeconfig's contexts.
 * Short and bounded: a TAB must never hang, so every request has a deadline.
 */
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { loadKubeConfig } from './config.js';
import { describeApiError, withTimeout } from './errors.js';

export interface NameSource {
  kubeconfig: string | null;
  context: string | null;
  /** Deadline for the request; completion passes --request-timeout or its own default. */
  timeoutMs: number;
}

const sorted = (names: (string | undefined)[]): string[] =>
  names.filter((n): n is string => typeof n === 'string' && n !== '').sort();

async function list<T extends { metadata?: { name?: string } }>(
  src: NameSource,
  what: string,
  call: (core: CoreV1Api) => Promise<{ items: T[] }>,
): Promise<string[]> {
  const kc = loadKubeConfig(src.kubeconfig, src.context);
  const server = kc.getCurrentCluster()?.server ?? '(unknown server)';
  try {
    const res = await withTimeout(call(kc.makeApiClient(CoreV1Api)), src.timeoutMs, what);
    return sorted(res.items.map((i) => i.metadata?.name));
  } catch (e) {
    throw describeApiError(e, what, server);
  }
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
    else kc.loadFromDefault();
  } catch {
    return [];
  }
  return sorted(kc.getContexts().map((c) => c.name));
}
