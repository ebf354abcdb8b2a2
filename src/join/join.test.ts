import { describe, expect, it } from 'vitest';
import { UNKNOWN_CONTEXT, type ExecEvent } from '../events/types.js';
import { Joiner } from './join.js';
import { PodIndex, type PodRecord } from './pod-index.js';
import type { AttributedEvent } from './types.js';

const NODE = 'worker-1';
const T = 1_700_000_000_000;

const UID = '3f8e5a1c-2b7d-4c9e-8f10-6a5b4c3d2e1f';
const UID_ = UID.replaceAll('-', '_');
const APP = 'a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90';
const ENVOY = 'b'.repeat(64);
const NEW_CONTAINER = 'c'.repeat(64);
const STATIC_HASH = '9a3b5c7d1e2f4a6b8c0d2e4f6a8b0c1d';
const ETCD = 'e'.repeat(64);

/** Realistic cgroup v2 paths, as the assembler hands them over. */
const CGROUP = {
  containerd: `/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${UID_}.slice/cri-containerd-${APP}.scope`,
  crio: `/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${UID_}.slice/crio-${ENVOY}.scope`,
  newContainer: `/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${UID_}.slice/cri-containerd-${NEW_CONTAINER}.scope`,
  podItself: `/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${UID_}.slice`,
  conmon: `/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${UID_}.slice/crio-conmon-${ENVOY}.scope`,
  cgroupfsV1: `/kubepods/burstable/pod${UID}/${APP}`,
  staticPod: `/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${STATIC_HASH}.slice/cri-containerd-${ETCD}.scope`,
  staticPodUnknownContainer: `/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${STATIC_HASH}.slice/cri-containerd-${NEW_CONTAINER}.scope`,
  unknownPod: `/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod11111111_2222_3333_4444_555555555555.slice/cri-containerd-${'d'.repeat(64)}.scope`,
  host: '/system.slice/kubelet.service',
};

const WEB: PodRecord = {
  uid: UID,
  namespace: 'shop',
  name: 'web-7d9c8b6f5-x2k4p',
  mirrorHash: null,
  containers: [
    { id: APP, name: 'app', kind: 'container' },
    { id: ENVOY, name: 'envoy', kind: 'container' },
  ],
};

const ETCD_POD: PodRecord = {
  uid: '0d1c2b3a-4f5e-6d7c-8b9a-0f1e2d3c4b5a',
  namespace: 'kube-system',
  name: 'etcd-worker-1',
  mirrorHash: STATIC_HASH,
  containers: [{ id: ETCD, name: 'etcd', kind: 'container' }],
};

function exec(cgroupV2: string | null, cgroupV1: string | null = null): ExecEvent {
  return {
    timeMs: T,
    pid: 4299,
    tid: 4299,
    ppid: 4100,
    uid: 0,
    comm: 'sh',
    filename: '/bin/sh',
    args: ['sh', '-c', 'id'],
    argsTruncated: false,
    retval: 0,
    cgroupV2,
    cgroupV1,
    upperLayer: null,
    ...UNKNOWN_CONTEXT,
  };
}

function setup(pods: PodRecord[] = [WEB, ETCD_POD], graceMs = 2000): { index: PodIndex; joiner: Joiner } {
  const index = new PodIndex();
  for (const p of pods) index.upsert(p);
  return { index, joiner: new Joiner(index, { node: NODE, graceMs }) };
}

/** The part of an AttributedEvent a reader looks at. */
const seen = (a: AttributedEvent) => ({
  namespace: a.namespace,
  pod: a.pod,
  container: a.container,
  containerId: a.containerId,
  unattributed: a.unattributed,
});

