import { describe, expect, it } from 'vitest';
import { decodeCgroupPath, decodeCgroups } from './decode.js';
import type { CgroupIdentity } from './types.js';

type PodIdentity = Extract<CgroupIdentity, { kind: 'pod' }>;

// A pod uid as the API spells it, and as the systemd driver must spell it ('-' means "child of").
const UID = 'da0fc44d-097e-4b6f-9acb-ccef37f65eab';
const UID_ = 'da0fc44d_097e_4b6f_9acb_ccef37f65eab';
const OTHER_UID = '1b2c3d4e-5f60-4a7b-8c9d-0e1f2a3b4c5d';
const OTHER_UID_ = '1b2c3d4e_5f60_4a7b_8c9d_0e1f2a3b4c5d';
// A static pod's cgroup carries the 32-hex config hash instead of a uid.
const HASH = '0123456789abcdef0123456789abcdef';
// Container ids are 64 lowercase hex.
const ID = '0123456789abcdef'.repeat(4);

/** Expected pod identity; defaults describe a burstable CRI-O container. */
const pod = (fields: Partial<PodIdentity> = {}): CgroupIdentity => ({
  kind: 'pod',
  podUid: UID,
  staticPod: false,
  qos: 'burstable',
  containerId: ID,
  runtime: 'crio',
  helper: null,
  ...fields,
});
/** Expected pod identity for an exec in the pod cgroup itself, or below an unreadable leaf. */
const podOnly = (fields: Partial<PodIdentity> = {}): CgroupIdentity => pod({ containerId: null, runtime: null, ...fields });
const host = (unit: string | null): CgroupIdentity => ({ kind: 'host', unit });

interface Row {
  layout: string;
  path: string;
  expected: CgroupIdentity;
}

const table = (rows: Row[]) =>
  it.each(rows)('$layout', ({ path, expected }) => {
    expect(decodeCgroupPath(path)).toStrictEqual(expected);
  });

