/**
 * Every API request of a run under one budget (src/kube/token-bucket.ts), at the narrowest point the
 * client library offers: a KubeConfig whose API clients send through a budgeted HTTP library (with
 * 429 / Retry-After retries, src/kube/retry-after.ts), whose watches take a token when they
 * authenticate, and whose exec WebSockets take one when they open. What is built on it — pod create,
 * reads, lists, watches, execs, deletes — needs no change to be counted.
 */
import {
  createConfiguration,
  KubeConfig,
  Observable,
  ServerConfiguration,
  setHeaderMiddleware,
  type ApiConstructor,
  type ApiType,
  type HttpLibrary,
  type RequestContext,
  type ResponseContext,
} from '@kubernetes/client-node';
import { TokenBucket, type Budget } from './token-bucket.js';
import { retryAfterSeconds, retryDelayMs } from './retry-after.js';
import { VERSION } from '../version.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** What went through the budget: for --verbose and the bench. */
export interface BudgetStats {
  requests: number;
  /** Requests that waited for a token, and how long in all. */
  throttled: number;
  throttledMs: number;
  /** Answers that were retried (429, 5xx with Retry-After). */
  retried: number;
}

export class RequestBudget {
  private readonly bucket: TokenBucket;
  readonly stats: BudgetStats = { requests: 0, throttled: 0, throttledMs: 0, retried: 0 };

  constructor(
    readonly budget: Budget,
    now: () => number = () => performance.now(),
    private readonly random: () => number = Math.random,
  ) {
    this.bucket = new TokenBucket(budget, now);
  }

  /** Resolves when the next request may go. */
  async take(): Promise<void> {
    this.stats.requests++;
    const wait = this.bucket.reserve();
    if (wait > 0) {
      this.stats.throttled++;
      this.stats.throttledMs += wait;
      await sleep(wait);
    }
  }

  /** ms to wait before sending again after this answer, or null to hand it to the caller. */
  retryDelay(res: ResponseContext, attempt: number): number | null {
    const d = retryDelayMs(res.httpStatusCode, retryAfterSeconds(res.headers['retry-after'], Date.now()), attempt, this.random);
    if (d !== null) this.stats.retried++;
    return d;
  }
}

/** The client library's own HTTP library with a token taken before each attempt, and retries. */
class BudgetedHttp implements HttpLibrary {
  private readonly inner = createConfiguration().httpApi;

  constructor(private readonly budget: RequestBudget) {}

  send(request: RequestContext): Observable<ResponseContext> {
    return new Observable(this.sendPromise(request));
  }

  private async sendPromise(request: RequestContext): Promise<ResponseContext> {
    for (let attempt = 0; ; attempt++) {
      await this.budget.take();
      const res = await this.inner.send(request).toPromise();
      const delay = this.budget.retryDelay(res, attempt);
      if (delay === null) return res;
      await res.body.text().catch(() => ''); // let the connection go back to the pool
      await sleep(delay);
    }
  }
}

const USER_AGENT = `trace-exec/${VERSION} (kubernetes-client-javascript)`;

/** A KubeConfig whose every request goes through `budget`. Load it as any KubeConfig (src/kube/config.ts). */
export class BudgetedKubeConfig extends KubeConfig {
  constructor(readonly requestBudget: RequestBudget) {
    super();
  }

  override makeApiClient<T extends ApiType>(apiClientType: ApiConstructor<T>): T {
    const cluster = this.getCurrentCluster();
    if (!cluster) throw new Error('No active cluster!');
    // Authentication without a token of its own: the HTTP library took it.
    const auth = { getName: () => 'default', applySecurityAuthentication: (ctx: RequestContext) => super.applySecurityAuthentication(ctx) };
    return new apiClientType(
      createConfiguration({
        baseServer: new ServerConfiguration(cluster.server, {}),
        authMethods: { default: auth },
        httpApi: new BudgetedHttp(this.requestBudget),
        middleware: [setHeaderMiddleware('User-Agent', USER_AGENT)],
      }),
    );
  }

  /** Watch (and the library's other fetch-based helpers) authenticate here, once per request. */
  override async applySecurityAuthentication(context: RequestContext): Promise<void> {
    await this.requestBudget.take();
    return super.applySecurityAuthentication(context);
  }

  /** Exec WebSockets open here. */
  override async applyToHTTPSOptions(opts: Parameters<KubeConfig['applyToHTTPSOptions']>[0]): Promise<void> {
    await this.requestBudget.take();
    return super.applyToHTTPSOptions(opts);
  }
}
