/**
 * Test workloads for the end-to-end tests: a pod record in the API stand-in plus a kubelet-shaped
 * cgroup on this machine for each of its containers, so that a process exec'd in that cgroup is
 * what the real kubelet would have started for that container.
 */
import { createHash } from 'node:crypto';
import type { ApiServer } from '../apiserver/index.js';
import { TestCgroup, execIn, hex64, uuid } from './kernel.js';

export type Layout = 'systemd-crio-hybrid' | 'cgroupfs-containerd-v1' | 'systemd-containerd-v2-crun' | 'static-kind-prefix' | 'kind-node';

export interface Workload {
  namespace: string;
  name: string;
  uid: string;
  /** The uid as the cgroup shows it (a static pod's config hash). */
  cgroupUid: string;
  containers: { name: string; id: string; init?: boolean; cgroup: TestCgroup }[];
  /** The pod record as the API should hold it (added by addToApi). */
  record(): object;
}

function cgroupPath(layout: Layout, uid: string, id: string, node: string): { path: string; hier: ('v1' | 'v2')[] } {
  const u_ = uid.replaceAll('-', '_');
  switch (layout) {
    case 'systemd-crio-hybrid':
      return { path: `kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${u_}.slice/crio-${id}.scope`, hier: ['v1', 'v2'] };
    case 'cgroupfs-containerd-v1':
      return { path: `kubepods/besteffort/pod${uid}/${id}`, hier: ['v1'] };
    case 'systemd-containerd-v2-crun':
      return { path: `kubepods.slice/kubepods-pod${u_}.slice/cri-containerd-${id}.scope/container`, hier: ['v2'] };
    case 'kind-node':
      // A kind node is a Docker container on the CI runner: its kubelet's cgroups (systemd driver,
      // kubelet.slice cgroup root) sit below the node container's scope.
      return {
        path: `system.slice/docker-${nodeContainerId(node)}.scope/kubelet.slice/kubelet-kubepods.slice/kubelet-kubepods-besteffort.slice/kubelet-kubepods-besteffort-pod${u_}.slice/cri-containerd-${id}.scope`,
        hier: ['v1', 'v2'],
      };
    case 'static-kind-prefix':
      return {
        path: `kubelet.slice/kubelet-kubepods.slice/kubelet-kubepods-besteffort.slice/kubelet-kubepods-besteffort-pod${uid}.slice/cri-containerd-${id}.scope`,
        hier: ['v1', 'v2'],
      };
  }
}

/** The Docker container id of a kind node, the same for every pod of that node. */
export function nodeContainerId(node: string): string {
  return createHash('sha256').update(`kind-node:${node}`).digest('hex');
}

const RUNTIME_PREFIX: Record<Layout, string> = {
  'kind-node': 'containerd://',
  'systemd-crio-hybrid': 'cri-o://',
  'cgroupfs-containerd-v1': 'containerd://',
  'systemd-containerd-v2-crun': 'containerd://',
  'static-kind-prefix': 'containerd://',
};

export function makeWorkload(
  layout: Layout,
  namespace: string,
  name: string,
  containers: { name: string; init?: boolean }[],
  node = 'worker-1',
  labels: Record<string, string> = {},
): Workload {
  const uid = uuid();
  // A static pod's cgroup carries its config hash; the API's mirror pod has its own uid.
  const cgroupUid = layout === 'static-kind-prefix' ? hex64().slice(0, 32) : uid;
  const made = containers.map((c) => {
    const id = hex64();
    const { path, hier } = cgroupPath(layout, cgroupUid, id, node);
    return { ...c, id, cgroup: new TestCgroup(path, hier) };
  });
  const status = (c: (typeof made)[number]) => ({
    name: c.name,
    containerID: `${RUNTIME_PREFIX[layout]}${c.id}`,
    ready: !c.init,
    restartCount: 0,
    image: 'busybox',
    imageID: '',
    state: c.init ? { terminated: { exitCode: 0, reason: 'Completed' } } : { running: { startedAt: new Date().toISOString() } },
  });
  return {
    namespace,
    name,
    uid,
    cgroupUid,
    containers: made,
    record: () => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        namespace,
        name,
        uid,
        labels,
        annotations:
          layout === 'static-kind-prefix' ? { 'kubernetes.io/config.mirror': cgroupUid, 'kubernetes.io/config.source': 'file' } : {},
      },
      spec: {
        nodeName: node,
        initContainers: made.filter((c) => c.init).map((c) => ({ name: c.name, image: 'busybox' })),
        containers: made.filter((c) => !c.init).map((c) => ({ name: c.name, image: 'busybox' })),
      },
      status: {
        phase: 'Running',
        initContainerStatuses: made.filter((c) => c.init).map(status),
        containerStatuses: made.filter((c) => !c.init).map(status),
      },
    }),
  };
}

export function addToApi(api: ApiServer, w: Workload): void {
  api.addPod(w.record());
}

/** Runs argv inside a container's cgroup, as that container's process. */
export async function runIn(w: Workload, container: string, argv: string[]): Promise<number> {
  const c = w.containers.find((x) => x.name === container);
  if (!c) throw new Error(`no container ${container} in ${w.name}`);
  return execIn(c.cgroup, argv);
}

/** Removes every test cgroup (newest first); one that cannot be removed does not stop the others. */
export function removeCgroups(ws: Workload[]): void {
  const errors: string[] = [];
  for (const w of [...ws].reverse()) {
    for (const c of [...w.containers].reverse()) {
      try {
        c.cgroup.remove();
      } catch (e) {
        errors.push((e as Error).message);
      }
    }
  }
  if (errors.length > 0) throw new Error(errors.join('\n'));
}
