/**
 * What an API path addresses (/api/v1/... for core, /apis/{group}/{version}/... for apps/v1 and
 * batch/v1): which resource, in which namespace, which object and subresource. The REST handlers, the
 * exec upgrade and authorization all start from this.
 */
import { resources, type ResourceDef } from './resources.js';

export interface ResourceTarget {
  def: ResourceDef;
  /** The namespace in the path; undefined for cluster-scoped resources and for all-namespaces lists. */
  namespace?: string;
  name?: string;
  subresource?: string;
}

function defFor(segment: string | undefined, apiVersion: string): ResourceDef | undefined {
  if (segment === undefined) return undefined;
  return Object.values(resources).find((def) => def.resource === segment && def.apiVersion === apiVersion);
}

/** Parses /api/v1/... and /apis/{group}/{version}/... paths; undefined when the path addresses nothing we serve. */
export function parseResourcePath(path: string): ResourceTarget | undefined {
  let parts: string[];
  try {
    parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  } catch {
    return undefined; // malformed percent-encoding addresses nothing
  }
  let apiVersion: string;
  let rest: string[];
  if (parts[0] === 'api' && parts[1] === 'v1') {
    apiVersion = 'v1';
    rest = parts.slice(2);
  } else if (parts[0] === 'apis' && parts.length >= 4) {
    apiVersion = `${parts[1]}/${parts[2]}`;
    rest = parts.slice(3);
  } else {
    return undefined;
  }

  // {prefix}/namespaces/{ns}/{namespaced resource}[/{name}[/{subresource}]]
  const inner = rest[0] === 'namespaces' && rest.length >= 3 ? defFor(rest[2], apiVersion) : undefined;
  if (inner) {
    if (!inner.namespaced || rest.length > 5) return undefined;
    return withOptional({ def: inner, namespace: rest[1] }, rest[3], rest[4]);
  }
  // {prefix}/{resource}[/{name}[/{subresource}]]; a namespaced resource here is the all-namespaces list.
  const first = defFor(rest[0], apiVersion);
  if (!first) return undefined;
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
