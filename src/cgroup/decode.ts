/**
 * Decode a cgroup path into "which pod / container (or host unit) is this".
 *
 * The paths come from the tracer one component at a time, walked up from the leaf for a bounded
 * number of levels, and each component may be cut at bpftrace's string size. So nothing here is
 * anchored at the root: the kubelet may sit under a cgroup-root prefix (kind), and the top of a
 * deep path may be missing. Every id is validated in full; a damaged name is never guessed at.
 */
import type { CgroupIdentity } from './types.js';

type PodIdentity = Extract<CgroupIdentity, { kind: 'pod' }>;
type Qos = PodIdentity['qos'];
type Runtime = PodIdentity['runtime'];

/** The pod part of a path: who the pod is, and where in the component list it was found. */
interface PodSlot {
  index: number;
  podUid: string;
  staticPod: boolean;
  qos: Qos;
  /** The container, when the pod's component names it too (the runtime notation below). */
  leaf?: string;
}

/** A fresh object each time: callers own what they get back. */
const hostUnknown = (): CgroupIdentity => ({ kind: 'host', unit: null });

// Lowercase only: the kubelet and the runtimes always write lowercase hex, so anything else is not
// one of their names.
const HEX64 = '[0-9a-f]{64}';
const HASH32 = /^[0-9a-f]{32}$/;
const UUID_DASHED = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
// systemd reads '-' in a slice name as "child of", so the kubelet writes the uid with '_' instead.
const UUID_UNDERSCORED = /^[0-9a-f]{8}_[0-9a-f]{4}_[0-9a-f]{4}_[0-9a-f]{4}_[0-9a-f]{12}$/;

/**
 * systemd driver pod slice: `kubepods[-<qos>]-pod<uid>.slice`, possibly with a kubelet cgroup-root
 * prefix folded into the name (`kubelet-kubepods-besteffort-pod<uid>.slice` on kind).
 * SYSTEMD_POD_SHAPE only says "this component is meant to be a pod slice"; the full match decides
 * whether it is an intact one.
 */
const SYSTEMD_POD_SHAPE = /(?:^|-)kubepods-(?:(?:besteffort|burstable)-)?pod/;
const SYSTEMD_POD = /^(?:.+-)?kubepods-(?:(besteffort|burstable)-)?pod([^-/]+)\.slice$/;

/**
 * A runtime given a systemd cgroupsPath (`<slice>:<prefix>:<id>`) that it does not convert — runc or
 * runsc with the cgroupfs driver — creates that string as ONE directory, below its own cgroup
 * (`system.slice/containerd.service/kubepods-besteffort-pod<uid_>.slice:cri-containerd:<id>`) or at
 * the root. The systemd driver would have made it `<slice>/<prefix>-<id>.scope`, so the notation is
 * read as exactly that: the slice part as the pod, `<prefix>-<id>.scope` as its leaf.
 */
const RUNTIME_NOTATION = /^([^:]+\.slice):([a-z][a-z-]*):([^:]+)$/;

/** cgroupfs driver pod directory: `pod<uid>` below `kubepods/<qos>` or directly below `kubepods`. */
const CGROUPFS_POD = /^pod(.*)$/;
const CGROUPFS_QOS = /^(besteffort|burstable)$/;

/** Any component of the kubelet's tree; used to refuse reading container scopes as host units. */
const KUBEPODS_TREE = /(?:^|-)kubepods(?:[.-]|$)/;
/**
 * A pod uid anywhere in a component (`BestEffort-pod<uid_>.slice` of Kubernetes 1.5, a runtime's
 * misencoded slice): a pod's cgroup the decoder cannot read. Never passed off as a host unit.
 */
const POD_UID_ANYWHERE = /pod[0-9a-f]{8}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{12}/;

