/**
 * The dead-man switch: the node side of a run holds a lease that only this client renews, and ends
 * itself when the lease runs out — so that a client that is SIGKILLed, crashes or loses its network
 * leaves nothing privileged running for longer than the limit.
 *
 * The client renews it by writing a heartbeat byte on the tracer exec's stdin every heartbeatMs
 * (src/kube/exec-runner.ts, src/node/local.ts). On the node, the tracer command
 * (src/node/tracer-command.ts) reads those bytes: each one touches the pod's lease file; the end of
 * its stdin (the stream closed) or no byte for limitS stops bpftrace. The debug pod's main process
 * (POD_MAIN_SCRIPT, the container's command) exits when the lease file has not been touched for
 * limitS, so that the pod completes and the runtime ends whatever still runs in its container.
 * activeDeadlineSeconds stays as the last line of defence.
 */

/** Everything privileged ends within this long after the client was last heard from (plus one period). */
export const DEFAULT_LEASE_S = 90;

export interface LeaseTiming {
  /** No heartbeat for this long: bpftrace stops, the pod's main process exits. */
  limitS: number;
  /** How often the pod's main process looks at the lease file (whole seconds: `[ -nt ]` compares seconds). */
  periodS: number;
  /** How often the client writes a heartbeat: at least two per period, so that one lands in a later second. */
  heartbeatMs: number;
}

export function leaseTiming(limitS: number = DEFAULT_LEASE_S): LeaseTiming {
  const limit = Math.max(3, Math.round(limitS));
  const periodS = Math.max(2, Math.min(10, Math.ceil(limit / 9)));
  return { limitS: limit, periodS, heartbeatMs: Math.max(500, Math.min(5000, (periodS * 1000) / 2)) };
}

/**
 * The limit of this process: DEFAULT_LEASE_S, or TRACE_EXEC_LEASE_S (whole seconds, at least 3) — a
 * hidden knob for the tests, which cannot wait 90 s for a pod to end itself.
 */
export function leaseFromEnv(env: NodeJS.ProcessEnv = process.env): LeaseTiming {
  const v = Number(env.TRACE_EXEC_LEASE_S);
  return leaseTiming(Number.isInteger(v) && v >= 3 ? v : DEFAULT_LEASE_S);
}

/**
 * The debug container's command: $1 lease file, $2 limit, $3 period (seconds). Touches the lease
 * once (the first tracer has a whole limit to start), then every period checks whether it was
 * touched since the last look; after limit seconds without, it exits 0 and the pod completes.
 * Only `touch`, `sleep` and the shell's `[ -nt ]`: two short execs per period, counted as "self".
 */
export const POD_MAIN_SCRIPT = [
  'lease=$1; limit=$2; period=$3; stale=0',
  'touch "$lease" || exit 1',
  'while [ "$stale" -lt "$limit" ]; do',
  '  touch "$lease.mark"; sleep "$period"',
  '  if [ "$lease" -nt "$lease.mark" ]; then stale=0; else stale=$((stale + period)); fi',
  'done',
  'rm -f "$lease" "$lease.mark"',
  'echo "trace-exec: no heartbeat from the client for ${limit}s: the debug pod ends itself"',
].join('\n');

export function podMainCommand(leaseFile: string, t: LeaseTiming): string[] {
  return ['sh', '-c', POD_MAIN_SCRIPT, 'trace-exec', leaseFile, String(t.limitS), String(t.periodS)];
}
