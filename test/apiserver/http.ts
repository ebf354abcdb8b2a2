/** Small helpers for writing API responses on plain node:http objects and on raw upgrade sockets. */
import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { badRequest, unsupportedMediaType, type StatusBody } from './status.js';

const MAX_BODY_BYTES = 3 * 1024 * 1024; // the real API server's request size limit

export function sendJson(res: ServerResponse, code: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(code, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-cache, private',
    ...headers,
  });
  res.end(text);
}

export function sendStatus(res: ServerResponse, status: StatusBody): void {
  const retry = status.details?.retryAfterSeconds;
  sendJson(res, status.code, status, retry !== undefined ? { 'Retry-After': String(retry) } : {});
}

/** Answers an upgrade request that will not be upgraded: a complete HTTP response, then close. */
export function rejectUpgrade(socket: Duplex, status: StatusBody): void {
  const text = JSON.stringify(status);
  socket.end(
    `HTTP/1.1 ${status.code} ${STATUS_CODES[status.code] ?? 'Error'}\r\n` +
      'Content-Type: application/json\r\n' +
      `Content-Length: ${Buffer.byteLength(text)}\r\n` +
      'Connection: close\r\n\r\n' +
      text,
  );
}

export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > MAX_BODY_BYTES) throw badRequest('request entity too large');
    chunks.push(buf);
  }
  return Buffer.concat(chunks);
}

/** The request body as JSON; an empty body is undefined (DELETE may or may not carry DeleteOptions). */
export async function readJson(req: IncomingMessage): Promise<unknown> {
  const type = req.headers['content-type']?.split(';')[0]?.trim() ?? '';
  // Protobuf bodies are only understood where a client insists on them (see protobuf.ts).
  if (type.includes('protobuf') || type.includes('cbor')) throw unsupportedMediaType(['application/json']);
  const raw = (await readBody(req)).toString('utf8');
  if (raw.trim() === '') return undefined;
  try {
    return JSON.parse(raw);
  } catch (err) {
    throw badRequest(`couldn't get version/kind; json parse error: ${(err as Error).message}`);
  }
}

/** Query flags the way the API server's conversion reads booleans ("true"/"1"). */
export function flag(query: URLSearchParams, name: string): boolean {
  const v = query.get(name);
  return v === 'true' || v === '1' || v === 'True' || v === 'TRUE';
}
