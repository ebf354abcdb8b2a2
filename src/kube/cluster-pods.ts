/**
 * --local with a cluster (--kubeconfig or --context): every pod of the cluster, kept current, for a
 * machine whose kernel runs a nested cluster's nodes (kind, k3d, minikube on a CI runner). The join
 * then names each exec's pod and takes its node from the pod's spec.nodeName.
 */
import type { Log } from '../log.js';
import { PodIndex } from '../join/pod-index.js';
import { loadKubeConfig } from './config.js';
import { describeApiError } from './errors.js';
import { PodWatch } from './pod-watch.js';

export interface ClusterPods {
  index: PodIndex;
  onChange(cb: () => void): void;
  stop(): void;
}

export async function openClusterPods(kubeconfig: string | null, context: string | null, log: Log): Promise<ClusterPods> {
  const kc = loadKubeConfig(kubeconfig, context);
  const server = kc.getCurrentCluster()?.server ?? 'the API server';
  const index = new PodIndex();
  const watch = new PodWatch(kc, null, index, log);
  log.progress(`listing the pods of the cluster at ${server} to name the pods of this machine's execs`);
  await watch.start().catch((e: unknown) => {
    throw describeApiError(e, 'listing the pods of the cluster (--local with --kubeconfig/--context)', server);
  });
  return { index, onChange: (cb) => watch.onChange(cb), stop: () => watch.stop() };
}
