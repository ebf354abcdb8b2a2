/**
 * A server-side request limit, as API Priority and Fairness applies one when a client sends more than
 * its share: past `perSecond` requests in the last second, a request is answered 429 Too Many Requests
 * with Retry-After, before it is served. The requests turned away do not count towards the limit.
 */
import { failure, type StatusBody } from './status.js';

export class RateLimit {
  /** Times (ms) of the requests admitted in the last second, oldest first. */
  private admitted: number[] = [];

  constructor(
    private readonly perSecond: number,
    private readonly retryAfterSeconds: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** The 429 to answer instead of serving the request, or undefined to serve it. */
  take(method: string, path: string): StatusBody | undefined {
    const t = this.now();
    let drop = 0;
    while (drop < this.admitted.length && this.admitted[drop]! <= t - 1000) drop++;
    if (drop > 0) this.admitted = this.admitted.slice(drop);
    if (this.admitted.length >= this.perSecond) {
      return failure(
        429,
        'TooManyRequests',
        `too many requests: ${method} ${path} is over the stand-in's limit of ${this.perSecond} a second, please try again later`,
        {
          retryAfterSeconds: this.retryAfterSeconds,
        },
      );
    }
    this.admitted.push(t);
    return undefined;
  }
}
