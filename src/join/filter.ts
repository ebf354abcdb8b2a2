/**
 * Which joined execs to show: -n namespaces, pod/workload targets, -l, -c, --comm, --failed, --host,
 * --drift, --sessions, --no-probes.
 * All are applied on the client after the join; an unattributed exec is in no namespace and no pod.
 */
import type { AttributedEvent } from './types.js';
import { endedBadly } from '../events/wait-status.js';
import { matches, parseSelector } from './selector.js';
import type { LabelSelector } from './selector.js';
import { TOOL_LABEL, TOOL_NAME } from '../tool-label.js';

/** Client-side filters, applied after the join (built from the flags by src/cli/options.ts). */
export interface Filters {
  /** Pod label selector (-l; several -l joined with commas: all must match). */
  readonly selector: string | null;
  /** Container names (-c): any of them. */
  readonly container: readonly string[] | null;
  /** Command name patterns (--comm): any of them. */
  readonly comm: readonly RegExp[] | null;
  readonly failed: boolean;
  readonly host: boolean;
  /** Only execs whose executable came from the container's writable (upper) layer (--drift). */
  readonly drift: boolean;
  /** Only execs that entered their container through the runtime's exec, and what runs under them (--sessions). */
  readonly sessions: boolean;
  /** Leave out the kubelet's exec probes and hooks, and what runs under them (--no-probes). */
  readonly noProbes: boolean;
}

/** The pods whose execs pod and workload targets keep (resolved by src/kube/targets.ts). */
export interface PodScope {
  namespace: string;
  /** Exact pod names (pod/NAME targets). */
  names: ReadonlySet<string>;
  /** Label selectors of workload targets: a pod matching any of them is kept. */
  selectors: LabelSelector[];
  /** For messages: "pod/api-0, deploy/web". */
  describe: string;
}

export type EventFilter = (a: AttributedEvent) => boolean;

export function makeFilter(namespaces: readonly string[] | null, f: Filters, podScope: PodScope | null): EventFilter {
  const tests: EventFilter[] = [];
  if (namespaces) {
    const keep = new Set(namespaces);
    tests.push((a) => a.namespace !== null && keep.has(a.namespace));
  }
  if (podScope) {
    tests.push(
      (a) =>
        a.namespace === podScope.namespace &&
        a.pod !== null &&
        (podScope.names.has(a.pod) || podScope.selectors.some((s) => matches(s, a.labels))),
    );
  }
  if (f.selector !== null) {
    const sel = parseSelector(f.selector);
    tests.push((a) => a.pod !== null && matches(sel, a.labels));
  }
  if (f.container !== null) {
    const names = new Set(f.container);
    tests.push((a) => a.container !== null && names.has(a.container));
  }
  if (f.comm !== null) {
    const res = f.comm;
    tests.push((a) => res.some((re) => re.test(a.event.comm)));
  }
  // --exits: a process's end is kept when the process ended badly (non-zero, or by a signal).
  if (f.failed) tests.push((a) => (a.event.exit ? endedBadly(a.event.exit) : a.event.retval !== null && a.event.retval < 0));
  if (f.host) tests.push((a) => a.identity.kind === 'host');
  if (f.drift) tests.push((a) => a.event.upperLayer === true);
  if (f.sessions) tests.push((a) => a.entry === 'exec');
  if (f.noProbes) tests.push((a) => a.entry !== 'probe' && a.entry !== 'hook');
  return (a) => tests.every((t) => t(a));
}

/**
 * An exec of trace-exec itself: in one of its debug pods (by their label: the probe, staging the
 * program, stopping bpftrace), or with --local a child of this very process (`selfPid`).
 */
export function isSelf(a: AttributedEvent, selfPid: number | null): boolean {
  return a.labels[TOOL_LABEL] === TOOL_NAME || (selfPid !== null && a.identity.kind === 'host' && a.event.ppid === selfPid);
}
