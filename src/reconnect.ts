/**
 * The pure parts of re-attaching after a lost exec stream (src/node-trace.ts): when to try again
 * within one incident's window, and the gaps — the stretches of time whose execs are unknown —
 * that a run reports on stderr and in its totals.
 */

/** First retry at once (a proxy that closes long connections is back at once), then doubling to a cap. */
export const BACKOFF_FIRST_MS = 500;
export const BACKOFF_CAP_MS = 10_000;

/** The delays of one incident: 0, 0.5 s, 1 s, 2 s … 10 s, never past the window's end. */
export class Backoff {
  private attempts = 0;
  readonly deadline: number;

  constructor(
    startedAt: number,
    windowMs: number,
    private readonly firstMs = BACKOFF_FIRST_MS,
    private readonly capMs = BACKOFF_CAP_MS,
  ) {
    this.deadline = startedAt + windowMs;
  }

  /** How long to wait before the next attempt; null when the window is over. */
  next(now: number): number | null {
    if (now >= this.deadline) return null;
    const n = this.attempts++;
    const delay = n === 0 ? 0 : Math.min(this.firstMs * 2 ** (n - 1), this.capMs);
    return Math.min(delay, this.deadline - now);
  }

  /** Time left in the window (for one attempt's own limit). */
  left(now: number): number {
    return Math.max(0, this.deadline - now);
  }
}

/** A stretch of one node's trace whose execs are unknown: from the last data before the loss to the new attachment. */
export interface Gap {
  node: string;
  /** RFC 3339 UTC, ms. */
  from: string;
  /** null: never closed (the node's trace ended in it). */
  to: string | null;
}

/** Every gap of a run, in the order they opened; at most one open gap per node. */
export class GapLog {
  private readonly gaps: { node: string; fromMs: number; toMs: number | null }[] = [];

  open(node: string, fromMs: number): void {
    if (this.gaps.some((g) => g.node === node && g.toMs === null)) return; // still the same incident
    this.gaps.push({ node, fromMs, toMs: null });
  }

  /** Closes the node's open gap; returns it (null when none was open). */
  close(node: string, toMs: number): Gap | null {
    const g = this.gaps.find((x) => x.node === node && x.toMs === null);
    if (!g) return null;
    g.toMs = Math.max(toMs, g.fromMs);
    return toGap(g);
  }

  list(): Gap[] {
    return this.gaps.map(toGap);
  }

  /** For the text totals: "2 gaps (3.1 s)", "1 gap (still open)". */
  summary(): string | null {
    if (this.gaps.length === 0) return null;
    const closed = this.gaps.filter((g) => g.toMs !== null);
    const ms = closed.reduce((n, g) => n + (g.toMs! - g.fromMs), 0);
    const open = this.gaps.length - closed.length;
    const parts = [closed.length > 0 ? `${seconds(ms)} s` : null, open > 0 ? `${open} not closed` : null].filter(Boolean);
    return `${this.gaps.length} ${this.gaps.length === 1 ? 'gap' : 'gaps'} (${parts.join(', ')})`;
  }
}

function toGap(g: { node: string; fromMs: number; toMs: number | null }): Gap {
  return { node: g.node, from: new Date(g.fromMs).toISOString(), to: g.toMs === null ? null : new Date(g.toMs).toISOString() };
}

export function seconds(ms: number): string {
  return (ms / 1000).toFixed(1);
}

/** "12:00:01.123" (UTC), as the table shows times. */
export function clock(ms: number): string {
  return new Date(ms).toISOString().slice(11, 23);
}
