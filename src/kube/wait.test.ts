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

  /** A container status that ended: the debug container's own reason, message and exit code. */
  const ended = (phase: string, terminated: { reason: string; message?: string; exitCode: number }): V1Pod['status'] => ({
    phase,
    containerStatuses: [{ name: 'c', image: 'i', imageID: '', ready: false, restartCount: 0, state: { terminated } }],
  });
  const crashLoop = (message: string, last: { reason: string; message?: string; exitCode: number }): V1Pod['status'] => ({
    phase: 'Running',
    containerStatuses: [
      { name: 'c', image: 'i', imageID: '', ready: false, restartCount: 3, state: { waiting: { reason: 'CrashLoopBackOff', message } }, lastState: { terminated: last } },
    ],
  });

  it.each<[string, V1Pod['status'], RegExp, RegExp]>([
    [
      'wrong architecture (restartPolicy Never: the pod Failed, the log tail in the message)',
      ended('Failed', { reason: 'Error', exitCode: 255, message: 'exec /usr/bin/sleep: exec format error\n' }),
      /^the debug container of ns\/p did not start: Error \(exit code 255\): exec \/usr\/bin\/sleep: exec format error$/,
      /^the image img is not built for linux\/arm64, the node's architecture: pass --image arm64=IMAGE/,
    ],
    [
      'wrong architecture, seen before the phase changed',
      ended('Pending', { reason: 'Error', exitCode: 1, message: 'standard_init_linux.go:228: exec user process caused: exec format error' }),
      /did not start: Error \(exit code 1\): standard_init_linux.go:228: exec user process caused: exec format error$/,
      /not built for linux\/arm64/,
    ],
    [
      'the runtime could not start the process (StartError)',
      ended('Failed', { reason: 'StartError', exitCode: 128, message: 'failed to create containerd task: exec: "sleep": executable file not found in $PATH: unknown' }),
      /did not start: StartError \(exit code 128\): failed to create containerd task: exec: "sleep": executable file not found/,
      /must stay up: check that img has sleep and runs on linux\/arm64, or pass --image arm64=IMAGE/,
    ],
    [
      'exited with an error and no message',
      ended('Failed', { reason: 'Error', exitCode: 1 }),
      /did not start: Error \(exit code 1\)$/,
      /must stay up/,
    ],
    [
      'CrashLoopBackOff, with what ended the last run',
      crashLoop('back-off 10s restarting failed container=c pod=p', { reason: 'Error', exitCode: 255, message: 'exec /bin/sleep: exec format error' }),
      /^the debug pod ns\/p cannot start: CrashLoopBackOff: back-off 10s restarting failed container=c pod=p; last run: Error \(exit code 255\): exec \/bin\/sleep: exec format error$/,
      /not built for linux\/arm64/,
    ],
    [
      'RunContainerError from the runtime',
      waiting('RunContainerError', 'failed to start container: exec format error'),
      /cannot start: RunContainerError: failed to start container: exec format error$/,
      /not built for linux\/arm64/,
    ],
  ])('a container that does not start: %s', (_what, status, message, hint) => {
    const s = podState(pod(status), { image: 'img', arch: 'arm64' });
    expect(s.kind).toBe('failed');
    if (s.kind !== 'failed') return;
    expect(s.error.message).toMatch(message);
    expect(s.error.hint).toMatch(hint);
  });
});
