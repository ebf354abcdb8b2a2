/**
 * Authentication (one bearer token, the one in the kubeconfig) and authorization (everything is allowed
 * unless a test denied it with api.denyAccess), answering both real requests (403 Forbidden) and
 * SelfSubjectAccessReviews the same way, as RBAC would.
 *
 * Requests without credentials are system:anonymous with the same rights: client-go (kubectl) never
 * sends credentials over plain http, so the stand-in behaves like the API server's old insecure port.
 * A wrong token is still 401.
 */
import type { IncomingMessage } from 'node:http';
import { forbidden, invalid, qualifiedResource, unauthorized } from './status.js';

export const ANONYMOUS = 'system:anonymous';

/** What authorization is asked about, as the real request-info resolver derives it from a request. */
export type RequestAttributes =
  | {
      kind: 'resource';
      verb: string;
      group: string;
      resource: string;
      subresource?: string;
      namespace?: string;
      name?: string;
    }
  | { kind: 'nonResource'; verb: string; path: string };

interface DenyRule {
  verb: string;
  resource: string;
  subresource?: string;
}

export interface AccessReviewSpec {
  resourceAttributes?: {
    namespace?: string;
    verb?: string;
    group?: string;
    resource?: string;
    subresource?: string;
    name?: string;
  };
  nonResourceAttributes?: { path?: string; verb?: string };
  [field: string]: unknown;
}

export class AccessControl {
  private readonly denied: DenyRule[] = [];

  constructor(
    readonly token: string,
    readonly user: string,
  ) {}

  /** The user a request authenticates as; a wrong token is 401, no credentials at all is anonymous. */
  identify(req: IncomingMessage): string {
    const header = req.headers.authorization;
    if (header === undefined) return ANONYMOUS;
    const m = /^Bearer\s+(.+)$/i.exec(header.trim());
    if (!m || m[1] !== this.token) throw unauthorized();
    return this.user;
  }

  /** `resource` may carry the subresource ("pods/exec") instead of passing it separately. */
  deny(verb: string, resource: string, subresource?: string): void {
    const [res, sub] = resource.includes('/') ? (resource.split('/', 2) as [string, string]) : [resource, subresource];
    this.denied.push(sub === undefined ? { verb, resource: res } : { verb, resource: res, subresource: sub });
  }

  allowAll(): void {
    this.denied.length = 0;
  }

  allows(attrs: RequestAttributes): boolean {
    if (attrs.kind === 'nonResource') return true;
    // RBAC semantics: a rule for "pods" does not cover "pods/exec", and vice versa.
    return !this.denied.some(
      (r) => (r.verb === '*' || r.verb === attrs.verb) && r.resource === attrs.resource && r.subresource === attrs.subresource,
    );
  }

  /** Throws the 403 the real API server answers, with its exact message. */
  authorize(user: string, attrs: RequestAttributes): void {
    if (this.allows(attrs)) return;
    if (attrs.kind === 'nonResource') {
      throw forbidden(`forbidden: User "${user}" cannot ${attrs.verb} path "${attrs.path}"`, {});
    }
    // errors.NewForbidden: the qualified resource ("deployments.apps") leads, the rule names the group.
    const qualified = qualifiedResource(attrs.resource, attrs.group);
    const what = attrs.name ? `${qualified} "${attrs.name}"` : qualified;
    const full = attrs.subresource ? `${attrs.resource}/${attrs.subresource}` : attrs.resource;
    const scope = attrs.namespace ? `in the namespace "${attrs.namespace}"` : 'at the cluster scope';
    const details: { name?: string; group?: string; kind: string } = {
      ...(attrs.name ? { name: attrs.name } : {}),
      ...(attrs.group ? { group: attrs.group } : {}),
      kind: attrs.resource,
    };
    throw forbidden(
      `${what} is forbidden: User "${user}" cannot ${attrs.verb} resource "${full}" in API group "${attrs.group}" ${scope}`,
      details,
    );
  }

  /** The answer to POST selfsubjectaccessreviews: the spec echoed back with status.allowed. */
  review(user: string, spec: AccessReviewSpec | undefined): Record<string, unknown> {
    const ra = spec?.resourceAttributes;
    const nra = spec?.nonResourceAttributes;
    if (!ra === !nra) {
      throw invalid('SelfSubjectAccessReview.authorization.k8s.io', '', [
        {
          field: 'spec.resourceAttributes',
          reason: 'FieldValueInvalid',
          message: 'Invalid value: "null": exactly one of nonResourceAttributes or resourceAttributes must be specified',
        },
      ]);
    }
    let attrs: RequestAttributes;
    if (ra) {
      attrs = { kind: 'resource', verb: ra.verb ?? '', group: ra.group ?? '', resource: ra.resource ?? '' };
      if (ra.subresource) attrs.subresource = ra.subresource;
      if (ra.namespace) attrs.namespace = ra.namespace;
      if (ra.name) attrs.name = ra.name;
    } else {
      attrs = { kind: 'nonResource', verb: nra?.verb ?? '', path: nra?.path ?? '' };
    }
    const allowed = this.allows(attrs);
    return {
      kind: 'SelfSubjectAccessReview',
      apiVersion: 'authorization.k8s.io/v1',
      metadata: { creationTimestamp: null },
      spec,
      // RBAC explains an allow with the binding that granted it, and gives no reason for a deny.
      status: allowed
        ? { allowed: true, reason: `RBAC: allowed by ClusterRoleBinding "standin-admin" of ClusterRole "cluster-admin" to User "${user}"` }
        : { allowed: false },
    };
  }
}