describe('Joiner', () => {
  it('passes a host process through at once', () => {
    const { joiner } = setup();
    const out = joiner.push(exec(CGROUP.host), T);
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({
      node: NODE,
      identity: { kind: 'host', unit: 'kubelet.service' },
      cgroup: CGROUP.host,
      namespace: null,
      pod: null,
      container: null,
      containerId: null,
      unattributed: false,
    });
    expect(out[0]!.event).toEqual(exec(CGROUP.host));
    expect(joiner.waiting).toBe(0);
  });

  describe('a known pod and container: attributed at once', () => {
    it.each<[string, string | null, string | null, ReturnType<typeof seen>]>([
      [
        'containerd, systemd driver',
        CGROUP.containerd,
        null,
        { namespace: 'shop', pod: 'web-7d9c8b6f5-x2k4p', container: 'app', containerId: APP, unattributed: false },
      ],
      [
        'cri-o, systemd driver',
        CGROUP.crio,
        null,
        { namespace: 'shop', pod: 'web-7d9c8b6f5-x2k4p', container: 'envoy', containerId: ENVOY, unattributed: false },
      ],
      [
        'cgroup v1, cgroupfs driver',
        null,
        CGROUP.cgroupfsV1,
        { namespace: 'shop', pod: 'web-7d9c8b6f5-x2k4p', container: 'app', containerId: APP, unattributed: false },
      ],
      [
        'hybrid host: the pod is in v1 only',
        '/user.slice',
        CGROUP.cgroupfsV1,
        { namespace: 'shop', pod: 'web-7d9c8b6f5-x2k4p', container: 'app', containerId: APP, unattributed: false },
      ],
      [
        'a static pod, by its config hash',
        CGROUP.staticPod,
        null,
        { namespace: 'kube-system', pod: 'etcd-worker-1', container: 'etcd', containerId: ETCD, unattributed: false },
      ],
    ])('%s', (_name, v2, v1, expected) => {
      const { joiner } = setup();
      const out = joiner.push(exec(v2, v1), T);
      expect(out.map(seen)).toEqual([expected]);
      expect(joiner.waiting).toBe(0);
    });
  });

  describe('a pod cgroup without a container id: the pod is enough, nothing to wait for', () => {
    it.each([
      ['the pod cgroup itself', CGROUP.podItself, { identity: { kind: 'pod', containerId: null } }],
      ['a conmon helper scope', CGROUP.conmon, { identity: { kind: 'pod', helper: 'conmon', helperFor: ENVOY } }],
    ])('%s', (_name, cgroup, extra) => {
      const { joiner } = setup();
      const out = joiner.push(exec(cgroup), T);
      expect(out).toMatchObject([
        { namespace: 'shop', pod: 'web-7d9c8b6f5-x2k4p', container: null, containerId: null, unattributed: false, ...extra },
      ]);
      expect(joiner.waiting).toBe(0);
    });
  });

  describe('a known pod whose container id is not known yet', () => {
    it('is held, then released after graceMs with the pod and container null', () => {
      const { joiner } = setup();
      expect(joiner.push(exec(CGROUP.newContainer), T)).toEqual([]);
      expect(joiner.waiting).toBe(1);
      expect(joiner.retry(T + 1999)).toEqual([]);
      expect(joiner.retry(T + 2000).map(seen)).toEqual([
        { namespace: 'shop', pod: 'web-7d9c8b6f5-x2k4p', container: null, containerId: NEW_CONTAINER, unattributed: false },
      ]);
      expect(joiner.waiting).toBe(0);
    });

    it('is resolved when the container is added and retry() is called', () => {
      const { index, joiner } = setup();
      expect(joiner.push(exec(CGROUP.newContainer), T)).toEqual([]);
      index.upsert({ ...WEB, containers: [...WEB.containers, { id: NEW_CONTAINER, name: 'debugger-x7k2q', kind: 'ephemeral' }] });
      expect(joiner.retry(T + 10).map(seen)).toEqual([
        { namespace: 'shop', pod: 'web-7d9c8b6f5-x2k4p', container: 'debugger-x7k2q', containerId: NEW_CONTAINER, unattributed: false },
      ]);
      expect(joiner.waiting).toBe(0);
    });

    it('of a static pod, found by hash, is held the same way', () => {
      const { joiner } = setup();
      expect(joiner.push(exec(CGROUP.staticPodUnknownContainer), T)).toEqual([]);
      expect(joiner.retry(T + 2000).map(seen)).toEqual([
        { namespace: 'kube-system', pod: 'etcd-worker-1', container: null, containerId: NEW_CONTAINER, unattributed: false },
      ]);
    });
  });

  describe('an unknown pod uid', () => {
    it('is held, then released unattributed after graceMs', () => {
      const { joiner } = setup();
      expect(joiner.push(exec(CGROUP.unknownPod), T)).toEqual([]);
      expect(joiner.retry(T + 1999)).toEqual([]);
      const out = joiner.retry(T + 2000);
      expect(out.map(seen)).toEqual([{ namespace: null, pod: null, container: null, containerId: 'd'.repeat(64), unattributed: true }]);
      expect(out[0]!.identity).toMatchObject({ kind: 'pod', podUid: '11111111-2222-3333-4444-555555555555', qos: 'besteffort' });
    });

    it('is resolved when its pod arrives before graceMs', () => {
      const { index, joiner } = setup([]);
      expect(joiner.push(exec(CGROUP.containerd), T)).toEqual([]);
      expect(joiner.retry(T + 500)).toEqual([]);
      index.upsert(WEB);
      expect(joiner.retry(T + 600).map(seen)).toEqual([
        { namespace: 'shop', pod: 'web-7d9c8b6f5-x2k4p', container: 'app', containerId: APP, unattributed: false },
      ]);
    });
  });

  it.each([
    ['a host process (under systemd, pid 1): not known', CGROUP.host, null, null],
    ['a container process: as the kernel said', CGROUP.containerd, true, 4100],
  ] as const)("the kernel's init-tree verdict: %s", (_name, cgroup, inInitTree, sessionLeaderPid) => {
    const { joiner } = setup();
    const out = [...joiner.push({ ...exec(cgroup), inInitTree: true, sessionLeaderPid: 4100 }, T), ...joiner.retry(T + 10_000, true)];
    expect(out.map((a) => [a.event.inInitTree, a.event.sessionLeaderPid])).toEqual([[inInitTree, sessionLeaderPid]]);
  });

  it('a deleted pod still attributes while its tombstone lasts', () => {
    const { index, joiner } = setup();
    index.remove(UID, T - 1000);
    expect(joiner.push(exec(CGROUP.containerd), T).map(seen)).toEqual([
      { namespace: 'shop', pod: 'web-7d9c8b6f5-x2k4p', container: 'app', containerId: APP, unattributed: false },
    ]);
  });

  it('retry() releases each held event at its own deadline, in arrival order', () => {
    const { joiner } = setup([], 1000);
    joiner.push({ ...exec(CGROUP.containerd), pid: 1 }, T);
    joiner.push({ ...exec(CGROUP.crio), pid: 2 }, T + 500);
    expect(joiner.retry(T + 1000).map((a) => a.event.pid)).toEqual([1]);
    expect(joiner.waiting).toBe(1);
    expect(joiner.retry(T + 1500).map((a) => a.event.pid)).toEqual([2]);
  });

  it('retry(now, true) releases everything (end of stream)', () => {
    const { joiner } = setup([]);
    joiner.push(exec(CGROUP.containerd), T);
    joiner.push(exec(CGROUP.unknownPod), T);
    expect(joiner.retry(T, true).map((a) => a.unattributed)).toEqual([true, true]);
    expect(joiner.waiting).toBe(0);
  });

  it('beyond maxHeld the oldest held event is released early', () => {
    const joiner = new Joiner(new PodIndex(), { node: NODE, maxHeld: 2 });
    expect(joiner.push({ ...exec(CGROUP.unknownPod), pid: 1 }, T)).toEqual([]);
    expect(joiner.push({ ...exec(CGROUP.unknownPod), pid: 2 }, T)).toEqual([]);
    expect(joiner.push({ ...exec(CGROUP.unknownPod), pid: 3 }, T).map((a) => [a.event.pid, a.unattributed])).toEqual([[1, true]]);
    expect(joiner.waiting).toBe(2);
  });

  describe('without an index (local mode)', () => {
    it.each<[string, string, Partial<AttributedEvent>]>([
      ['a host process', CGROUP.host, { unattributed: false, identity: { kind: 'host', unit: 'kubelet.service' } }],
      ['a pod process: unattributed at once', CGROUP.containerd, { unattributed: true, namespace: null, containerId: APP }],
      ['an unknown container of a pod', CGROUP.newContainer, { unattributed: true, containerId: NEW_CONTAINER }],
    ])('%s is never held', (_name, cgroup, expected) => {
      const joiner = new Joiner(null, { node: 'localhost', graceMs: 2000 });
      expect(joiner.push(exec(cgroup), T)).toMatchObject([{ node: 'localhost', ...expected }]);
      expect(joiner.waiting).toBe(0);
    });
  });

  it('an exec whose cgroup was not captured is a host process with an unknown unit', () => {
    const { joiner } = setup();
    expect(joiner.push(exec(null, null), T)).toMatchObject([{ identity: { kind: 'host', unit: null }, cgroup: '', unattributed: false }]);
  });
});

