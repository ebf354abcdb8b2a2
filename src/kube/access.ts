/** Before anything is created: does the node exist, and may this user do what a run needs? */
import { AuthorizationV1Api, CoreV1Api, type KubeConfig, type V1Node } from '@kubernetes/client-node';
import { UserError } from '../errors.js';
import { describeApiError, isNotFound, withTimeout } from './errors.js';

export interface Permission {
  verb: string;
  resource: string;
  subresource?: string;
  namespace?: string;
}

/** What a run does on the cluster (README "Permissions" lists the same). */
export function requiredPermissions(debugNamespace: string | null): Permission[] {
  const ns = debugNamespace ?? undefined;
  const perms: Permission[] = [
    { verb: 'get', resource: 'nodes' },
    { verb: 'list', resource: 'pods' },
    { verb: 'watch', resource: 'pods' },
    { verb: 'create', resource: 'pods', namespace: ns },
    { verb: 'get', resource: 'pods', namespace: ns },
    { verb: 'delete', resource: 'pods', namespace: ns },
    { verb: 'create', resource: 'pods', subresource: 'exec', namespace: ns },
  ];
  if (!debugNamespace) perms.unshift({ verb: 'create', resource: 'namespaces' }, { verb: 'delete', resource: 'namespaces' });
  return perms;
}

export async function checkNode(kc: KubeConfig, node: string, timeoutMs: number | null, server: string): Promise<V1Node> {
  const core = kc.makeApiClient(CoreV1Api);
  try {
    return await withTimeout(core.readNode({ name: node }), timeoutMs, `reading node ${node}`);
  } catch (e) {
    if (isNotFound(e)) throw new UserError(`node "${node}" not found`, 'list the nodes with: kubectl get nodes');
    throw describeApiError(e, `reading node ${node}`, server);
  }
}

export async function checkAccess(kc: KubeConfig, perms: Permission[], timeoutMs: number | null, server: string): Promise<void> {
  const authz = kc.makeApiClient(AuthorizationV1Api);
  const answers = await Promise.all(
    perms.map(async (p) => {
      try {
        const r = await withTimeout(
          authz.createSelfSubjectAccessReview({
            body: {
              apiVersion: 'authorization.k8s.io/v1',
              kind: 'SelfSubjectAccessReview',
              spec: { resourceAttributes: { ...p, group: '' } },
            },
          }),
          timeoutMs,
          'checking permissions',
        );
        return { p, allowed: r.status?.allowed === true };
      } catch (e) {
        throw describeApiError(e, 'checking permissions (SelfSubjectAccessReview)', server);
      }
    }),
  );
  const denied = answers.filter((a) => !a.allowed).map((a) => a.p);
  if (denied.length > 0) {
    const list = denied
      .map((p) => `${p.verb} ${p.resource}${p.subresource ? `/${p.subresource}` : ''}${p.namespace ? ` in namespace ${p.namespace}` : ''}`)
      .join(', ');
    throw new UserError(
      `you are not allowed to: ${list}`,
      'trace-exec needs the permissions listed in the README ("Permissions"); ask a cluster admin',
    );
  }
}
