import { describe, expect, it } from 'vitest';
import type { V1Pod } from '@kubernetes/client-node';
import { podRecord } from './pod-watch.js';

const id = (c: string) => c.repeat(64);

describe('podRecord', () => {
  it('collects init, regular and ephemeral container ids, with or without a runtime prefix it knows', () => {
    const pod: V1Pod = {
      metadata: { uid: 'u1', namespace: 'ns', name: 'p', annotations: {} },
      status: {
        initContainerStatuses: [
          { name: 'init', containerID: `containerd://${id('a')}`, image: '', imageID: '', ready: false, restartCount: 0 },
        ],
        containerStatuses: [
          { name: 'main', containerID: `cri-o://${id('b')}`, image: '', imageID: '', ready: true, restartCount: 0 },
          { name: 'pending', image: '', imageID: '', ready: false, restartCount: 0 },
        ],
        ephemeralContainerStatuses: [
          { name: 'debug', containerID: `docker://${id('c')}`, image: '', imageID: '', ready: false, restartCount: 0 },
        ],
      },
    };
    expect(podRecord(pod)).toEqual({
      uid: 'u1',
      namespace: 'ns',
      name: 'p',
      mirrorHash: null,
      labels: {},
      containers: [
        { id: id('a'), name: 'init', kind: 'init' },
        { id: id('b'), name: 'main', kind: 'container' },
        { id: id('c'), name: 'debug', kind: 'ephemeral' },
      ],
      nodeName: null,
      owner: null,
      workload: 'pod/p',
    });
  });

  it('keeps each container’s image and image id, and the exec probes and hooks the kubelet runs in it', () => {
    const pod: V1Pod = {
      metadata: {
        uid: 'u4',
        namespace: 'shop',
        name: 'web-7d9c8b6f5-x2k4p',
        labels: { 'pod-template-hash': '7d9c8b6f5' },
        ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-7d9c8b6f5', uid: 'rs-uid', controller: true }],
      },
      spec: {
        containers: [
          {
            name: 'web',
            livenessProbe: { exec: { command: ['cat', '/tmp/healthy'] } },
            readinessProbe: { httpGet: { port: 8080 } },
            startupProbe: { exec: { command: ['sh', '-c', 'test -f /ready'] } },
            lifecycle: { postStart: { exec: { command: ['/bin/warm-up'] } }, preStop: { exec: { command: ['/bin/drain', '--wait'] } } },
          },
          { name: 'plain', readinessProbe: { exec: { command: [] } } },
        ],
      },
      status: {
        containerStatuses: [
          {
            name: 'web',
            containerID: `containerd://${id('d')}`,
            image: 'docker.io/library/nginx:1.27',
            imageID: 'docker.io/library/nginx@sha256:' + 'f'.repeat(64),
            ready: true,
            restartCount: 0,
          },
          { name: 'plain', containerID: `containerd://${id('e')}`, image: 'busybox', imageID: '', ready: true, restartCount: 0 },
        ],
      },
    };
    const rec = podRecord(pod)!;
    expect(rec.containers).toEqual([
      {
        id: id('d'),
        name: 'web',
        kind: 'container',
        image: 'docker.io/library/nginx:1.27',
        imageId: 'docker.io/library/nginx@sha256:' + 'f'.repeat(64),
      },
      { id: id('e'), name: 'plain', kind: 'container', image: 'busybox' },
    ]);
    expect(rec.kubeletExecs).toEqual({
      web: {
        probes: [
          ['cat', '/tmp/healthy'],
          ['sh', '-c', 'test -f /ready'],
        ],
        hooks: [['/bin/warm-up'], ['/bin/drain', '--wait']],
      },
    });
    expect(rec.owner).toEqual({ kind: 'ReplicaSet', name: 'web-7d9c8b6f5', uid: 'rs-uid' });
    // Without the ReplicaSet read (src/kube/owners.ts), the Deployment by the pod-template-hash convention.
    expect(rec.workload).toBe('deploy/web');
  });

  it('keeps the node the pod runs on (for --local with a nested cluster)', () => {
    expect(
      podRecord({ metadata: { uid: 'u3', namespace: 'ns', name: 'p' }, spec: { nodeName: 'kind-worker', containers: [] } })?.nodeName,
    ).toBe('kind-worker');
  });

  it('keeps a mirror pod’s config hash, which the static pod’s cgroup carries', () => {
    const pod: V1Pod = {
      metadata: { uid: 'u2', namespace: 'kube-system', name: 'etcd-n1', annotations: { 'kubernetes.io/config.mirror': 'f'.repeat(32) } },
    };
    expect(podRecord(pod)?.mirrorHash).toBe('f'.repeat(32));
  });

  it('ignores objects without identity', () => {
    expect(podRecord({ metadata: { name: 'x' } })).toBeNull();
  });
});
