/**
 * What a core/v1 URL path addresses: which resource, in which namespace, which object and subresource.
 * The REST handlers, the exec upgrade and authorization all start from this.
 */
import { resources, type ResourceDef } from './resources.js';
import type { ResourceName } from './store.js';

export interface ResourceTarget {
  def: ResourceDef;
  /** The namespace in the path; undefined for cluster-scoped resources and for all-namespaces lists. */
  namespace?: string;
  name?: string;
  subresource?: string;
}

function defFor(segment: string | undefined): ResourceDef | undefined {
  return segment !== undefined && Object.hasOwn(resources, segment) ? resources[segment as ResourceName] : undefined;
}

/** Parses /api/v1/... paths; undefined when the path does not address a resource we serve. */
export function parseResourcePath(path: string): ResourceTarget | undefined {
  let parts: string[];
  try {
    parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  } catch {
    return undefined; // malformed percent-encoding addresses nothing
  }
  if (parts[0] !== 'api' || parts[1] !== 'v1') return undefined;
  const rest = parts.slice(2);
  const first = defFor(rest[0]);
  if (!first) return undefined;

  // /api/v1/namespaces/{ns}/{namespaced resource}[/{name}[/{subresource}]]
  const inner = defFor(rest[2]);
  if (first.resource === 'namespaces' && rest.length >= 3 && inner) {
    if (!inner.namespaced || rest.length > 5) return undefined;
    return withOptional({ def: inner, namespace: rest[1] }, rest[3], rest[4]);
  }
  // /api/v1/{resource}[/{name}[/{subresource}]]; a namespaced resource here is the all-namespaces list.
  if (rest.length > 3 || (first.namespaced && rest.length > 1)) return undefined;
  return withOptional({ def: first }, rest[1], rest[2]);
}

function withOptional(target: ResourceTarget, name: string | undefined, subresource: string | undefined): ResourceTarget {
  if (name !== undefined) target.name = name;
  if (subresource !== undefined) target.subresource = subresource;
  return target;
}

/**
 * The authorization verb of a request, as the API server's request-info resolver derives it. An exec is
 * "create" on pods/exec whatever the HTTP method (WebSocket exec is a GET).
 */
export function requestVerb(method: string, target: ResourceTarget, query: URLSearchParams): string {
  if (target.subresource === 'exec') return 'create';
  const watching = query.get('watch') === 'true' || query.get('watch') === '1';
  switch (method) {
    case 'GET':
    case 'HEAD':
      if (watching) return 'watch';
      return target.name === undefined ? 'list' : 'get';
    case 'POST':
      return 'create';
    case 'PUT':
      return 'update';
    case 'PATCH':
      return 'patch';
    case 'DELETE':
      return target.name === undefined ? 'deletecollection' : 'delete';
    default:
      return method.toLowerCase();
  }
}
