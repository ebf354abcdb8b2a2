/**
 * Fault injection: the next N requests that match answer an error status with a real Status body,
 * before authentication or routing, the way a flaky control plane or an overloaded proxy would.
 */
import { failure, reasonFor, type StatusBody } from './status.js';
import { RateLimit } from './rate-limit.js';

export type RequestMatcher = (method: string, path: string) => boolean;

interface Fault {
  remaining: number;
  code: number;
  match?: RequestMatcher;
  /** The Status message, for faults that stand for a specific rejection (admission, quota…). */
  message?: string;
}

export class FaultInjector {
  private faults: Fault[] = [];
  private rateLimit: RateLimit | null = null;

  /** Past `perSecond` requests in a second, answer 429 with Retry-After (rate-limit.ts); null: no limit. */
  limitRate(perSecond: number | null, retryAfterSeconds = 1): void {
    this.rateLimit = perSecond === null ? null : new RateLimit(perSecond, retryAfterSeconds);
  }

  failNext(count: number, code = 500, match?: RequestMatcher, message?: string): void {
    if (count <= 0) {
      this.faults = []; // failNext(0): stop failing
      return;
    }
    this.faults.push({ remaining: count, code, ...(match ? { match } : {}), ...(message ? { message } : {}) });
  }

  /** The Status to answer instead of serving the request, consuming one use of the first matching fault. */
  take(method: string, path: string): StatusBody | undefined {
    const fault = this.faults.find((f) => !f.match || f.match(method, path));
    if (!fault) return this.rateLimit?.take(method, path);
    if (--fault.remaining <= 0) this.faults = this.faults.filter((f) => f !== fault);
    const details = fault.code === 429 || fault.code === 503 ? { retryAfterSeconds: 1 } : undefined;
    return failure(fault.code, reasonFor(fault.code), fault.message ?? `injected fault: ${method} ${path} answered ${fault.code}`, details);
  }
}
