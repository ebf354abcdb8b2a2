import { describe, expect, it } from 'vitest';
import { leaseTiming } from '../node/lease.js';
import { debugNamespaceManifest, debugPodManifest, debugPodName, deadlineSeconds, DEFAULT_DEADLINE_S } from './debug-pod.js';

describe('the debug namespace', () => {
  const ns = debugNamespaceManifest('a1b2c3');
  it.each([
    ['pod-security.kubernetes.io/enforce', 'privileged'],
    ['pod-security.kubernetes.io/audit', 'privileged'],
    ['pod-security.kubernetes.io/warn', 'privileged'],
    ['security.openshift.io/scc.podSecurityLabelSync', 'false'],
    ['app.kubernetes.io/name', 'trace-exec'],
    ['trace-exec.io/run-id', 'a1b2c3'],
  ])('label %s=%s', (k, v) => {
    expect(ns.metadata?.labels?.[k]).toBe(v);
  });
  it('is generated, and keeps a project node selector off the pod', () => {
    expect(ns.metadata?.generateName).toBe('trace-exec-');
    expect(ns.metadata?.name).toBeUndefined();
    expect(ns.metadata?.annotations).toEqual({ 'openshift.io/node-selector': '' });
  });
});

describe('the debug pod', () => {
  const pod = debugPodManifest({
    node: 'worker-1.example.com',
    namespace: 'trace-exec-x',
    image: 'img:1',
    runId: 'a1b2c3',
    deadlineSeconds: 400,
    lease: leaseTiming(90),
  });
  const spec = pod.spec!;
  const c = spec.containers[0]!;

  it('is pinned to the node without the scheduler, tolerating every taint', () => {
    expect(spec.nodeName).toBe('worker-1.example.com');
    expect(spec.tolerations).toEqual([{ operator: 'Exists' }]);
  });
  it('sees the host: hostPID, privileged, root, the tracing and cgroup mounts', () => {
    expect(spec.hostPID).toBe(true);
    expect(c.securityContext).toMatchObject({ privileged: true, runAsUser: 0 });
    const mounts = Object.fromEntries(c.volumeMounts!.map((m) => [m.mountPath, m.name]));
    const host = Object.fromEntries(spec.volumes!.map((v) => [v.name, v.hostPath?.path]));
    for (const path of ['/sys/kernel/tracing', '/sys/kernel/debug', '/sys/fs/cgroup']) expect(host[mounts[path]!]).toBe(path);
  });
  it('cannot outlive the run: never restarted, a deadline, a container that ends when the lease runs out', () => {
    expect(spec.restartPolicy).toBe('Never');
    expect(spec.activeDeadlineSeconds).toBe(400);
    // src/node/lease.test.ts runs this command for real.
    expect(c.command?.slice(0, 2)).toEqual(['sh', '-c']);
    expect(c.command?.slice(3)).toEqual(['trace-exec', '/tmp/trace-exec-worker-1-a1b2c3.lease', '90', '10']);
  });
  it('puts the tail of its log into its status when it fails to start (exec format error is only in the log)', () => {
    expect(c.terminationMessagePolicy).toBe('FallbackToLogsOnError');
  });
  it('is labelled and annotated as this tool’s, with no service account token', () => {
    expect(pod.metadata?.labels).toMatchObject({
      'app.kubernetes.io/name': 'trace-exec',
      'trace-exec.io/run-id': 'a1b2c3',
      'trace-exec.io/node': 'worker-1.example.com',
    });
    expect(pod.metadata?.annotations?.['openshift.io/required-scc']).toBe('privileged');
    expect(spec.automountServiceAccountToken).toBe(false);
    expect(c.image).toBe('img:1');
  });

  it.each([
    ['worker-1', 'abc123', 'trace-exec-worker-1-abc123'],
    ['ip-10-0-1-5.ec2.internal', 'abc123', 'trace-exec-ip-10-0-1-5-abc123'],
    ['a'.repeat(100), 'abc123', `trace-exec-${'a'.repeat(40)}-abc123`],
    [`${'a'.repeat(39)}-bbb`, 'abc123', `trace-exec-${'a'.repeat(39)}-abc123`], // no '--' where the cut falls on a dash
  ])('name for node %s', (node, id, name) => {
    expect(debugPodName(node, id)).toBe(name);
    expect(name.length).toBeLessThanOrEqual(63);
  });

  it('leaves long node names out of the label (63 characters at most)', () => {
    const long = debugPodManifest({
      node: 'n'.repeat(70),
      namespace: 'x',
      image: 'i',
      runId: 'r',
      deadlineSeconds: 1,
      lease: leaseTiming(90),
    });
    expect(long.metadata?.labels?.['trace-exec.io/node']).toBeUndefined();
  });
});

describe('deadlineSeconds', () => {
  it.each([
    [null, 120_000, DEFAULT_DEADLINE_S],
    [60_000, 120_000, 60 + 120 + 300],
    [1_500, 30_000, 2 + 30 + 300],
  ])('duration %s ms, timeout %s ms → %s s', (d, t, s) => {
    expect(deadlineSeconds(d, t)).toBe(s);
  });
});
