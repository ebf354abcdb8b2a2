/** Which cluster and user: --kubeconfig, KUBECONFIG lists, --context, in-cluster config — as kubectl does. */
import { existsSync, readFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { findHomeDir, KubeConfig } from '@kubernetes/client-node';
import { UserError } from '../errors.js';

/** `into`: the KubeConfig to load (a BudgetedKubeConfig for a run, src/kube/request-budget.ts). */
export function loadKubeConfig<K extends KubeConfig = KubeConfig>(kubeconfig: string | null, context: string | null, into?: K): K {
  const kc = (into ?? new KubeConfig()) as K;
  try {
    if (kubeconfig) {
      readFileSync(kubeconfig); // a clearer error than the loader's for a missing or unreadable file
      kc.loadFromFile(kubeconfig);
    } else if (process.env.KUBECONFIG) {
      loadKubeconfigList(kc, process.env.KUBECONFIG);
    } else {
      // ~/.kube/config (%HOME% or %USERPROFILE%\.kube\config on Windows), then the in-cluster
      // service account.
      kc.loadFromDefault();
      if (isLastResort(kc)) throw noKubeconfig(findHomeDir());
    }
  } catch (e) {
    if (e instanceof UserError) throw e;
    const where = kubeconfig ? `--kubeconfig ${kubeconfig}` : `KUBECONFIG=${process.env.KUBECONFIG ?? '~/.kube/config'}`;
    const hint =
      kubeconfig || !process.env.KUBECONFIG
        ? 'point --kubeconfig at a valid kubeconfig file'
        : 'set KUBECONFIG to kubeconfig files that exist, or pass --kubeconfig FILE';
    throw new UserError(`cannot load the kubeconfig (${where}): ${(e as Error).message}`, hint);
  }
  if (context) {
    if (!kc.getContextObject(context)) {
      const known = kc.getContexts().map((c) => c.name);
      throw new UserError(
        `--context "${context}" is not in the kubeconfig`,
        known.length ? `known contexts: ${known.join(', ')}` : 'the kubeconfig has no contexts',
      );
    }
    kc.setCurrentContext(context);
  }
  if (!kc.getCurrentCluster()) {
    throw new UserError('the kubeconfig selects no cluster', 'set a current-context, or pass --context NAME');
  }
  return kc;
}

/**
 * KUBECONFIG, a list split at path.delimiter (':', or ';' on Windows), merged as kubectl merges it
 * (client-go's loading rules): empty names and files that do not exist are skipped; the first file
 * to set the current context, or to name a cluster, user or context, wins, and later ones never
 * change it. The client library's own loader instead fails on a missing file and on a name that two
 * files share, and lets the last file's current context win.
 */
export function loadKubeconfigList(kc: KubeConfig, list: string): string[] {
  const files = [...new Set(list.split(delimiter).filter((f) => f !== ''))];
  const found = files.filter((f) => existsSync(f));
  if (found.length === 0) throw new Error(`none of its files exists: ${files.join(delimiter)}`);
  const merged = {
    clusters: [] as KubeConfig['clusters'],
    users: [] as KubeConfig['users'],
    contexts: [] as KubeConfig['contexts'],
    currentContext: '',
  };
  for (const file of found) {
    const one = new KubeConfig();
    try {
      one.loadFromFile(file); // relative paths in it become relative to its directory
    } catch (e) {
      throw new Error(`${file}: ${(e as Error).message}`);
    }
    const add = <T extends { name: string }>(into: T[], from: readonly T[]): void => {
      for (const item of from) if (!into.some((x) => x.name === item.name)) into.push(item);
    };
    add(merged.clusters, one.clusters);
    add(merged.users, one.users);
    add(merged.contexts, one.contexts);
    if (!merged.currentContext && one.currentContext) merged.currentContext = one.currentContext;
  }
  kc.loadFromOptions(merged);
  return found;
}

/** The namespace the kubeconfig context names, as kubectl uses it when -n is not given. */
export function contextNamespace(kc: KubeConfig): string {
  return kc.getContextObject(kc.getCurrentContext())?.namespace ?? 'default';
}

/**
 * Whether the client library found no kubeconfig and fell back to its last resort, an
 * unauthenticated http://localhost:8080 (kubectl's old default), which it then refuses to call
 * ("HTTP protocol is not allowed when skipTLSVerify is not set or false"): nothing a user wrote.
 */
export function isLastResort(kc: KubeConfig): boolean {
  const [cluster] = kc.clusters;
  const [user] = kc.users;
  return (
    kc.clusters.length === 1 &&
    kc.users.length === 1 &&
    kc.currentContext === 'loaded-context' &&
    cluster?.name === 'cluster' &&
    cluster.server === 'http://localhost:8080' &&
    user?.name === 'user' &&
    !user.token &&
    !user.authProvider &&
    !user.exec &&
    !user.certFile &&
    !user.certData
  );
}

/** Where kubectl (client-go's default loading rules) looks for a cluster without --kubeconfig, said as a fix. */
export function noKubeconfig(home: string | null): UserError {
  const file = home ? join(home, '.kube', 'config') : null;
  return new UserError(
    `no kubeconfig found: KUBECONFIG is not set, ${file ? `${file} does not exist` : 'HOME is not set (so there is no ~/.kube/config)'}, ` +
      'and this is not a pod with a service account (no /var/run/secrets/kubernetes.io/serviceaccount/token)',
    `pass --kubeconfig FILE or set KUBECONFIG=FILE to your cluster's kubeconfig${file ? ` (or copy it to ${file})` : ''}; ` +
      '`report` and --local need no cluster',
  );
}
