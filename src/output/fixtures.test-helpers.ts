/**
 * Test data for src/output/*.test.ts: AttributedEvent factories. Not a test file itself (vitest only
 * picks *.test.ts); imports types only, so it is inert when tsc compiles it along with src/.
 */
import type { Filters } from '../join/filter.js';
import type { AttributedEvent } from '../join/types.js';
import { UNKNOWN_CONTEXT, type ExecEvent } from '../events/types.js';

export const POD_UID = 'da0fc44d-097e-4b6f-9acb-ccef37f65eab';
export const CONTAINER_ID = '0123456789abcdef'.repeat(4);
/** 2026-11-26T11:41:16.123Z */
/** Filters as given by no flag: every exec kept. */
export const NO_FILTERS: Filters = {
  selector: null,
  container: null,
  comm: null,
  failed: false,
  host: false,
  drift: false,
  sessions: false,
  noProbes: false,
};

export const T0 = Date.UTC(2026, 10, 26, 11, 41, 16, 123);

export type EventOverrides = { [K in keyof ExecEvent]?: ExecEvent[K] };

/** An ExecEvent: a successful `sh -c true` by root; override any field. */
export function execEvent(fields: EventOverrides = {}): ExecEvent {
  return {
    timeMs: T0,
    pid: 4242,
    tid: 4242,
    ppid: 4200,
    uid: 0,
    comm: 'sh',
    filename: '/bin/sh',
    args: ['sh', '-c', 'true'],
    argsTruncated: false,
    retval: 0,
    cgroupV2: null,
    cgroupV1: null,
    upperLayer: null,
    ...UNKNOWN_CONTEXT,
    ...fields,
  };
}

export interface PodOpts {
  namespace?: string;
  pod?: string;
  container?: string | null;
  containerId?: string | null;
  podUid?: string;
  node?: string;
  entry?: AttributedEvent['entry'];
  workload?: string | null;
  image?: string | null;
  imageId?: string | null;
}

const podCgroup = (uid: string, id: string | null) =>
  `/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${uid.replaceAll('-', '_')}.slice` +
  (id === null ? '' : `/crio-${id}.scope`);

/** An exec in a container of a pod the API told us about. */
export function podEvent(ev: EventOverrides = {}, opts: PodOpts = {}): AttributedEvent {
  const podUid = opts.podUid ?? POD_UID;
  const containerId = opts.containerId === undefined ? CONTAINER_ID : opts.containerId;
  const cgroup = podCgroup(podUid, containerId);
  return {
    event: execEvent({ cgroupV2: cgroup, ...ev }),
    node: opts.node ?? 'worker-1',
    identity: {
      kind: 'pod',
      podUid,
      staticPod: false,
      containerId,
      runtime: containerId === null ? null : 'crio',
      qos: 'burstable',
      helper: null,
    },
    namespace: opts.namespace ?? 'default',
    pod: opts.pod ?? 'web-7d9f8b6c5d-x2x9q',
    container: opts.container === undefined ? 'nginx' : opts.container,
    containerId,
    cgroup,
    unattributed: false,
    labels: {},
    entry: opts.entry ?? null,
    workload: opts.workload ?? null,
    image: opts.image ?? null,
    imageId: opts.imageId ?? null,
  };
}

/** An exec in a pod cgroup that no pod record matched. */
export function unattributedEvent(ev: EventOverrides = {}, opts: Pick<PodOpts, 'podUid' | 'containerId' | 'node'> = {}): AttributedEvent {
  const e = podEvent(ev, opts);
  return { ...e, namespace: null, pod: null, container: null, unattributed: true, workload: null, image: null, imageId: null };
}

/** An exec of a host process, in the given systemd unit (null = none recognised). */
export function hostEvent(ev: EventOverrides = {}, unit: string | null = 'sshd.service', node = 'worker-1'): AttributedEvent {
  const cgroup = unit === null ? '/' : `/system.slice/${unit}`;
  return {
    event: execEvent({ cgroupV2: cgroup, comm: 'bash', filename: '/usr/bin/bash', args: ['bash'], ...ev }),
    node,
    identity: { kind: 'host', unit },
    namespace: null,
    pod: null,
    container: null,
    containerId: null,
    cgroup,
    unattributed: false,
    labels: {},
    entry: null,
    workload: null,
    image: null,
    imageId: null,
  };
}