describe('decodeCgroupPath', () => {
  describe('systemd driver: kubepods.slice/kubepods-<qos>.slice/kubepods-<qos>-pod<uid_>.slice/<leaf>', () => {
    table([
      {
        layout: 'CRI-O, burstable',
        path: `/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${UID_}.slice/crio-${ID}.scope`,
        expected: pod({ qos: 'burstable', runtime: 'crio' }),
      },
      {
        layout: 'CRI-O, besteffort',
        path: `/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod${UID_}.slice/crio-${ID}.scope`,
        expected: pod({ qos: 'besteffort', runtime: 'crio' }),
      },
      {
        layout: 'CRI-O, guaranteed (no QoS level)',
        path: `/kubepods.slice/kubepods-pod${UID_}.slice/crio-${ID}.scope`,
        expected: pod({ qos: 'guaranteed', runtime: 'crio' }),
      },
      {
        layout: 'containerd, burstable',
        path: `/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${UID_}.slice/cri-containerd-${ID}.scope`,
        expected: pod({ qos: 'burstable', runtime: 'containerd' }),
      },
      {
        layout: 'containerd, besteffort',
        path: `/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod${UID_}.slice/cri-containerd-${ID}.scope`,
        expected: pod({ qos: 'besteffort', runtime: 'containerd' }),
      },
      {
        layout: 'containerd, guaranteed (no QoS level)',
        path: `/kubepods.slice/kubepods-pod${UID_}.slice/cri-containerd-${ID}.scope`,
        expected: pod({ qos: 'guaranteed', runtime: 'containerd' }),
      },
      {
        layout: 'docker (cri-dockerd), burstable',
        path: `/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${UID_}.slice/docker-${ID}.scope`,
        expected: pod({ qos: 'burstable', runtime: 'docker' }),
      },
      {
        layout: 'docker (cri-dockerd), besteffort',
        path: `/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod${UID_}.slice/docker-${ID}.scope`,
        expected: pod({ qos: 'besteffort', runtime: 'docker' }),
      },
      {
        layout: 'docker (cri-dockerd), guaranteed (no QoS level)',
        path: `/kubepods.slice/kubepods-pod${UID_}.slice/docker-${ID}.scope`,
        expected: pod({ qos: 'guaranteed', runtime: 'docker' }),
      },
      {
        layout: 'no leading slash',
        path: `kubepods.slice/kubepods-pod${UID_}.slice/crio-${ID}.scope`,
        expected: pod({ qos: 'guaranteed' }),
      },
      {
        layout: 'top of a deep path cut off by the tracer: the pod slice alone still decides',
        path: `/kubepods-burstable-pod${UID_}.slice/crio-${ID}.scope`,
        expected: pod(),
      },
    ]);
  });

  describe('cgroupfs driver: kubepods/<qos>/pod<uid>/<leaf>', () => {
    table([
      {
        layout: 'bare id (containerd, docker): runtime unknown, burstable',
        path: `/kubepods/burstable/pod${UID}/${ID}`,
        expected: pod({ qos: 'burstable', runtime: null }),
      },
      {
        layout: 'bare id, besteffort',
        path: `/kubepods/besteffort/pod${UID}/${ID}`,
        expected: pod({ qos: 'besteffort', runtime: null }),
      },
      {
        layout: 'bare id, guaranteed (no QoS level)',
        path: `/kubepods/pod${UID}/${ID}`,
        expected: pod({ qos: 'guaranteed', runtime: null }),
      },
      {
        layout: 'CRI-O (crio-<id>, no .scope), burstable',
        path: `/kubepods/burstable/pod${UID}/crio-${ID}`,
        expected: pod({ qos: 'burstable', runtime: 'crio' }),
      },
      {
        layout: 'CRI-O, besteffort',
        path: `/kubepods/besteffort/pod${UID}/crio-${ID}`,
        expected: pod({ qos: 'besteffort', runtime: 'crio' }),
      },
      {
        layout: 'CRI-O, guaranteed (no QoS level)',
        path: `/kubepods/pod${UID}/crio-${ID}`,
        expected: pod({ qos: 'guaranteed', runtime: 'crio' }),
      },
      {
        layout: 'pod<uid> that is not below kubepods is not a pod',
        path: `/machines/pod${UID}/${ID}`,
        expected: host(null),
      },
    ]);
  });

  describe('kubelet cgroup-root prefix (kind): never anchored at the root', () => {
    table([
      {
        layout: 'systemd: kubelet.slice/kubelet-kubepods.slice/…/kubelet-kubepods-besteffort-pod<uid_>.slice',
        path: `/kubelet.slice/kubelet-kubepods.slice/kubelet-kubepods-besteffort.slice/kubelet-kubepods-besteffort-pod${UID_}.slice/cri-containerd-${ID}.scope`,
        expected: pod({ qos: 'besteffort', runtime: 'containerd' }),
      },
      {
        layout: 'systemd, guaranteed: kubelet-kubepods-pod<uid_>.slice',
        path: `/kubelet.slice/kubelet-kubepods.slice/kubelet-kubepods-pod${UID_}.slice/cri-containerd-${ID}.scope`,
        expected: pod({ qos: 'guaranteed', runtime: 'containerd' }),
      },
      {
        layout: 'cgroupfs: kubelet/kubepods/<qos>/pod<uid>',
        path: `/kubelet/kubepods/burstable/pod${UID}/${ID}`,
        expected: pod({ qos: 'burstable', runtime: null }),
      },
    ]);
  });

  describe('static pods: the cgroup carries the 32-hex config hash, kept as is', () => {
    table([
      {
        layout: 'systemd, besteffort',
        path: `/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod${HASH}.slice/crio-${ID}.scope`,
        expected: pod({ podUid: HASH, staticPod: true, qos: 'besteffort' }),
      },
      {
        layout: 'systemd, guaranteed',
        path: `/kubepods.slice/kubepods-pod${HASH}.slice/cri-containerd-${ID}.scope`,
        expected: pod({ podUid: HASH, staticPod: true, qos: 'guaranteed', runtime: 'containerd' }),
      },
      {
        layout: 'cgroupfs, besteffort',
        path: `/kubepods/besteffort/pod${HASH}/${ID}`,
        expected: pod({ podUid: HASH, staticPod: true, qos: 'besteffort', runtime: null }),
      },
      {
        layout: 'cgroupfs, burstable, pod cgroup itself',
        path: `/kubepods/burstable/pod${HASH}`,
        expected: podOnly({ podUid: HASH, staticPod: true }),
      },
    ]);
  });

  describe('below and beside the container', () => {
    table([
      {
        layout: 'exec in the pod cgroup itself (systemd): pod, no container',
        path: `/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${UID_}.slice`,
        expected: podOnly(),
      },
      {
        layout: 'exec in the pod cgroup itself (cgroupfs): pod, no container',
        path: `/kubepods/besteffort/pod${UID}/`,
        expected: podOnly({ qos: 'besteffort' }),
      },
      {
        layout: 'CRI-O conmon scope is a helper, not the container; the id it serves is kept',
        path: `/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${UID_}.slice/crio-conmon-${ID}.scope`,
        expected: podOnly({ runtime: 'crio', helper: 'conmon', helperFor: ID }),
      },
      {
        layout: 'CRI-O conmon with cgroupfs (crio-conmon-<id>)',
        path: `/kubepods/pod${UID}/crio-conmon-${ID}`,
        expected: podOnly({ qos: 'guaranteed', runtime: 'crio', helper: 'conmon', helperFor: ID }),
      },
      {
        layout: 'crun on cgroup v2: <scope>/container is still that container',
        path: `/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${UID_}.slice/crio-${ID}.scope/container`,
        expected: pod(),
      },
      {
        layout: 'deeper unknown sub-cgroups below the scope are still that container',
        path: `/kubepods.slice/kubepods-pod${UID_}.slice/cri-containerd-${ID}.scope/app/worker-1`,
        expected: pod({ qos: 'guaranteed', runtime: 'containerd' }),
      },
      {
        layout: 'unknown leaf: the pod is certain, the container is not',
        path: `/kubepods.slice/kubepods-pod${UID_}.slice/something-else.scope`,
        expected: podOnly({ qos: 'guaranteed' }),
      },
      {
        layout: 'a pod nested inside a container (kind in a pod) belongs to the outer pod',
        path: `/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${UID_}.slice/cri-containerd-${ID}.scope/kubelet.slice/kubelet-kubepods.slice/kubelet-kubepods-pod${OTHER_UID_}.slice/cri-containerd-${'f'.repeat(64)}.scope`,
        expected: pod({ runtime: 'containerd' }),
      },
    ]);
  });

  describe('runtime notation <slice>:<prefix>:<id> created literally as one directory (runc/runsc with cgroupfs)', () => {
    table([
      {
        layout: 'below containerd.service: read as <slice>/<prefix>-<id>.scope',
        path: `/system.slice/containerd.service/kubepods-besteffort-pod${UID_}.slice:cri-containerd:${ID}`,
        expected: pod({ qos: 'besteffort', runtime: 'containerd' }),
      },
      {
        layout: 'at the root (controllers containerd.service does not hold), guaranteed',
        path: `/kubepods-pod${UID_}.slice:cri-containerd:${ID}`,
        expected: pod({ qos: 'guaranteed', runtime: 'containerd' }),
      },
      {
        layout: 'CRI-O prefix, with a kubelet cgroup-root prefix in the slice name',
        path: `/kubelet-kubepods-burstable-pod${UID_}.slice:crio:${ID}`,
        expected: pod({ runtime: 'crio' }),
      },
      {
        layout: 'a sub-cgroup below it is still that container',
        path: `/system.slice/containerd.service/kubepods-burstable-pod${UID_}.slice:cri-containerd:${ID}/container`,
        expected: pod({ runtime: 'containerd' }),
      },
      {
        layout: 'id cut short: the pod without a container',
        path: `/kubepods-burstable-pod${UID_}.slice:cri-containerd:${ID.slice(1)}`,
        expected: podOnly(),
      },
      {
        layout: 'uid cut short: not a pod, and not a host unit',
        path: `/system.slice/containerd.service/kubepods-burstable-pod${UID_.slice(1)}.slice:cri-containerd:${ID}`,
        expected: host(null),
      },
    ]);
  });

  describe('more leaves and helpers', () => {
    table([
      {
        layout: 'containerd leaf without .scope (cgroupfs runc under a systemd kubelet)',
        path: `/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${UID_}.slice/cri-containerd-${ID}`,
        expected: pod({ runtime: 'containerd' }),
      },
      {
        layout: 'Kata sandbox cgroup kata_<id>: a helper of the pod, with the sandbox id',
        path: `/kubepods/burstable/pod${UID}/kata_${ID}`,
        expected: podOnly({ helper: 'kata', helperFor: ID }),
      },
      {
        layout: 'Kata overhead cgroup outside the pod: host',
        path: `/kata_overhead/${ID}`,
        expected: host(null),
      },
      {
        layout: 'a pod uid the decoder cannot place (Kubernetes 1.5 BestEffort.slice) is never a host unit',
        path: `/system.slice/docker.service/BestEffort.slice/BestEffort-pod${UID_}.slice/${ID}`,
        expected: host(null),
      },
    ]);
  });

  describe('host processes: the innermost systemd unit', () => {
    table([
      { layout: 'sshd', path: '/system.slice/sshd.service', expected: host('sshd.service') },
      { layout: 'kubelet', path: '/system.slice/kubelet.service', expected: host('kubelet.service') },
      { layout: 'CRI-O daemon', path: '/system.slice/crio.service', expected: host('crio.service') },
      { layout: 'containerd daemon', path: '/system.slice/containerd.service', expected: host('containerd.service') },
      { layout: 'login session', path: '/user.slice/user-0.slice/session-3.scope', expected: host('session-3.scope') },
      {
        layout: 'user manager: innermost service or scope wins',
        path: '/user.slice/user-1000.slice/user@1000.service/app.slice/app-foo.scope',
        expected: host('app-foo.scope'),
      },
      { layout: 'systemd itself', path: '/init.scope', expected: host('init.scope') },
      { layout: 'root, empty', path: '', expected: host(null) },
      { layout: 'root, slash', path: '/', expected: host(null) },
      { layout: 'only a generic slice says nothing', path: '/system.slice', expected: host(null) },
      { layout: 'no service or scope: the innermost specific unit', path: '/system.slice/foo.mount', expected: host('foo.mount') },
      { layout: 'not systemd at all', path: `/docker/${ID}`, expected: host(null) },
      {
        layout: 'a QoS slice is the kubelet’s, not a host unit',
        path: '/kubepods.slice/kubepods-burstable.slice',
        expected: host(null),
      },
    ]);
  });

  describe('damaged names are never misread (bpftrace cuts strings at 63 characters)', () => {
    const FULL = `kubepods-burstable-pod${UID_}.slice`;
    const CUT = FULL.slice(0, 63);

    it('the boundary: the intact slice name is 64 characters, the cut one 63', () => {
      expect(FULL).toHaveLength(64);
      expect(CUT).toBe(`kubepods-burstable-pod${UID_}.slic`);
    });

    table([
      { layout: '64 characters, intact: a pod', path: `/kubepods.slice/kubepods-burstable.slice/${FULL}`, expected: podOnly() },
      { layout: '63 characters, cut: not a pod', path: `/kubepods.slice/kubepods-burstable.slice/${CUT}`, expected: host(null) },
      {
        layout: 'cut pod slice: its container scope is not passed off as a host unit',
        path: `/kubepods.slice/kubepods-burstable.slice/${CUT}/crio-${ID}.scope`,
        expected: host(null),
      },
      {
        layout: 'systemd uid one character short',
        path: `/kubepods.slice/kubepods-pod${UID_.slice(1)}.slice/crio-${ID}.scope`,
        expected: host(null),
      },
      {
        layout: 'systemd uid with dashes (systemd would have nested it)',
        path: `/kubepods.slice/kubepods-pod${UID}.slice/crio-${ID}.scope`,
        expected: host(null),
      },
      {
        layout: 'uppercase uid',
        path: `/kubepods.slice/kubepods-pod${UID_.toUpperCase()}.slice/crio-${ID}.scope`,
        expected: host(null),
      },
      {
        layout: 'static pod hash of 31 hex',
        path: `/kubepods.slice/kubepods-pod${HASH.slice(1)}.slice/crio-${ID}.scope`,
        expected: host(null),
      },
      {
        layout: 'cgroupfs uid with underscores',
        path: `/kubepods/burstable/pod${UID_}/${ID}`,
        expected: host(null),
      },
      {
        layout: 'cgroupfs uppercase uid',
        path: `/kubepods/burstable/pod${UID.toUpperCase()}/${ID}`,
        expected: host(null),
      },
      {
        layout: 'container id of 63 hex: pod without container',
        path: `/kubepods/burstable/pod${UID}/${ID.slice(1)}`,
        expected: podOnly(),
      },
      {
        layout: 'container id of 65 hex: pod without container',
        path: `/kubepods/burstable/pod${UID}/${ID}0`,
        expected: podOnly(),
      },
      {
        layout: 'uppercase container id: pod without container',
        path: `/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${UID_}.slice/crio-${ID.toUpperCase()}.scope`,
        expected: podOnly(),
      },
      {
        layout: 'container scope cut at 63 characters: pod without container',
        path: `/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${UID_}.slice/${`cri-containerd-${ID}.scope`.slice(0, 63)}`,
        expected: podOnly(),
      },
      {
        layout: 'conmon with a short id: neither container nor helper',
        path: `/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${UID_}.slice/crio-conmon-${ID.slice(1)}.scope`,
        expected: podOnly(),
      },
    ]);
  });
});

