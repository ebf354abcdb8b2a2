/**
 * The REST semantics of the resources we serve (core/v1, apps/v1, batch/v1): list (selectors,
 * pagination), get, create (generateName, defaulting, validation), delete (immediate, with DELETED
 * events), patch, and watch. Which verbs each resource allows is in its ResourceDef.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readJson, sendJson } from './http.js';
import type { Kubelet } from './kubelet.js';
import { applyPatch } from './patch.js';
import { randomSuffix, resources, type ResourceDef } from './resources.js';
import { requestVerb, type ResourceTarget } from './routes.js';
import { compileSelectors, type Predicate } from './selectors.js';
import { badRequest, conflict, forbidden, methodNotAllowed, notFound, objectDetails, pathNotFound } from './status.js';
import type { Store } from './store.js';
import { toTable, wantsTable } from './table.js';
import { jsonClone, timestamp, type KubeObject } from './types.js';
import type { WatchHub } from './watch.js';

export interface RestContext {
  store: Store;
  kubelet: Kubelet;
  watches: WatchHub;
}

/** Namespaces the real API server refuses to delete. */
const IMMORTAL_NAMESPACES = new Set(['default', 'kube-system', 'kube-public']);

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** List items come without kind/apiVersion on the wire; the list itself says what they are. */
function asListItem(obj: KubeObject): KubeObject {
  const { kind: _kind, apiVersion: _apiVersion, ...rest } = obj;
  return rest as KubeObject;
}

function keyOf(obj: KubeObject): string {
  return obj.metadata.namespace ? `${obj.metadata.namespace}/${obj.metadata.name}` : (obj.metadata.name ?? '');
}

function selection(def: ResourceDef, target: ResourceTarget, query: URLSearchParams): Predicate {
  const selected = compileSelectors(
    query.get('labelSelector') ?? undefined,
    query.get('fieldSelector') ?? undefined,
    def.fieldSelectors,
    def.fields,
  );
  // A watch on a single object's path is a watch with metadata.name=<name>.
  return target.name === undefined ? selected : (obj) => obj.metadata.name === target.name && selected(obj);
}

export async function serveResource(
  ctx: RestContext,
  req: IncomingMessage,
  res: ServerResponse,
  target: ResourceTarget,
  query: URLSearchParams,
): Promise<void> {
  const { def } = target;
  const method = req.method ?? 'GET';
  if (target.subresource === 'exec') throw badRequest('Upgrade request required');
  if (target.subresource !== undefined) throw pathNotFound();

  const verb = requestVerb(method, target, query);
  const onItem = target.name !== undefined;
  // POST goes to a collection and PATCH to an object; the other way round is not a route.
  if ((verb === 'create' && onItem) || (verb === 'patch' && !onItem)) throw methodNotAllowed();
  if (!def.verbs.includes(verb)) throw methodNotAllowed();
  // Namespaced collections are reached through a namespace, except for the all-namespaces list/watch.
  if (def.namespaced && target.namespace === undefined && verb !== 'list' && verb !== 'watch') throw pathNotFound();

  switch (verb) {
    case 'watch':
      return watch(ctx, req, res, target, query);
    case 'list':
      return list(ctx, req, res, target, query);
    case 'get':
      return get(ctx, req, res, target, query);
    case 'create':
      return create(ctx, req, res, target, query);
    case 'delete':
      return remove(ctx, req, res, target);
    case 'deletecollection':
      return removeCollection(ctx, req, res, target, query);
    case 'patch':
      return patch(ctx, req, res, target);
    default:
      throw methodNotAllowed();
  }
}

function watch(ctx: RestContext, req: IncomingMessage, res: ServerResponse, target: ResourceTarget, query: URLSearchParams): void {
  const { def } = target;
  const table = wantsTable(req.headers.accept);
  const includeObject = query.get('includeObject');
  const timeout = query.get('timeoutSeconds');
  ctx.watches.serve(res, {
    def,
    ...(target.namespace !== undefined ? { namespace: target.namespace } : {}),
    predicate: selection(def, target, query),
    ...(query.get('resourceVersion') !== null ? { resourceVersion: query.get('resourceVersion') as string } : {}),
    ...(timeout !== null ? { timeoutSeconds: Number(timeout) } : {}),
    allowBookmarks: query.get('allowWatchBookmarks') === 'true',
    sendInitialEvents: query.get('sendInitialEvents') === 'true',
    render: (obj) => (table ? toTable(def.resource, [obj], obj.metadata.resourceVersion ?? '', includeObject) : obj),
  });
}

