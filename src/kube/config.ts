/** Which cluster and user: --kubeconfig, KUBECONFIG lists, --context, in-cluster config — as kubectl does. */
import { readFileSync } from 'node:fs';
import { KubeConfig } from '@kubernetes/client-node';
import { UserError } from '../errors.js';

export function loadKubeConfig(kubeconfig: string | null, context: string | null): KubeConfig {
  const kc = new KubeConfig();
  try {
    if (kubeconfig) {
      readFileSync(kubeconfig); // a clearer error than the loader's for a missing or unreadable file
      kc.loadFromFile(kubeconfig);
    } else {
      // Honours KUBECONFIG (a list split at path.delimiter: ':', or ';' on Windows), then ~/.kube/config
      // (%HOME% or %USERPROFILE%\.kube\config on Windows), then the in-cluster service account.
      kc.loadFromDefault();
    }
  } catch (e) {
    const where = kubeconfig ? `--kubeconfig ${kubeconfig}` : `KUBECONFIG=${process.env.KUBECONFIG ?? '~/.kube/config'}`;
    throw new UserError(`cannot load the kubeconfig (${where}): ${(e as Error).message}`, 'point --kubeconfig at a valid kubeconfig file');
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

/** The namespace the kubeconfig context names, as kubectl uses it when -n is not given. */
export function contextNamespace(kc: KubeConfig): string {
  return kc.getContextObject(kc.getCurrentContext())?.namespace ?? 'default';
}