/** Container leaves directly below the pod cgroup, per runtime and driver. */
const CONTAINER_LEAVES: ReadonlyArray<{ pattern: RegExp; runtime: Runtime }> = [
  { pattern: new RegExp(`^crio-(${HEX64})\\.scope$`), runtime: 'crio' }, // systemd
  { pattern: new RegExp(`^crio-(${HEX64})$`), runtime: 'crio' }, // cgroupfs
  { pattern: new RegExp(`^cri-containerd-(${HEX64})\\.scope$`), runtime: 'containerd' },
  { pattern: new RegExp(`^cri-containerd-(${HEX64})$`), runtime: 'containerd' }, // cgroupfs runc under a systemd kubelet
  { pattern: new RegExp(`^docker-(${HEX64})\\.scope$`), runtime: 'docker' },
  // cgroupfs containerd / docker name the leaf by the bare id: the runtime cannot be told.
  { pattern: new RegExp(`^(${HEX64})$`), runtime: null },
];

/** Runtime helpers beside the containers: not a container, but the id of the one they serve. */
const HELPER_LEAVES: ReadonlyArray<{ pattern: RegExp; helper: NonNullable<PodIdentity['helper']>; runtime: Runtime }> = [
  // CRI-O's conmon, in its own scope (or directory with cgroupfs).
  { pattern: new RegExp(`^crio-conmon-(${HEX64})(?:\\.scope)?$`), helper: 'conmon', runtime: 'crio' },
  // Kata's shim and VMM (host side; the workload runs in the guest), named after the sandbox.
  { pattern: new RegExp(`^kata_(${HEX64})$`), helper: 'kata', runtime: null },
];

const SERVICE_OR_SCOPE = /^[\w:.\\@-]+\.(?:service|scope)$/;
const OTHER_UNIT = /^[\w:.\\@-]+\.(?:socket|mount|swap|slice)$/;
/** Slices that say nothing about what ran: the root slice and the top-level grouping slices. */
const GENERIC_SLICES = new Set(['-.slice', 'system.slice', 'user.slice', 'machine.slice']);

function components(path: string): string[] {
  return path.split('/').filter((c) => c !== '');
}

/** The uid as the API spells it, from its cgroup spelling; null when it is not an intact id. */
function podUidFrom(raw: string, dashed: RegExp): { podUid: string; staticPod: boolean } | null {
  if (dashed.test(raw)) return { podUid: raw.replaceAll('_', '-'), staticPod: false };
  // Static pods have no API uid yet when the kubelet creates their cgroup: it uses the config hash.
  if (HASH32.test(raw)) return { podUid: raw, staticPod: true };
  return null;
}

type SlotResult = PodSlot | 'damaged' | null;

function systemdPodAt(parts: readonly string[], index: number): SlotResult {
  const component = parts[index] ?? '';
  if (!SYSTEMD_POD_SHAPE.test(component)) return null;
  const notation = component.includes(':') ? RUNTIME_NOTATION.exec(component) : null;
  const name = notation ? (notation[1] ?? '') : component;
  const match = SYSTEMD_POD.exec(name);
  const uid = match ? podUidFrom(match[2] ?? '', UUID_UNDERSCORED) : null;
  if (!match || !uid) return 'damaged';
  const slot: PodSlot = { index, ...uid, qos: (match[1] as Qos | undefined) ?? 'guaranteed' };
  if (notation) slot.leaf = `${notation[2]}-${notation[3]}.scope`;
  return slot;
}

function cgroupfsPodAt(parts: readonly string[], index: number): SlotResult {
  const match = CGROUPFS_POD.exec(parts[index] ?? '');
  if (!match) return null;
  // A bare `pod...` directory means nothing on its own; only below kubepods[/<qos>] is it a pod.
  const parent = parts[index - 1];
  const qosMatch = parent === undefined ? null : CGROUPFS_QOS.exec(parent);
  let qos: Qos;
  if (parent === 'kubepods') qos = 'guaranteed';
  else if (qosMatch && parts[index - 2] === 'kubepods') qos = qosMatch[1] as Qos;
  else return null;
  const uid = podUidFrom(match[1] ?? '', UUID_DASHED);
  return uid ? { index, ...uid, qos } : 'damaged';
}

