/**
 * The client's API request budget, as client-go keeps it (flowcontrol's token bucket over
 * golang.org/x/time/rate): `burst` requests may go at once, then `qps` per second. Every request
 * reserves a token; when none is left it waits for its turn, and reservations queue — the tenth
 * request over the budget waits ten token periods — so a burst of callers is spread out, never
 * refused. Pure: the clock is injected (ms), the caller sleeps.
 */
export interface Budget {
  /** Requests per second, sustained. */
  readonly qps: number;
  /** Requests that may go at once after a quiet spell (the bucket's size). */
  readonly burst: number;
}

/**
 * kubectl's numbers for the client that fans out (its discovery client, one request per API group):
 * QPS 50, burst 300 — `defaultConfigFlags()` in kubernetes/kubectl pkg/cmd/cmd.go,
 * `WithDiscoveryBurst(300).WithDiscoveryQPS(50.0)`, raised in kubectl 1.24 (kubernetes/kubectl
 * ca7662ebb, "Bump discovery burst for kubectl"; kubernetes/kubernetes e944d2c). kubectl's other
 * requests keep client-go's rest defaults, QPS 5 and burst 10 (k8s.io/client-go rest/config.go
 * DefaultQPS, DefaultBurst): one node's start costs about six requests, and at 5 per second 500
 * nodes would take ten minutes. A fleet start is the same kind of fan-out as discovery.
 */
export const DEFAULT_BUDGET: Budget = Object.freeze({ qps: 50, burst: 300 });

export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly budget: Budget,
    private readonly now: () => number,
  ) {
    this.tokens = budget.burst;
    this.last = now();
  }

  /** Takes a token: how many ms the request must wait before it goes (0: at once). */
  reserve(): number {
    const t = this.now();
    this.tokens = Math.min(this.budget.burst, this.tokens + (Math.max(0, t - this.last) * this.budget.qps) / 1000);
    this.last = t;
    this.tokens -= 1;
    return this.tokens >= 0 ? 0 : Math.ceil((-this.tokens * 1000) / this.budget.qps);
  }
}
