/**
 * PATCH bodies: JSON merge patch (RFC 7386; strategic merge patch is treated the same, which is exact
 * for labels, annotations and scalar fields) and JSON patch (RFC 6902), the default of client-node.
 */
import { ApiError, badRequest, failure, unsupportedMediaType } from './status.js';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function isObject(v: unknown): v is Record<string, Json> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return patch;
  const out: Record<string, unknown> = isObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else out[key] = mergePatch(out[key], value);
  }
  return out;
}

interface JsonPatchOp {
  op: string;
  path: string;
  value?: unknown;
  from?: string;
}

function pointer(path: string): string[] {
  if (path === '') return [];
  if (!path.startsWith('/')) throw badRequest(`invalid JSON pointer: ${path}`);
  return path
    .slice(1)
    .split('/')
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function parentOf(doc: unknown, parts: string[], path: string): { parent: Record<string, unknown> | unknown[]; key: string } {
  let node: unknown = doc;
  for (const part of parts.slice(0, -1)) {
    node = Array.isArray(node) ? node[Number(part)] : isObject(node) ? node[part] : undefined;
    if (node === undefined)
      throw new ApiError(failure(422, 'Invalid', `the server rejected our request due to an error in our request: missing path ${path}`));
  }
  if (!Array.isArray(node) && !isObject(node)) throw badRequest(`cannot patch ${path}`);
  return { parent: node as Record<string, unknown> | unknown[], key: parts[parts.length - 1] ?? '' };
}

export function jsonPatch(doc: unknown, ops: unknown): unknown {
  if (!Array.isArray(ops)) throw badRequest('json patch must be an array of operations');
  let result: unknown = JSON.parse(JSON.stringify(doc));
  for (const raw of ops as JsonPatchOp[]) {
    const parts = pointer(raw.path);
    if (parts.length === 0) {
      if (raw.op === 'replace' || raw.op === 'add') result = raw.value;
      continue;
    }
    const { parent, key } = parentOf(result, parts, raw.path);
    const get = (): unknown => (Array.isArray(parent) ? parent[key === '-' ? parent.length : Number(key)] : parent[key]);
    switch (raw.op) {
      case 'add':
        if (Array.isArray(parent)) parent.splice(key === '-' ? parent.length : Number(key), 0, raw.value);
        else parent[key] = raw.value;
        break;
      case 'replace':
        if (get() === undefined)
          throw new ApiError(failure(422, 'Invalid', `replace operation does not apply: doc is missing key: ${raw.path}`));
        if (Array.isArray(parent)) parent[Number(key)] = raw.value;
        else parent[key] = raw.value;
        break;
      case 'remove':
        if (get() === undefined)
          throw new ApiError(failure(422, 'Invalid', `remove operation does not apply: doc is missing path: ${raw.path}`));
        if (Array.isArray(parent)) parent.splice(Number(key), 1);
        else delete parent[key];
        break;
      case 'test':
        if (JSON.stringify(get()) !== JSON.stringify(raw.value))
          throw new ApiError(failure(422, 'Invalid', `testing value ${raw.path} failed`));
        break;
      default:
        throw badRequest(`unsupported json patch operation: ${raw.op}`);
    }
  }
  return result;
}

const PATCH_TYPES = ['application/json-patch+json', 'application/merge-patch+json', 'application/strategic-merge-patch+json'];

/** Applies a PATCH body according to its Content-Type. */
export function applyPatch(doc: unknown, body: unknown, contentType: string): unknown {
  const type = contentType.split(';')[0]?.trim() ?? '';
  if (type === 'application/json-patch+json') return jsonPatch(doc, body);
  if (type === 'application/merge-patch+json' || type === 'application/strategic-merge-patch+json') return mergePatch(doc, body);
  throw unsupportedMediaType(PATCH_TYPES);
}
