/**
 * When to send a request again that the API server turned away: client-go's rule (rest/with_retry.go)
 * — a 429, or a 5xx that carries Retry-After (an overloaded API server, API Priority and Fairness
 * rejecting, a proxy in front of it), at most 10 more attempts (a 5xx: one) — made gentler for hundreds of
 * requests turned away at once: the wait is the server's Retry-After or an exponential backoff,
 * whichever is longer, plus up to half again at random, so that they do not all come back in the
 * same instant. Every attempt also takes a token of the request budget (src/kube/request-budget.ts),
 * so retries can never go faster than the budget. Pure: the random source is injected.
 */

/** client-go's default maxRetries for a request answered with Retry-After. */
export const MAX_RETRIES = 10;
/**
 * A 5xx with Retry-After is sent once more, not ten times: the callers already retry 5xx their own way
 * (deletions with backoff and then the exact commands, watches, re-attachment), and retries stacked
 * on retries would keep a failing cleanup going for minutes.
 */
export const MAX_5XX_RETRIES = 1;
const BACKOFF_BASE_MS = 500;
const BACKOFF_MAX_MS = 10_000;
/** A Retry-After longer than this is taken as this: --request-timeout, not the server, bounds a run's wait. */
const RETRY_AFTER_MAX_S = 60;

/** Retry-After in seconds (delta-seconds or an HTTP date), or null when absent or unreadable. */
export function retryAfterSeconds(header: string | undefined, nowMs: number): number | null {
  if (header === undefined || header.trim() === '') return null;
  const t = header.trim();
  if (/^\d+$/.test(t)) return Math.min(Number(t), RETRY_AFTER_MAX_S);
  if (!/[a-z]/i.test(t)) return null; // not delta-seconds, and no HTTP date either
  const at = Date.parse(t);
  if (Number.isNaN(at)) return null;
  return Math.min(Math.max(0, Math.ceil((at - nowMs) / 1000)), RETRY_AFTER_MAX_S);
}

/**
 * How long to wait before attempt `attempt + 1` (attempt 0 is the first request) after an answer with
 * this status and Retry-After, or null: do not retry.
 */
export function retryDelayMs(status: number, retryAfterS: number | null, attempt: number, random: () => number): number | null {
  if (attempt >= MAX_RETRIES) return null;
  if (status !== 429 && !(status >= 500 && status <= 599 && retryAfterS !== null && attempt < MAX_5XX_RETRIES)) return null;
  const backoff = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** attempt);
  const base = Math.max((retryAfterS ?? 0) * 1000, backoff);
  return Math.round(base * (1 + 0.5 * random()));
}
