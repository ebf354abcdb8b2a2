/**
 * Turns what the client library throws into one line a user can act on. ApiException's own message
 * is unhelpful: the API's Status is in .body. Connection failures arrive as "fetch failed" with the
 * real cause (ECONNREFUSED…) one level down.
 */
import { ApiException } from '@kubernetes/client-node';
import { UserError } from '../errors.js';

export interface ApiStatus {
  code?: number;
  reason?: string;
  message?: string;
}

export function apiStatus(e: unknown): ApiStatus | null {
  if (e instanceof ApiException) {
    const body = parseBody(e.body);
    return { code: e.code, reason: body?.reason, message: body?.message ?? undefined };
  }
  return null;
}

function parseBody(body: unknown): ApiStatus | null {
  if (typeof body === 'string') {
    try {
      return JSON.parse(body) as ApiStatus;
    } catch {
      return { message: body.slice(0, 300) };
    }
  }
  return typeof body === 'object' && body !== null ? (body as ApiStatus) : null;
}

export function isNotFound(e: unknown): boolean {
  return apiStatus(e)?.code === 404;
}

const NET_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'ETIMEDOUT',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/** The network error code behind a failed request, if that is what it was. */
export function networkCode(e: unknown): string | null {
  for (let cur: unknown = e, depth = 0; cur && depth < 5; depth++) {
    const code = (cur as { code?: unknown }).code;
    if (typeof code === 'string' && NET_CODES.has(code)) return code;
    cur = (cur as { cause?: unknown }).cause;
  }
  return null;
}

/** Describes a failed API call: `what` says what we were doing ("creating the debug pod"). */
export function describeApiError(e: unknown, what: string, server: string): UserError {
  if (e instanceof UserError) return e;
  const net = networkCode(e);
  if (net) {
    return new UserError(
      `cannot reach the API server ${server} while ${what} (${net})`,
      'check --kubeconfig/--context and that the cluster is up',
    );
  }
  const s = apiStatus(e);
  if (s) {
    const msg = s.message ?? `HTTP ${s.code}`;
    if (s.code === 401)
      return new UserError(
        `the API server rejected the credentials while ${what}: ${msg}`,
        'log in again (kubectl/oc login) or fix the kubeconfig user',
      );
    if (s.code === 403)
      return new UserError(`not allowed while ${what}: ${msg}`, 'ask a cluster admin for the RBAC listed in the README ("Permissions")');
    return new UserError(`the API server answered ${s.code}${s.reason ? ` ${s.reason}` : ''} while ${what}: ${msg}`);
  }
  return new UserError(`${what} failed: ${messageChain(e)}`);
}

/** "fetch failed: bad port": the library's message with the causes that say what really happened. */
export function messageChain(e: unknown): string {
  const parts: string[] = [];
  for (let cur: unknown = e, depth = 0; cur && depth < 4; depth++) {
    const m = (cur as Error).message ?? String(cur);
    if (m && !parts.includes(m)) parts.push(m);
    cur = (cur as { cause?: unknown }).cause;
  }
  return parts.join(': ');
}

/** Rejects after ms with a message naming --request-timeout; a null ms means no limit. */
export async function withTimeout<T>(p: Promise<T>, ms: number | null, what: string): Promise<T> {
  if (ms === null) return p;
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new UserError(`${what} took longer than --request-timeout (${ms / 1000}s)`)), ms);
  });
  try {
    return await Promise.race([p, t]);
  } finally {
    clearTimeout(timer);
  }
}
