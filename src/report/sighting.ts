/**
 * One exec reduced to what a baseline compares: where it ran, by stable names only, and what ran.
 * Pure.
 *
 * Stable: the namespace, the workload (`deploy/web`; from the pod's name where the record has none,
 * src/report/workload-name.ts), the container's name and the entry kind. Not the pod's name (random
 * suffix, pod-template hash), the container id (restarts), the node, pids or argv.
 *
 * What ran is named twice: `name`, the file name exec'd without its directory (always known; a
 * PATH search tries it in many directories; busybox applets and scripts differ only here), and
 * `path`, the executable that ran — `exe` where known (the resolved file: `/usr/bin/dash` for
 * `/bin/sh`), else the filename when absolute. Two paths are compared only when both come from the
 * same source, so a recording with `exe` diffs sensibly against one without.
 */
import type { AttributedEvent } from '../join/types.js';
import { errnoName } from '../output/errno.js';
import type { EntryKind, ExecFacts } from './exec-facts.js';
import { splitWorkload, workloadFromPodName } from './workload-name.js';

export interface Sighting {
  readonly namespace: string | null;
  /** `deploy/web`; `<host>` for host processes, `<unattributed>` for a pod cgroup with no pod record. */
  readonly workload: string;
  readonly container: string | null;
  readonly entry: EntryKind | null;
  /** basename of the filename exec'd. */
  readonly name: string;
  readonly path: { readonly from: 'exe' | 'filename'; readonly value: string } | null;
  readonly failed: boolean;
  /** The executable came from the container's writable layer. */
  readonly drift: boolean;
  // For the finding's example, not compared:
  readonly timeMs: number;
  readonly filename: string;
  readonly args: readonly string[];
  readonly error: string | null;
  readonly node: string;
  readonly pod: string | null;
  /** Identifies the exec session for counting sessions; null when not known. */
  readonly session: string | null;
}

export const HOST = '<host>';
export const UNATTRIBUTED = '<unattributed>';

const basename = (p: string): string => p.slice(p.lastIndexOf('/') + 1);

export function sightingOf(a: AttributedEvent, f: ExecFacts): Sighting {
  const ev = a.event;
  const workload = a.identity.kind === 'host' ? HOST : (f.workload ?? (a.pod !== null ? workloadFromPodName(a.pod) : UNATTRIBUTED));
  const failed = ev.retval !== null && ev.retval < 0;
  const path =
    !failed && f.exe !== null
      ? { from: 'exe' as const, value: f.exe }
      : ev.filename.startsWith('/')
        ? { from: 'filename' as const, value: ev.filename }
        : null;
  return {
    namespace: a.namespace,
    workload,
    container: a.container,
    entry: f.entry,
    name: basename(ev.filename),
    path,
    failed,
    drift: !failed && ev.upperLayer === true,
    timeMs: ev.timeMs,
    filename: ev.filename,
    args: ev.args,
    error: errnoName(ev.retval),
    node: a.node,
    pod: a.pod,
    session: f.entry === 'exec' && f.sessionLeaderPid !== null ? `${a.node}/${a.containerId ?? ''}/${f.sessionLeaderPid}` : null,
  };
}

/** The part of a sighting's place and program compared exactly (the rest: see compatible). */
export function baseKey(s: Sighting): string {
  const [, name] = splitWorkload(s.workload);
  return `${s.namespace ?? ''}\0${name}\0${s.container ?? ''}\0${s.name}`;
}