describe('decodeCgroups(v2, v1): a pod in either hierarchy beats a host reading of the other', () => {
  const CONTAINER_V2 = `/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${UID_}.slice/crio-${ID}.scope`;
  const POD_ONLY_V2 = `/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${UID_}.slice`;
  const CONMON_V2 = `${POD_ONLY_V2}/crio-conmon-${ID}.scope`;
  const CONTAINER_V1 = `/kubepods/burstable/pod${UID}/crio-${ID}`;
  const POD_ONLY_V1 = `/kubepods/burstable/pod${UID}`;
  const OTHER_POD_V1 = `/kubepods/burstable/pod${OTHER_UID}/crio-${ID}`;
  const SSHD = '/system.slice/sshd.service';
  const KUBELET = '/system.slice/kubelet.service';

  it.each<{ situation: string; v2: string | null; v1: string | null; decidedBy: 'v2' | 'v1' | 'neither' }>([
    { situation: 'pod in v1 only, v2 at the root', v2: '', v1: CONTAINER_V1, decidedBy: 'v1' },
    { situation: 'pod in v1 only, v2 a systemd unit', v2: KUBELET, v1: CONTAINER_V1, decidedBy: 'v1' },
    { situation: 'pod in v2 only, v1 at the root', v2: CONTAINER_V2, v1: '/', decidedBy: 'v2' },
    { situation: 'pod in v2 only, v1 a systemd unit', v2: CONTAINER_V2, v1: SSHD, decidedBy: 'v2' },
    { situation: 'same container in both: v2', v2: CONTAINER_V2, v1: CONTAINER_V1, decidedBy: 'v2' },
    { situation: 'same pod, only v2 names the container', v2: CONTAINER_V2, v1: POD_ONLY_V1, decidedBy: 'v2' },
    { situation: 'same pod, only v1 names the container', v2: POD_ONLY_V2, v1: CONTAINER_V1, decidedBy: 'v1' },
    { situation: 'same pod, v2 sees conmon, v1 the container', v2: CONMON_V2, v1: CONTAINER_V1, decidedBy: 'v1' },
    { situation: 'same pod, neither names a container: v2', v2: POD_ONLY_V2, v1: POD_ONLY_V1, decidedBy: 'v2' },
    { situation: 'different pods: v2, even without a container', v2: POD_ONLY_V2, v1: OTHER_POD_V1, decidedBy: 'v2' },
    { situation: 'host in both: the unit from v2', v2: SSHD, v1: KUBELET, decidedBy: 'v2' },
    { situation: 'host, v2 at the root: the unit from v1', v2: '', v1: SSHD, decidedBy: 'v1' },
    { situation: 'host, no unit anywhere: v2', v2: '', v1: '/', decidedBy: 'v2' },
    { situation: 'v2 not captured: v1 pod', v2: null, v1: CONTAINER_V1, decidedBy: 'v1' },
    { situation: 'v2 not captured: v1 host', v2: null, v1: SSHD, decidedBy: 'v1' },
    { situation: 'v1 not captured: v2 pod', v2: CONTAINER_V2, v1: null, decidedBy: 'v2' },
    { situation: 'v1 not captured: v2 host', v2: KUBELET, v1: null, decidedBy: 'v2' },
    { situation: 'nothing captured: host, no unit, no path', v2: null, v1: null, decidedBy: 'neither' },
  ])('$situation', ({ v2, v1, decidedBy }) => {
    const decided = decidedBy === 'v2' ? v2 : decidedBy === 'v1' ? v1 : null;
    expect(decodeCgroups(v2, v1)).toStrictEqual({
      identity: decided === null ? host(null) : decodeCgroupPath(decided),
      path: decided ?? '',
    });
  });

  it('reads the pod from v1 when v2 only shows a host unit', () => {
    expect(decodeCgroups(KUBELET, CONTAINER_V1).identity).toStrictEqual(pod());
  });
});
