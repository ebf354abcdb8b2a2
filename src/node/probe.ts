/**
 * The node probe: what the tracer needs to know about a node before the bpftrace program can be
 * rendered for it. PROBE_COMMAND runs on the node (in the debug pod, or locally with --local);
 * parseProbe() turns its output into NodeFacts. Both are pure data: nothing user-typed goes in.
 */

/** A fixed script: its text never contains user input. /proc/1 is the host's init with hostPID. */
export const PROBE_SCRIPT = [
  'echo "== bpftrace"; (command -v bpftrace >/dev/null && bpftrace --version) 2>&1 || echo missing',
  'echo "== uname"; uname -r',
  'echo "== cgroups"; cat /proc/cgroups',
  'echo "== mounts"; grep -E " (cgroup|cgroup2|tracefs|debugfs) " /proc/1/mounts 2>/dev/null || grep -E " (cgroup|cgroup2|tracefs|debugfs) " /proc/mounts',
  'echo "== btf"; if [ -e /sys/kernel/btf/vmlinux ]; then echo yes; else echo no; fi',
  'echo "== perl"; if command -v perl >/dev/null; then echo yes; else echo no; fi',
  'echo "== end"',
].join('\n');

export const PROBE_COMMAND: readonly string[] = ['sh', '-c', PROBE_SCRIPT];

export type Version = readonly [number, number, number];

export interface CgroupController {
  name: string;
  /** Hierarchy id in /proc/cgroups; 0 = not bound to a v1 hierarchy (on cgroup2 or unused). */
  hierarchy: number;
  enabled: boolean;
  /** The controller's subsystem id: its line index in /proc/cgroups, used as cgroups->subsys[index]. */
  index: number;
}

export interface NodeFacts {
  bpftrace: Version | null;
  bpftraceRaw: string;
  kernel: Version;
  kernelRelease: string;
  controllers: CgroupController[];
  /** Mount points of cgroup v1 hierarchies by controller (or name=systemd) and of cgroup2. */
  v1Mounts: { path: string; options: string[] }[];
  v2Mount: string | null;
  tracefs: boolean;
  btf: boolean;
  /** perl is there to batch bpftrace's output on the node (src/node/tracer-command.ts). */
  perl: boolean;
}

export class ProbeError extends Error {}

function sections(output: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let current: string[] | null = null;
  for (const line of output.split('\n')) {
    const m = /^== (\w+)$/.exec(line);
    if (m) {
      current = [];
      out.set(m[1]!, current);
    } else if (current && line.trim() !== '') {
      current.push(line);
    }
  }
  return out;
}

export function parseVersion(text: string): Version | null {
  const m = /(\d+)\.(\d+)(?:\.(\d+))?/.exec(text);
  return m ? [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)] : null;
}

export function versionAtLeast(v: Version, major: number, minor: number, patch = 0): boolean {
  if (v[0] !== major) return v[0] > major;
  if (v[1] !== minor) return v[1] > minor;
  return v[2] >= patch;
}

export function parseProbe(output: string): NodeFacts {
  const s = sections(output);
  if (!s.has('end')) {
    throw new ProbeError(`the node probe did not finish; its output was:\n${output.slice(0, 2000)}`);
  }
  const bpftraceRaw = (s.get('bpftrace') ?? []).join(' ').trim();
  const bpftrace = bpftraceRaw === 'missing' ? null : parseVersion(bpftraceRaw);
  const kernelRelease = (s.get('uname') ?? [])[0]?.trim() ?? '';
  const kernel = parseVersion(kernelRelease);
  if (!kernel) throw new ProbeError(`the node probe returned no kernel release (uname -r said "${kernelRelease}")`);

  const controllers: CgroupController[] = [];
  for (const line of s.get('cgroups') ?? []) {
    if (line.startsWith('#')) continue;
    const [name, hierarchy, , enabled] = line.trim().split(/\s+/);
    if (!name || hierarchy === undefined) continue;
    controllers.push({ name, hierarchy: Number(hierarchy), enabled: enabled === '1', index: controllers.length });
  }

  const v1Mounts: NodeFacts['v1Mounts'] = [];
  let v2Mount: string | null = null;
  let tracefs = false;
  for (const line of s.get('mounts') ?? []) {
    const [, path, type, opts] = line.trim().split(/\s+/);
    if (!path || !type) continue;
    if (type === 'cgroup2') v2Mount ??= path;
    else if (type === 'cgroup') v1Mounts.push({ path, options: (opts ?? '').split(',') });
    else if (type === 'tracefs') tracefs = true;
  }
  const btf = (s.get('btf') ?? [])[0]?.trim() === 'yes';
  const perl = (s.get('perl') ?? [])[0]?.trim() === 'yes';
  return { bpftrace, bpftraceRaw, kernel, kernelRelease, controllers, v1Mounts, v2Mount, tracefs, btf, perl };
}

/** The v1 controllers kubelet always places pods in, most telling first. */
const V1_PREFERENCE = ['memory', 'pids', 'cpu', 'cpuacct', 'cpuset', 'blkio', 'devices', 'freezer'];

/**
 * The v1 controller whose hierarchy the program reads, or null on a pure cgroup v2 host. It must be
 * enabled, bound to a hierarchy and mounted; its index comes from /proc/cgroups, never a constant.
 */
export function chooseV1Controller(facts: NodeFacts): CgroupController | null {
  const mounted = new Set(facts.v1Mounts.flatMap((m) => m.options));
  for (const name of V1_PREFERENCE) {
    const c = facts.controllers.find((x) => x.name === name);
    if (c && c.enabled && c.hierarchy > 0 && mounted.has(name)) return c;
  }
  return null;
}
