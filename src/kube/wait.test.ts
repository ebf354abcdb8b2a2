import { describe, expect, it } from 'vitest';
import type { V1Pod } from '@kubernetes/client-node';
import { podState } from './wait.js';

const pod = (status: V1Pod['status']): V1Pod => ({ metadata: { namespace: 'ns', name: 'p' }, status });
const waiting = (reason: string, message?: string): V1Pod['status'] => ({
  phase: 'Pending',
  containerStatuses: [{ name: 'c', image: 'i', imageID: '', ready: false, restartCount: 0, state: { waiting: { reason, message } } }],
});

describe('podState', () => {
  it.each([
    ['running', { phase: 'Running', containerStatuses: [{ name: 'c', image: 'i', imageID: '', ready: true, restartCount: 0, state: { running: {} } }] }, 'running', null],
    ['no status yet', undefined, 'waiting', /waiting for the debug pod to be Running/],
    ['creating (pulling)', waiting('ContainerCreating'), 'waiting', /pulling image img/],
    ['image pull error', waiting('ErrImagePull', 'manifest unknown'), 'failed', /cannot pull the debug image img \(ErrImagePull: manifest unknown\)/],
    ['image pull back-off', waiting('ImagePullBackOff'), 'failed', /ImagePullBackOff/],
    ['config error', waiting('CreateContainerConfigError', 'x'), 'failed', /cannot start: CreateContainerConfigError/],
    ['deadline passed', { phase: 'Failed', reason: 'DeadlineExceeded', message: 'too long' }, 'failed', /ended before tracing started \(DeadlineExceeded/],
    [
      'unschedulable',
      { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/3 nodes' }] },
      'failed',
      /cannot be placed on its node: 0\/3 nodes/,
    ],
  ] as const)('%s', (_what, status, kind, msg) => {
    const s = podState(pod(status as V1Pod['status']), { image: 'img', arch: 'arm64' });
    expect(s.kind).toBe(kind);
    if (s.kind === 'waiting') expect(s.what).toMatch(msg!);
    if (s.kind === 'failed') expect(s.error.message).toMatch(msg!);
  });

  it('suggests --image when the image cannot be pulled', () => {
    const s = podState(pod(waiting('ErrImagePull')), { image: 'img', arch: 'arm64' });
    expect(s.kind === 'failed' && s.error.hint).toMatch(/--image/);
  });
});
