/**
 * The HTTP front door. Every request, plain or upgrade, goes through the same pipeline a real API server
 * applies: it is logged, may hit an injected fault, is authenticated and authorized, and is then routed
 * to discovery, SelfSubjectAccessReview, the REST handlers or the exec upgrade.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { AccessControl, AccessReviewSpec, RequestAttributes } from './access.js';
import { apiGroupDoc, apiGroups, apiVersions, coreResources, groupResources, versionInfo } from './discovery.js';
import type { ExecServer } from './exec.js';
import type { FaultInjector } from './faults.js';
import { readBody, readJson, rejectUpgrade, sendJson, sendStatus } from './http.js';
import { decodeAccessReviewSpec, isProtobuf } from './protobuf.js';
import { serveResource, type RestContext } from './rest.js';
import { parseResourcePath, requestVerb } from './routes.js';
import { ApiError, badRequest, internalError, methodNotAllowed, pathNotFound, type StatusBody } from './status.js';

export interface RequestRecord {
  method: string;
  path: string;
  /** Like node:querystring: a repeated parameter (command=a&command=b) is an array. */
  query: Record<string, string | string[]>;
  /** The HTTP status answered (101 for an accepted upgrade); set when the response ends. */
  status?: number;
  /** When it arrived (performance.now() of the stand-in's process): request rates are counted from it. */
  at: number;
}

export interface ServerParts extends RestContext {
  exec: ExecServer;
  access: AccessControl;
  faults: FaultInjector;
  requests: RequestRecord[];
}

const SSAR_PATH = '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews';

function record(parts: ServerParts, req: IncomingMessage): { url: URL; entry: RequestRecord } {
  const url = new URL(req.url ?? '/', 'http://standin');
  const query: Record<string, string | string[]> = {};
  for (const [k, v] of url.searchParams) {
    const prev = query[k];
    query[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  const entry: RequestRecord = { method: req.method ?? 'GET', path: url.pathname, query, at: performance.now() };
  parts.requests.push(entry);
  return { url, entry };
}

function toStatus(err: unknown): StatusBody {
  if (err instanceof ApiError) return err.status;
  console.error('apiserver stand-in: request failed', err);
  return internalError(err instanceof Error ? err.message : String(err)).status;
}

/** The discovery documents, by path. */
function discovery(path: string, host: string): unknown {
  switch (path) {
    case '/version':
      return versionInfo();
    case '/api':
      return apiVersions(host);
    case '/api/v1':
      return coreResources();
    case '/apis':
      return apiGroups();
    default: {
      // /apis/{group} and /apis/{group}/{version}
      const m = /^\/apis\/([^/]+)(?:\/([^/]+))?$/.exec(path);
      if (!m) return undefined;
      return m[2] === undefined ? apiGroupDoc(m[1] as string) : groupResources(`${m[1]}/${m[2]}`);
    }
  }
}

async function route(parts: ServerParts, req: IncomingMessage, res: ServerResponse, url: URL, user: string): Promise<void> {
  const method = req.method ?? 'GET';
  const path = url.pathname.length > 1 ? url.pathname.replace(/\/+$/, '') : url.pathname;

  if (['/healthz', '/livez', '/readyz'].includes(path)) {
    parts.access.authorize(user, { kind: 'nonResource', verb: 'get', path });
    res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' });
    res.end('ok');
    return;
  }
  const doc = discovery(path, req.headers.host ?? '127.0.0.1');
  if (doc !== undefined) {
    parts.access.authorize(user, { kind: 'nonResource', verb: 'get', path });
    if (method !== 'GET' && method !== 'HEAD') throw methodNotAllowed();
    return sendJson(res, 200, doc);
  }
  if (path === SSAR_PATH) {
    parts.access.authorize(user, { kind: 'resource', verb: 'create', group: 'authorization.k8s.io', resource: 'selfsubjectaccessreviews' });
    if (method !== 'POST') throw methodNotAllowed();
    let spec: AccessReviewSpec | undefined;
    if (isProtobuf(req.headers['content-type'])) {
      spec = decodeAccessReviewSpec(await readBody(req));
    } else {
      const body = await readJson(req);
      spec = typeof body === 'object' && body !== null ? (body as { spec?: AccessReviewSpec }).spec : undefined;
    }
    return sendJson(res, 201, parts.access.review(user, spec));
  }
  const target = parseResourcePath(path);
  if (!target) throw pathNotFound();
  parts.access.authorize(user, resourceAttributes(method, target, url.searchParams));
  await serveResource(parts, req, res, target, url.searchParams);
}

function resourceAttributes(
  method: string,
  target: NonNullable<ReturnType<typeof parseResourcePath>>,
  query: URLSearchParams,
): RequestAttributes {
  const attrs: RequestAttributes = {
    kind: 'resource',
    verb: requestVerb(method, target, query),
    group: target.def.group,
    resource: target.def.resource,
  };
  if (target.subresource !== undefined) attrs.subresource = target.subresource;
  if (target.namespace !== undefined) attrs.namespace = target.namespace;
  else if (target.def.resource === 'namespaces' && target.name !== undefined) attrs.namespace = target.name;
  if (target.name !== undefined) attrs.name = target.name;
  return attrs;
}

async function handleRequest(parts: ServerParts, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const { url, entry } = record(parts, req);
  res.once('close', () => (entry.status = res.statusCode));
  try {
    const fault = parts.faults.take(entry.method, entry.path);
    if (fault) return sendStatus(res, fault);
    const user = parts.access.identify(req);
    await route(parts, req, res, url, user);
  } catch (err) {
    if (!res.headersSent) sendStatus(res, toStatus(err));
    else res.end();
  }
}

function handleUpgrade(parts: ServerParts, req: IncomingMessage, socket: Duplex, head: Buffer): void {
  const { url, entry } = record(parts, req);
  socket.on('error', () => {}); // a client vanishing mid-handshake is not a server error
  try {
    const fault = parts.faults.take(entry.method, entry.path);
    if (fault) {
      entry.status = fault.code;
      return rejectUpgrade(socket, fault);
    }
    const user = parts.access.identify(req);
    const target = parseResourcePath(url.pathname);
    if (target?.def.resource !== 'pods' || target.name === undefined || target.subresource !== 'exec') throw pathNotFound();
    parts.access.authorize(user, resourceAttributes(entry.method, target, url.searchParams));
    if (req.headers.upgrade?.toLowerCase() !== 'websocket') {
      throw badRequest(`unsupported upgrade protocol: ${req.headers.upgrade ?? ''}; this server speaks WebSocket remotecommand only`);
    }
    parts.exec.upgrade(req, socket, head, target, url.searchParams);
    entry.status = 101;
  } catch (err) {
    const status = toStatus(err);
    entry.status = status.code;
    rejectUpgrade(socket, status);
  }
}

export function createApiHttpServer(parts: ServerParts): Server {
  const server = createServer((req, res) => void handleRequest(parts, req, res));
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => handleUpgrade(parts, req, socket, head));
  return server;
}
