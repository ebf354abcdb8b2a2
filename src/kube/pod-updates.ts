/**
 * The newest state of one pod as a watch delivers it, for a wait that would otherwise read the pod
 * again and again: 500 debug pods read every 300 ms are 1 600 requests a second, thirty times the
 * API request budget, where the node's pod watch (src/kube/pod-watch.ts), which the run opens
 * anyway, brings every change for nothing.
 */
import type { V1Pod } from '@kubernetes/client-node';

export class PodUpdates {
  private latest: V1Pod | null = null;
  private fresh = false;
  private waiters: (() => void)[] = [];

  /** A newer state of the pod (from a list or a watch event). */
  push(pod: V1Pod): void {
    this.latest = pod;
    this.fresh = true;
    const w = this.waiters;
    this.waiters = [];
    for (const wake of w) wake();
  }

  /** The pod's state if it changed since the last take, else null (then read it from the API). */
  take(): V1Pod | null {
    if (!this.fresh) return null;
    this.fresh = false;
    return this.latest;
  }

  /** Resolves at the next push, or after ms at the latest. */
  next(ms: number): Promise<void> {
    if (this.fresh) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.waiters.push(done);
    });
  }
}