function list(ctx: RestContext, req: IncomingMessage, res: ServerResponse, target: ResourceTarget, query: URLSearchParams): void {
  const { def } = target;
  const resourceVersion = String(ctx.store.resourceVersion);
  let items = ctx.store.list(def.resource, target.namespace).filter(selection(def, target, query));

  // Pagination: the continue token is the key of the last object returned; the next page starts after it.
  const token = query.get('continue');
  if (token) {
    let after: unknown;
    try {
      after = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')).start;
    } catch {
      after = undefined;
    }
    if (typeof after !== 'string') throw badRequest(`continue key is not valid: ${token}`);
    items = items.filter((o) => keyOf(o) > after);
  }
  const metadata: Record<string, unknown> = { resourceVersion };
  const limit = Number(query.get('limit') ?? 0);
  if (Number.isInteger(limit) && limit > 0 && items.length > limit) {
    metadata['remainingItemCount'] = items.length - limit;
    items = items.slice(0, limit);
    const last = items[items.length - 1] as KubeObject;
    metadata['continue'] = Buffer.from(JSON.stringify({ start: keyOf(last), rv: resourceVersion })).toString('base64url');
  }

  if (wantsTable(req.headers.accept)) {
    const table = toTable(def.resource, items, resourceVersion, query.get('includeObject'));
    table['metadata'] = metadata;
    return sendJson(res, 200, table);
  }
  sendJson(res, 200, { kind: `${def.kind}List`, apiVersion: def.apiVersion, metadata, items: items.map(asListItem) });
}

function get(ctx: RestContext, req: IncomingMessage, res: ServerResponse, target: ResourceTarget, query: URLSearchParams): void {
  const name = target.name as string;
  const obj = ctx.store.get(target.def.resource, target.namespace, name);
  if (!obj) throw notFound(target.def.resource, name, target.def.group);
  if (wantsTable(req.headers.accept)) {
    return sendJson(res, 200, toTable(target.def.resource, [obj], obj.metadata.resourceVersion ?? '', query.get('includeObject')));
  }
  sendJson(res, 200, obj);
}

