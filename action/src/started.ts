/**
 * Whether the trace runs on every node yet, from trace-exec's log: src/run.ts writes
 * `tracing execs on NODE` for one node, `tracing execs on NODE (K/N)` as each of N attaches
 * (keep in sync). The CI recipe waits for the first line; with several nodes the action waits for
 * all, so that a step after main is recorded on each.
 */
export function tracing(log: string): { attached: number; of: number } | null {
  let best: { attached: number; of: number } | null = null;
  for (const m of log.matchAll(/tracing execs on \S+(?: \((\d+)\/(\d+)\))?/g)) {
    const now = m[1] ? { attached: Number(m[1]), of: Number(m[2]) } : { attached: 1, of: 1 };
    if (!best || now.attached > best.attached) best = now;
  }
  return best;
}

export const allTracing = (log: string): boolean => {
  const t = tracing(log);
  return t !== null && t.attached >= t.of;
};
