import { describe, expect, it } from 'vitest';
import type { V1Pod } from '@kubernetes/client-node';
import { podRecord } from './pod-watch.js';

const id = (c: string) => c.repeat(64);

describe('podRecord', () => {
  it('collects init, regular and ephemeral container ids, with or without a runtime prefix it knows', () => {
    const pod: V1Pod = {
      metadata: { uid: 'u1', namespace: 'ns', name: 'p', annotations: {} },
      status: {
        initContainerStatuses: [{ name: 'init', containerID: `containerd://${id('a')}`, image: '', imageID: '', ready: false, restartCount: 0 }],
        containerStatuses: [
          { name: 'main', containerID: `cri-o://${id('b')}`, image: '', imageID: '', ready: true, restartCount: 0 },
          { name: 'pending', image: '', imageID: '', ready: false, restartCount: 0 },
        ],
        ephemeralContainerStatuses: [{ name: 'debug', containerID: `docker://${id('c')}`, image: '', imageID: '', ready: false, restartCount: 0 }],
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
    });
  });

  it('keeps the node the pod runs on (for --local with a nested cluster)', () => {
    expect(podRecord({ metadata: { uid: 'u3', namespace: 'ns', name: 'p' }, spec: { nodeName: 'kind-worker', containers: [] } })?.nodeName).toBe('kind-worker');
  });

  it('keeps a mirror pod’s config hash, which the static pod’s cgroup carries', () => {
    const pod: V1Pod = { metadata: { uid: 'u2', namespace: 'kube-system', name: 'etcd-n1', annotations: { 'kubernetes.io/config.mirror': 'f'.repeat(32) } } };
    expect(podRecord(pod)?.mirrorHash).toBe('f'.repeat(32));
  });

  it('ignores objects without identity', () => {
    expect(podRecord({ metadata: { name: 'x' } })).toBeNull();
  });
});