async function create(
  ctx: RestContext,
  req: IncomingMessage,
  res: ServerResponse,
  target: ResourceTarget,
  query: URLSearchParams,
): Promise<void> {
  const { def, namespace } = target;
  const body = await readJson(req);
  if (!isObject(body)) throw badRequest(`the body of the request was in an unknown format`);
  if (body['kind'] !== undefined && body['kind'] !== def.kind) {
    throw badRequest(`the kind in the data (${String(body['kind'])}) does not match the expected kind (${def.kind})`);
  }
  if (body['apiVersion'] !== undefined && body['apiVersion'] !== def.apiVersion) {
    throw badRequest(
      `the API version in the data (${String(body['apiVersion'])}) does not match the expected API version (${def.apiVersion})`,
    );
  }
  const obj = jsonClone({
    apiVersion: def.apiVersion,
    kind: def.kind,
    ...body,
    metadata: isObject(body['metadata']) ? body['metadata'] : {},
  }) as KubeObject;
  obj.apiVersion = def.apiVersion;
  obj.kind = def.kind;
  // Server-owned metadata: whatever the client sent is replaced.
  for (const field of ['resourceVersion', 'uid', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds'] as const) {
    delete obj.metadata[field];
  }

  if (def.namespaced) {
    const ns = namespace as string;
    if (obj.metadata.namespace !== undefined && obj.metadata.namespace !== ns) {
      throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
    }
    obj.metadata.namespace = ns;
    if (!ctx.store.get('namespaces', undefined, ns)) throw notFound('namespaces', ns);
  }

  if (!obj.metadata.name && obj.metadata.generateName) {
    // Like the real server, retry a few random suffixes before giving up on a unique name.
    for (let attempt = 0; attempt < 8; attempt++) {
      const candidate = obj.metadata.generateName + randomSuffix();
      if (!ctx.store.get(def.resource, obj.metadata.namespace, candidate)) {
        obj.metadata.name = candidate;
        break;
      }
    }
  }
  def.prepareCreate(obj);

  if (query.get('dryRun') === 'All') return sendJson(res, 201, obj);
  const uid = obj.metadata.uid as string;
  if (def.resource === 'pods') ctx.kubelet.adopt(uid);
  try {
    // The response is the object as created; the kubelet's reaction follows as MODIFIED events.
    sendJson(res, 201, ctx.store.create(def.resource, obj));
  } catch (err) {
    if (def.resource === 'pods') ctx.kubelet.release(uid);
    throw err;
  }
}

/** DeleteOptions.preconditions: a delete that names another uid or resourceVersion is a conflict. */
function checkPreconditions(def: ResourceDef, obj: KubeObject, options: unknown): void {
  const pre = isObject(options) && isObject(options['preconditions']) ? options['preconditions'] : undefined;
  if (!pre) return;
  const name = obj.metadata.name ?? '';
  if (typeof pre['uid'] === 'string' && pre['uid'] !== obj.metadata.uid) {
    throw conflict(
      def.resource,
      name,
      `Precondition failed: UID in precondition: ${pre['uid']}, UID in object meta: ${obj.metadata.uid}`,
      def.group,
    );
  }
  if (typeof pre['resourceVersion'] === 'string' && pre['resourceVersion'] !== obj.metadata.resourceVersion) {
    throw conflict(
      def.resource,
      name,
      `Precondition failed: ResourceVersion in precondition: ${pre['resourceVersion']}, ResourceVersion in object meta: ${obj.metadata.resourceVersion}`,
      def.group,
    );
  }
}

/** Deletes a namespace and, at once, everything in it (the real namespace controller does it later). */
export function deleteNamespace(store: Store, name: string): KubeObject {
  const terminating = store.update<KubeObject>('namespaces', undefined, name, (ns) => {
    ns.metadata.deletionTimestamp = timestamp();
    ns['status'] = { phase: 'Terminating' };
  });
  for (const def of Object.values(resources)) {
    if (!def.namespaced) continue;
    for (const obj of store.list(def.resource, name)) store.delete(def.resource, name, obj.metadata.name as string);
  }
  store.delete('namespaces', undefined, name);
  return terminating;
}

async function remove(ctx: RestContext, req: IncomingMessage, res: ServerResponse, target: ResourceTarget): Promise<void> {
  const { def, namespace } = target;
  const name = target.name as string;
  const options = await readJson(req);
  const obj = ctx.store.get(def.resource, namespace, name);
  if (!obj) throw notFound(def.resource, name, def.group);
  checkPreconditions(def, obj, options);
  if (def.resource === 'namespaces') {
    if (IMMORTAL_NAMESPACES.has(name)) {
      throw forbidden(`namespaces "${name}" is forbidden: this namespace may not be deleted`, { name, kind: 'namespaces' });
    }
    return sendJson(res, 200, deleteNamespace(ctx.store, name));
  }
  // Deletion is immediate whatever gracePeriodSeconds says: the kubelet stops the pod's processes.
  // Nothing is garbage-collected: deleting a workload leaves any pods that name it as their owner.
  const deleted = ctx.store.delete(def.resource, namespace, name);
  if (def.deleteReturnsObject) return sendJson(res, 200, deleted);
  sendJson(res, 200, {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Success',
    details: { ...objectDetails(name, def.resource, def.group), uid: deleted.metadata.uid },
  });
}

async function removeCollection(
  ctx: RestContext,
  req: IncomingMessage,
  res: ServerResponse,
  target: ResourceTarget,
  query: URLSearchParams,
): Promise<void> {
  const { def, namespace } = target;
  await readJson(req);
  const doomed = ctx.store.list(def.resource, namespace).filter(selection(def, target, query));
  const deleted = doomed.map((o) => ctx.store.delete(def.resource, o.metadata.namespace, o.metadata.name as string));
  sendJson(res, 200, {
    kind: `${def.kind}List`,
    apiVersion: def.apiVersion,
    metadata: { resourceVersion: String(ctx.store.resourceVersion) },
    items: deleted.map(asListItem),
  });
}

async function patch(ctx: RestContext, req: IncomingMessage, res: ServerResponse, target: ResourceTarget): Promise<void> {
  const { def, namespace } = target;
  const name = target.name as string;
  const body = await readJson(req);
  const current = ctx.store.get(def.resource, namespace, name);
  if (!current) throw notFound(def.resource, name, def.group);
  const patched = applyPatch(current, body, req.headers['content-type'] ?? '');
  if (!isObject(patched) || !isObject(patched['metadata'])) throw badRequest('the patch removes metadata');
  const rv = (patched['metadata'] as Record<string, unknown>)['resourceVersion'];
  if (rv !== undefined && rv !== current.metadata.resourceVersion) {
    throw conflict(
      def.resource,
      name,
      'the object has been modified; please apply your changes to the latest version and try again',
      def.group,
    );
  }
  const updated = ctx.store.update<KubeObject>(def.resource, namespace, name, (obj) => {
    for (const key of Object.keys(obj)) delete obj[key];
    Object.assign(obj, patched);
  });
  sendJson(res, 200, updated);
}
