/**
 * The corpus of real cgroup paths (paths.json) and how each quote becomes what the tracer sees.
 *
 * A quote is one of three things, and the tracer reads the cgroup v2 path and ONE v1 controller's
 * path (memory first, see V1_PREFERENCE in src/node/probe.ts):
 * - lines of /proc/PID/cgroup: `0::/…` is the v2 path, `N:controllers:/…` a v1 path;
 * - a path under the cgroup mount (`/sys/fs/cgroup/<controller>/…` is v1, `/sys/fs/cgroup/…` v2),
 *   possibly ending in an interface file such as cgroup.procs;
 * - a plain path relative to a hierarchy root, which could be either.
 */
import { readFileSync } from 'node:fs';

export interface PodExpectation {
  podUid: string;
  staticPod: boolean;
  qos: 'besteffort' | 'burstable' | 'guaranteed';
  containerId: string | null;
  runtime: 'crio' | 'containerd' | 'docker' | null;
  helper: 'conmon' | 'kata' | null;
  helperFor?: string;
}

/** Not a pod: a host process (a unit is checked only where the entry names one). */
export interface NotAPodExpectation {
  notAPod: true;
  unit?: string;
}

/** A kubelet-tree path the decoder cannot read: no pod, no unit, the raw path kept. */
export interface UnreadableExpectation {
  unreadable: true;
}

export interface CorpusEntry {
  cgroup: string;
  source: string;
  form: string;
  driver: string;
  runtime: string;
  cgroupVersion: 'v1' | 'v2' | 'hybrid' | 'plain path';
  setting: string;
  constructed?: true;
  expect: PodExpectation | NotAPodExpectation | UnreadableExpectation;
}

export const entries: CorpusEntry[] = (
  JSON.parse(readFileSync(new URL('./paths.json', import.meta.url), 'utf8')) as { entries: CorpusEntry[] }
).entries;

export const isPod = (e: CorpusEntry['expect']): e is PodExpectation => 'podUid' in e;

/** The same order the node probe prefers (src/node/probe.ts). */
const V1_PREFERENCE = ['memory', 'pids', 'cpu', 'cpuacct', 'cpuset', 'blkio', 'devices', 'freezer'];
const V1_DIRS =
  /^(?:cpu|cpuacct|cpu,cpuacct|cpuacct,cpu|memory|pids|cpuset|blkio|devices|freezer|hugetlb|net_cls|net_prio|net_cls,net_prio|perf_event|rdma|misc|systemd)$/;
/** Interface files a quote may end in: not part of the cgroup's path. */
const INTERFACE_FILE = /^(?:cgroup\.[a-z_.]+|tasks)$/;

/** What the quote gives: the v2 path, the v1 path, or a path that could be either (null = not given). */
export interface Placement {
  v2: string | null;
  v1: string | null;
  /** A plain path: the same path stands for either hierarchy. */
  either: string | null;
}

export function placement(quote: string): Placement {
  const lines = quote
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
  const procLine = /^(\d+):([^:]*):(.*)$/;
  if (lines.every((l) => procLine.test(l))) {
    let v2: string | null = null;
    const v1: { controllers: string[]; path: string }[] = [];
    for (const l of lines) {
      const [, id, controllers, path] = procLine.exec(l)!;
      if (id === '0' && controllers === '') v2 = path!;
      else v1.push({ controllers: controllers!.split(','), path: path! });
    }
    // The controller the program would read; a quote without one stands in with its first line.
    const preferred = V1_PREFERENCE.map((c) => v1.find((x) => x.controllers.includes(c))).find((x) => x !== undefined);
    return { v2, v1: (preferred ?? v1[0])?.path ?? null, either: null };
  }
  if (lines.length !== 1) throw new Error(`a quote is either /proc/PID/cgroup lines or one path: ${quote}`);
  const path = lines[0]!;
  if (path.startsWith('/sys/fs/cgroup/') || path === '/sys/fs/cgroup') {
    const parts = path
      .slice('/sys/fs/cgroup'.length)
      .split('/')
      .filter((c) => c !== '');
    if (parts.length > 0 && INTERFACE_FILE.test(parts[parts.length - 1]!)) parts.pop();
    if (parts[0] === 'unified') return { v2: '/' + parts.slice(1).join('/'), v1: null, either: null };
    if (parts.length > 0 && V1_DIRS.test(parts[0]!)) return { v2: null, v1: '/' + parts.slice(1).join('/'), either: null };
    return { v2: '/' + parts.join('/'), v1: null, either: null };
  }
  return { v2: null, v1: null, either: path };
}

/**
 * The paths relative to each hierarchy root that the kernel test creates (`..` components of a
 * cgroup namespace dropped). A quote that shows one hierarchy only gets the same path in the other,
 * as a systemd host shows it in both; '' when the quote has no path below the root.
 */
export function samplePaths(quote: string): { v2: string; v1: string } {
  const p = placement(quote);
  const clean = (s: string | null) =>
    (s ?? '')
      .split('/')
      .filter((c) => c !== '' && c !== '..')
      .join('/');
  if (p.either !== null) return { v2: clean(p.either), v1: clean(p.either) };
  const v2 = clean(p.v2);
  const v1 = clean(p.v1);
  return { v2: v2 || v1, v1: v1 || v2 };
}