/**
 * The outermost pod-shaped component decides. Outermost, because the path is relative to the
 * tracer's hierarchy root, and a pod nested below that (kind inside a pod) belongs to another kubelet.
 */
function findPod(parts: readonly string[]): SlotResult {
  for (let i = 0; i < parts.length; i++) {
    const slot = systemdPodAt(parts, i) ?? cgroupfsPodAt(parts, i);
    if (slot) return slot;
  }
  return null;
}

type LeafIdentity = Pick<PodIdentity, 'containerId' | 'runtime' | 'helper' | 'helperFor'>;

/** What ran below the pod cgroup: only the component right below it counts. */
function decodeLeaf(leaf: string | undefined): LeafIdentity {
  // No leaf, a damaged leaf or an unknown one: the pod is certain, the container is not.
  const none = { containerId: null, runtime: null, helper: null } as const;
  if (leaf === undefined) return none;
  for (const { pattern, helper, runtime } of HELPER_LEAVES) {
    const match = pattern.exec(leaf);
    if (match) return { containerId: null, runtime, helper, helperFor: match[1] ?? '' };
  }
  for (const { pattern, runtime } of CONTAINER_LEAVES) {
    const match = pattern.exec(leaf);
    // Sub-cgroups below the scope (crun's `/container` on cgroup v2, or anything an app creates)
    // are still that container, which is why deeper components are not looked at.
    if (match) return { containerId: match[1] ?? null, runtime, helper: null };
  }
  return none;
}

/** The innermost systemd unit worth naming: a service or scope first, else any other unit. */
function hostUnit(parts: readonly string[]): string | null {
  const inner = [...parts].reverse();
  return inner.find((c) => SERVICE_OR_SCOPE.test(c)) ?? inner.find((c) => OTHER_UNIT.test(c) && !GENERIC_SLICES.has(c)) ?? null;
}

/** Decode one cgroup path (relative to its hierarchy root; '' or '/' is the root). */
export function decodeCgroupPath(path: string): CgroupIdentity {
  const parts = components(path);
  const pod = findPod(parts);
  // A damaged pod name cannot be attributed, and its container scope must not pass for a host unit.
  if (pod === 'damaged') return hostUnknown();
  if (pod === null) {
    // Same reason: inside the kubelet's tree without an intact pod, nothing here is a host unit.
    if (parts.some((c) => KUBEPODS_TREE.test(c) || POD_UID_ANYWHERE.test(c))) return hostUnknown();
    return { kind: 'host', unit: hostUnit(parts) };
  }
  return {
    kind: 'pod',
    podUid: pod.podUid,
    staticPod: pod.staticPod,
    qos: pod.qos,
    ...decodeLeaf(pod.leaf ?? parts[pod.index + 1]),
  };
}

/**
 * Decide from both hierarchies. On hybrid hosts the kubelet may only manage one of them, so a pod
 * seen in either beats a host reading of the other. null = that hierarchy was not captured.
 */
export function decodeCgroups(v2: string | null, v1: string | null): { identity: CgroupIdentity; path: string } {
  const a = v2 === null ? null : { identity: decodeCgroupPath(v2), path: v2 };
  const b = v1 === null ? null : { identity: decodeCgroupPath(v1), path: v1 };
  if (!a || !b) return a ?? b ?? { identity: hostUnknown(), path: '' };

  const [x, y] = [a.identity, b.identity];
  if (x.kind === 'pod' && y.kind === 'pod') {
    // Same pod: the hierarchy that also names the container knows more. Different pods: the
    // unified hierarchy is the one the kubelet manages on current systems, so trust v2.
    if (x.podUid === y.podUid && x.containerId === null && y.containerId !== null) return b;
    return a;
  }
  if (x.kind === 'pod') return a;
  if (y.kind === 'pod') return b;
  if (x.unit === null && y.unit !== null) return b;
  return a;
}
