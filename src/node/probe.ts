/**
 * The node probe: what the tracer needs to know about a node before the bpftrace program can be
 * rendered for it. PROBE_COMMAND runs on the node (in the debug pod, or locally with --local);
 * parseProbe() turns its output into NodeFacts. Both are pure data: nothing user-typed goes in.
 */

/**
 * The commands the debug pod runs besides `sh` and `bpftrace` (docs/debug-image.md, "The image
 * contract", says why each; README "The debug pod image" lists them): `sleep`, `touch` and `rm` run the container's command (the lease check, src/node/lease.ts); env runs bpftrace
 * (src/node/render.ts), head stages the program and cat and kill stop bpftrace
 * (src/kube/exec-runner.ts), uname, cat and grep are this probe's, mount mounts tracefs and debugfs
 * (src/node/tracer-command.ts). perl, for batching, is optional and probed on its own.
 * Keep in sync with those files, the README list and the docs table (test/docs/image-contract.test.ts checks).
 */
export const REQUIRED_TOOLS: readonly string[] = Object.freeze([
  'sleep',
  'touch',
  'rm',
  'env',
  'head',
  'cat',
  'kill',
  'grep',
  'uname',
  'mount',
]);

/**
 * A fixed script: its text never contains user input. /proc/1 is the host's init with hostPID.
 * The tools come first, so that a missing one is named before a section that needs it says less.
 */
export const PROBE_SCRIPT = [
  `echo "== tools"; for t in ${REQUIRED_TOOLS.join(' ')}; do command -v "$t" >/dev/null 2>&1 || echo "$t"; done`,
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

/** Commands of the image contract that the node (the debug image, or this machine) does not have. */
export class MissingToolsError extends ProbeError {
  constructor(readonly missing: readonly string[]) {
    super(`missing ${missing.join(', ')}`);
  }
}

/**
 * Pure: the one line for missing commands. `image` is the debug image (null with --local, where
 * this machine runs them).
 */
export function missingToolsMessage(node: string, missing: readonly string[], image: string | null): string {
  const what = missing.map((t) => `\`${t}\``).join(', ');
  return image
    ? `${node}: the debug image ${image} has no ${what}: pass --image with an image that has every command of the contract (README "The debug pod image", "The image contract")`
    : `${node}: this machine has no ${what}, which trace-exec runs (README "The debug pod image", "The image contract")`;
}

/**
 * Pure: the command a container runtime could not find, from the message of a failed exec
 * (`exec: "sh": executable file not found in $PATH`, containerd and CRI-O alike); null for others.
 */
export function commandNotFound(message: string): string | null {
  return /exec: "([^"]+)": (?:executable file not found|no such file or directory)/i.exec(message)?.[1] ?? null;
}

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
  // Every missing command at once, before anything that needs one (uname below) says less.
  const missing = [
    ...(s.get('tools') ?? []).map((l) => l.trim()).filter((t) => REQUIRED_TOOLS.includes(t)),
    ...(bpftrace === null ? ['bpftrace'] : []),
  ];
  if (missing.length > 0) throw new MissingToolsError(missing);
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
    if (c?.enabled && c.hierarchy > 0 && mounted.has(name)) return c;
  }
  return null;
}
