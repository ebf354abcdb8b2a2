/** `kubectl trace-exec cleanup`: remove what earlier runs left behind. stdout lists what was (or would be) removed. */
import type { Log } from './log.js';
import { UserError } from './errors.js';
import { contextNamespace, loadKubeConfig } from './kube/config.js';
import { findLeftovers, removeLeftovers, type Leftover } from './kube/leftovers.js';

export interface CleanupOptions {
  kubeconfig: string | null;
  context: string | null;
  /** Debug pods in this namespace (null: the context's); temporary namespaces are always cluster-wide. */
  namespace: string | null;
  /** Debug pods in every namespace (-A). */
  allNamespaces: boolean;
  dryRun: boolean;
  /** Also remove pods that look like a live run elsewhere. */
  all: boolean;
}

export async function cleanup(o: CleanupOptions, out: (line: string) => void, log: Log): Promise<void> {
  const kc = loadKubeConfig(o.kubeconfig, o.context);
  const server = kc.getCurrentCluster()?.server ?? '(unknown server)';
  const namespace = o.allNamespaces ? null : (o.namespace ?? contextNamespace(kc));
  const found = await findLeftovers(kc, namespace, server);
  const chosen = found.filter((f) => o.all || !f.live);
  const skipped = found.filter((f) => !o.all && f.live);
  const describe = (f: Leftover): string => `${f.kind}/${f.name}${f.namespace ? ` -n ${f.namespace}` : ''} (${f.state})`;
  for (const s of skipped) log.warn(`keeping ${describe(s)}: it may be a trace in progress; pass --all to remove it too`);
  if (chosen.length === 0) {
    log.progress(
      skipped.length > 0 ? `nothing removed: ${skipped.length} kept (see above; --all removes them too)` : 'nothing to clean up',
    );
    return;
  }
  if (o.dryRun) {
    for (const f of chosen) out(`would delete ${describe(f)}`);
    return;
  }
  const failed = await removeLeftovers(kc, chosen, server);
  for (const f of chosen) if (!failed.some((x) => x.item === f)) out(`deleted ${describe(f)}`);
  if (failed.length > 0) {
    throw new UserError(`could not delete ${failed.length} object(s): ${failed.map((f) => `${describe(f.item)}: ${f.error}`).join('; ')}`);
  }
}
