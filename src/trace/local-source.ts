/** --local as a trace source: this machine is the one node; with a cluster, its pods name the execs. */
import { hostname } from 'node:os';
import type { Log } from '../log.js';
import { UserError } from '../errors.js';
import { LocalRunner } from '../node/local.js';
import { whyLocalCannotTrace } from '../node/preflight.js';
import type { TraceSource } from './source.js';

export interface LocalOptions {
  /** --kubeconfig or --context was given too: join with that cluster's pods (nested clusters). */
  readonly cluster: boolean;
  readonly kubeconfig: string | null;
  readonly context: string | null;
}

export async function openLocal(opts: LocalOptions, log: Log): Promise<TraceSource> {
  const why = whyLocalCannotTrace(process.platform, process.getuid?.() ?? null, process.env.PATH);
  if (why) throw new UserError(why);
  const nodes = [hostname()];
  // The client library (~0.6 s to load) only when --cluster asks for the API.
  const pods = opts.cluster ? await (await import('../kube/cluster-pods.js')).openClusterPods(opts.kubeconfig, opts.context, log) : null;
  return {
    nodes,
    startOrder: nodes,
    refused: [],
    podScope: null,
    // A nested cluster's execs come from several nodes of one kernel: NODE is worth a column.
    manyNodes: pods !== null,
    selfPid: process.pid,
    openNode: async (node) => ({
      node,
      runner: new LocalRunner(),
      index: pods?.index ?? null,
      nodeFromPod: pods !== null,
      // Without a cluster (--local alone) there are no pods to change.
      ...(pods ? { onPodsChanged: (cb: () => void) => pods.onChange(cb) } : {}),
    }),
    close: async () => {
      pods?.stop();
      return true;
    },
  };
}
