import { describe, expect, it } from 'vitest';
import type { V1Pod } from '@kubernetes/client-node';
import { kubeletTookUp, NotReadyStall, notReadyGraceMs, podState } from './wait.js';

const pod = (status: V1Pod['status']): V1Pod => ({ metadata: { namespace: 'ns', name: 'p' }, status });
const waiting = (reason: string, message?: string): V1Pod['status'] => ({
  phase: 'Pending',
  containerStatuses: [{ name: 'c', image: 'i', imageID: '', ready: false, restartCount: 0, state: { waiting: { reason, message } } }],
});

describe('podState', () => {
  it.each([
    [
      'running',
      {
        phase: 'Running',
        containerStatuses: [{ name: 'c', image: 'i', imageID: '', ready: true, restartCount: 0, state: { running: {} } }],
      },
      'running',
      null,
    ],
    ['no status yet', undefined, 'waiting', /waiting for the debug pod to be Running/],
    ['creating (pulling)', waiting('ContainerCreating'), 'waiting', /pulling image img/],
    [
      'image pull error',
      waiting('ErrImagePull', 'manifest unknown'),
      'failed',
      /cannot pull the debug image img \(ErrImagePull: manifest unknown\)/,
    ],
    ['image pull back-off', waiting('ImagePullBackOff'), 'failed', /ImagePullBackOff/],
    ['config error', waiting('CreateContainerConfigError', 'x'), 'failed', /cannot start: CreateContainerConfigError/],
    [
      'deadline passed',
      { phase: 'Failed', reason: 'DeadlineExceeded', message: 'too long' },
      'failed',
      /ended before tracing started \(DeadlineExceeded/,
    ],
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
      {
        name: 'c',
        image: 'i',
        imageID: '',
        ready: false,
        restartCount: 3,
        state: { waiting: { reason: 'CrashLoopBackOff', message } },
        lastState: { terminated: last },
      },
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
      ended('Pending', {
        reason: 'Error',
        exitCode: 1,
        message: 'standard_init_linux.go:228: exec user process caused: exec format error',
      }),
      /did not start: Error \(exit code 1\): standard_init_linux.go:228: exec user process caused: exec format error$/,
      /not built for linux\/arm64/,
    ],
    [
      'the runtime could not start the process (StartError)',
      ended('Failed', {
        reason: 'StartError',
        exitCode: 128,
        message: 'failed to create containerd task: exec: "sleep": executable file not found in $PATH: unknown',
      }),
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
      crashLoop('back-off 10s restarting failed container=c pod=p', {
        reason: 'Error',
        exitCode: 255,
        message: 'exec /bin/sleep: exec format error',
      }),
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

describe('giving up on a NotReady node', () => {
  it.each([
    [120_000, 15_000],
    [600_000, 15_000],
    [20_000, 5_000],
    [2_000, 500],
  ])('--timeout %i ms → %i ms without progress', (timeout, grace) => {
    expect(notReadyGraceMs(timeout)).toBe(grace);
  });

  it.each<[string, V1Pod['status'], boolean]>([
    ['no status yet', undefined, false],
    ['Pending, nothing else', { phase: 'Pending' }, false],
    ['only PodScheduled (not a kubelet sign)', { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'True' }] }, false],
    ['Initialized by the kubelet', { phase: 'Pending', conditions: [{ type: 'Initialized', status: 'True' }] }, true],
    ['ContainerCreating (a long image pull)', waiting('ContainerCreating'), true],
    ['Running', { phase: 'Running' }, true],
  ])('kubeletTookUp: %s → %s', (_what, status, expected) => {
    expect(kubeletTookUp(pod(status))).toBe(expected);
  });

  const NR = 'NotReady (KubeletNotReady: m)';

  it('gives up once the pod stayed untouched for the grace while the node stayed NotReady', () => {
    const s = new NotReadyStall(5_000);
    expect(s.observe(0, false, NR)).toBe(false);
    expect(s.observe(2_000, false, undefined)).toBe(false); // node not read this time
    expect(s.observe(4_999, false, NR)).toBe(false);
    expect(s.observe(5_000, false, undefined)).toBe(true);
  });

  it('a node that is Ready (again) restarts the clock', () => {
    const s = new NotReadyStall(5_000);
    s.observe(0, false, NR);
    expect(s.observe(4_000, false, null)).toBe(false);
    expect(s.observe(6_000, false, NR)).toBe(false);
    expect(s.observe(10_999, false, undefined)).toBe(false);
    expect(s.observe(11_000, false, NR)).toBe(true);
  });

  it('never gives up once a kubelet took the pod up, even if the node stays NotReady', () => {
    const s = new NotReadyStall(5_000);
    s.observe(0, false, NR);
    expect(s.observe(1_000, true, undefined)).toBe(false);
    expect(s.observe(60_000, false, NR)).toBe(false);
  });

  it('never gives up on a node whose state could not be read yet', () => {
    const s = new NotReadyStall(5_000);
    expect(s.observe(0, false, undefined)).toBe(false);
    expect(s.observe(60_000, false, undefined)).toBe(false);
  });
});
