/**
 * How a process in a container got there (`entry`): `init` when it descends from the container's
 * first process, `exec` when it came in through the runtime's exec (kubectl exec, crictl exec),
 * `probe` / `hook` when that exec is one the kubelet runs itself: an exec liveness, readiness or
 * startup probe, or a postStart / preStop exec hook of the container (CRI ExecSync with the spec's
 * command as argv). The kernel says init tree or not and which process entered (the session
 * leader, src/events/types.ts ExecContext); the pod spec says what the kubelet runs. Pure.
 *
 * The process that entered is classified once, by its first exec seen in the container (runc
 * exec's the command itself, so that exec's argv is the probe's command); the commands run under
 * it (a probe's `sh -c` children, what is typed into a shell) inherit its kind.
 */
import type { ExecEvent } from '../events/types.js';
import type { KubeletExecs } from './pod-index.js';

export type Entry = 'init' | 'exec' | 'probe' | 'hook';

/** Sessions remembered per node; the oldest are forgotten first. */
export const MAX_SESSIONS = 65_536;

/**
 * argv is the command: equal, or — when bpftrace could not carry all of argv (`argsTruncated`) —
 * what it carried is the command's start (the last argument carried may itself be cut).
 */
export function argvIs(args: readonly string[], truncated: boolean, command: readonly string[]): boolean {
  if (!truncated) return args.length === command.length && args.every((a, i) => a === command[i]);
  if (args.length > command.length) return false;
  return args.every((a, i) => (i === args.length - 1 ? command[i]!.startsWith(a) : a === command[i]));
}

/** What the kubelet runs that this argv is: 'probe', 'hook' or null. */
export function kubeletExecOf(args: readonly string[], truncated: boolean, execs: KubeletExecs | undefined): 'probe' | 'hook' | null {
  if (!execs || args.length === 0) return null;
  if (execs.probes.some((c) => argvIs(args, truncated, c))) return 'probe';
  if (execs.hooks.some((c) => argvIs(args, truncated, c))) return 'hook';
  return null;
}

type Facts = Pick<ExecEvent, 'pid' | 'args' | 'argsTruncated' | 'retval' | 'inInitTree' | 'sessionLeaderPid'>;

export class EntryClassifier {
  /**
   * Container id → session leader pid → its kind. Two levels rather than a `id pid` key: the id is
   * the same string on every exec of a container (its hash kept), a joined key would be built and
   * hashed anew per exec. Bounded by `count`: the oldest container's oldest session goes first.
   */
  private readonly sessions = new Map<string, Map<number, Entry>>();
  private count = 0;

  constructor(private readonly max = MAX_SESSIONS) {}

  /**
   * The entry of an exec in container `containerId` (null: a host process or no container: null).
   * `execs`: the container's probes and hooks; `known`: the container's pod record was found (only
   * then is a leader's kind remembered — an exec re-tried once its pod record arrives is asked again).
   */
  classify(e: Facts, containerId: string | null, execs: KubeletExecs | undefined, known: boolean): Entry | null {
    if (containerId === null || e.inInitTree === null) return null;
    if (e.inInitTree) return 'init';
    const leader = e.sessionLeaderPid ?? e.pid;
    let inContainer = this.sessions.get(containerId);
    const seen = inContainer?.get(leader);
    if (seen !== undefined) return seen;
    // A descendant of a leader whose own exec came before the trace: entered through exec, of which kind is not known.
    if (e.pid !== leader) return 'exec';
    const kind: Entry = kubeletExecOf(e.args, e.argsTruncated, execs) ?? 'exec';
    // A failed exec runs nothing: the leader's real first program is still to come.
    if (known && (e.retval === null || e.retval >= 0)) {
      if (this.count >= this.max) this.forgetOldest();
      if (!inContainer) {
        inContainer = new Map();
        this.sessions.set(containerId, inContainer);
      }
      inContainer.set(leader, kind);
      this.count++;
    }
    return kind;
  }

  private forgetOldest(): void {
    const first = this.sessions.entries().next().value;
    if (!first) return;
    const [id, inContainer] = first;
    inContainer.delete(inContainer.keys().next().value!);
    this.count--;
    if (inContainer.size === 0) this.sessions.delete(id);
  }
}