describe('Joiner: entry, workload and image (issue 23)', () => {
  const PROBED: PodRecord = {
    ...WEB,
    workload: 'deploy/web',
    containers: [
      { id: APP, name: 'app', kind: 'container', image: 'nginx:1.27', imageId: `docker.io/library/nginx@sha256:${'f'.repeat(64)}` },
    ],
    kubeletExecs: { app: { probes: [['cat', '/tmp/healthy']], hooks: [] } },
  };
  const inApp = (pid: number, leader: number, inInitTree: boolean, args: string[]): ExecEvent => ({
    ...exec(CGROUP.containerd),
    pid,
    tid: pid,
    args,
    inInitTree,
    sessionLeaderPid: leader,
  });

  it('gives each exec its container’s image, its pod’s workload, and how it entered', () => {
    const { joiner } = setup([PROBED]);
    const got = [
      inApp(10, 1, true, ['nginx']),
      inApp(20, 20, false, ['cat', '/tmp/healthy']),
      inApp(30, 30, false, ['bash']),
      inApp(31, 30, false, ['id']),
    ].flatMap((e) => joiner.push(e, T));
    expect(got.map((a) => a.entry)).toEqual(['init', 'probe', 'exec', 'exec']);
    expect(got[0]).toMatchObject({
      workload: 'deploy/web',
      image: 'nginx:1.27',
      imageId: `docker.io/library/nginx@sha256:${'f'.repeat(64)}`,
    });
    const host = joiner.push({ ...exec(CGROUP.host), sessionLeaderPid: 5 }, T)[0]!;
    expect(host).toMatchObject({ entry: null, workload: null, image: null, imageId: null });
  });

  it('a probe whose pod record comes late is a probe once re-tried with it', () => {
    const { index, joiner } = setup([]);
    expect(joiner.push(inApp(20, 20, false, ['cat', '/tmp/healthy']), T)).toEqual([]);
    expect(joiner.push(inApp(21, 20, false, ['sleep', '1']), T)).toEqual([]);
    index.upsert(PROBED);
    expect(joiner.retry(T + 10).map((a) => a.entry)).toEqual(['probe', 'probe']);
  });
});
