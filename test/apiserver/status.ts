/**
 * metav1.Status bodies, shaped exactly as the real API server writes them (clients such as
 * @kubernetes/client-node and kubectl parse `reason`, `code` and `details` to decide what to do),
 * and ApiError, which request handlers throw to answer with one.
 */

export interface StatusCause {
  reason?: string;
  message?: string;
  field?: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

export interface StatusBody {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Failure';
  message: string;
  reason: string;
  details?: StatusDetails;
  code: number;
}

export class ApiError extends Error {
  constructor(readonly status: StatusBody) {
    super(status.message);
    this.name = 'ApiError';
  }

  get code(): number {
    return this.status.code;
  }
}

export function failure(code: number, reason: string, message: string, details?: StatusDetails): StatusBody {
  // Field order as the API server serializes it (details before code).
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, ...(details ? { details } : {}), code };
}

/** The `reason` the API server uses for a bare HTTP status (also used for injected faults). */
export function reasonFor(code: number): string {
  const reasons: Record<number, string> = {
    400: 'BadRequest',
    401: 'Unauthorized',
    403: 'Forbidden',
    404: 'NotFound',
    405: 'MethodNotAllowed',
    406: 'NotAcceptable',
    409: 'Conflict',
    410: 'Expired',
    415: 'UnsupportedMediaType',
    422: 'Invalid',
    429: 'TooManyRequests',
    500: 'InternalError',
    503: 'ServiceUnavailable',
    504: 'Timeout',
  };
  return reasons[code] ?? 'Unknown';
}

/** schema.GroupResource.String(): "pods", "deployments.apps". */
export function qualifiedResource(resource: string, group = ''): string {
  return group ? `${resource}.${group}` : resource;
}

/** StatusDetails for an object, in the API server's field order (name, group, kind). */
export function objectDetails(name: string, resource: string, group = ''): StatusDetails {
  return group ? { name, group, kind: resource } : { name, kind: resource };
}

/**
 * `resource` is the plural resource name ("pods"), as the real messages use it; `group` qualifies it
 * (`deployments.apps "web" not found`).
 */
export function notFound(resource: string, name: string, group = ''): ApiError {
  return new ApiError(
    failure(404, 'NotFound', `${qualifiedResource(resource, group)} "${name}" not found`, objectDetails(name, resource, group)),
  );
}

export function alreadyExists(resource: string, name: string, group = ''): ApiError {
  return new ApiError(
    failure(409, 'AlreadyExists', `${qualifiedResource(resource, group)} "${name}" already exists`, objectDetails(name, resource, group)),
  );
}

/** 409 Conflict, `Operation cannot be fulfilled on deployments.apps "web": <why>`. */
export function conflict(resource: string, name: string, why: string, group = ''): ApiError {
  return new ApiError(
    failure(
      409,
      'Conflict',
      `Operation cannot be fulfilled on ${qualifiedResource(resource, group)} "${name}": ${why}`,
      objectDetails(name, resource, group),
    ),
  );
}

export function badRequest(message: string): ApiError {
  return new ApiError(failure(400, 'BadRequest', message));
}

export function pathNotFound(): ApiError {
  return new ApiError(failure(404, 'NotFound', 'the server could not find the requested resource', {}));
}

export function methodNotAllowed(): ApiError {
  return new ApiError(failure(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource', {}));
}

export function unauthorized(): ApiError {
  return new ApiError(failure(401, 'Unauthorized', 'Unauthorized'));
}

export function forbidden(message: string, details: StatusDetails): ApiError {
  return new ApiError(failure(403, 'Forbidden', message, details));
}

export function expired(requested: number, oldest: number): StatusBody {
  return failure(410, 'Expired', `too old resource version: ${requested} (${oldest})`);
}

export function unsupportedMediaType(accepted: readonly string[]): ApiError {
  return new ApiError(
    failure(
      415,
      'UnsupportedMediaType',
      `the body of the request was in an unknown format - accepted media types include: ${accepted.join(', ')}`,
    ),
  );
}

export interface FieldError {
  field: string;
  /**
   * "Required value", `Invalid value: "x": why` or `Unsupported value: "x": supported values: ...` — the
   * detail the real validation messages use.
   */
  message: string;
  reason: 'FieldValueRequired' | 'FieldValueInvalid' | 'FieldValueNotSupported';
}

/**
 * 422 Invalid, e.g. `Pod "x" is invalid: spec.containers: Required value`, or with a group
 * `Deployment.apps "web" is invalid: ...`.
 */
export function invalid(kind: string, name: string, errors: FieldError[], group = ''): ApiError {
  const parts = errors.map((e) => `${e.field}: ${e.message}`);
  const summary = parts.length === 1 ? parts[0] : `[${parts.join(', ')}]`;
  return new ApiError(
    failure(422, 'Invalid', `${group ? `${kind}.${group}` : kind} "${name}" is invalid: ${summary}`, {
      ...objectDetails(name, kind, group),
      causes: errors.map((e) => ({ reason: e.reason, message: e.message, field: e.field })),
    }),
  );
}

export function internalError(message: string): ApiError {
  return new ApiError(failure(500, 'InternalError', `Internal error occurred: ${message}`, { causes: [{ message }] }));
}
