import { describe, expect, it } from 'vitest';
import { deploymentByConvention, needsParent, workloadOf, type ParentAnswer } from './workload.js';
import type { OwnerRef } from './pod-index.js';

const ref = (kind: string, name: string): OwnerRef => ({ kind, name, uid: `uid-${name}` });
const HASH = { 'pod-template-hash': '7d9c8b6f5' };

describe('workloadOf', () => {
  it.each<[string, OwnerRef | null, ParentAnswer, Record<string, string>, string]>([
    ['bare pod', null, 'unknown', {}, 'pod/debug'],
    ['mirror pod of a static pod', ref('Node', 'worker-1'), 'unknown', {}, 'pod/debug'],
    ['statefulset', ref('StatefulSet', 'db'), 'unknown', {}, 'sts/db'],
    ['daemonset', ref('DaemonSet', 'agent'), 'unknown', {}, 'ds/agent'],
    ['replicationcontroller', ref('ReplicationController', 'old'), 'unknown', {}, 'rc/old'],
    ['custom kind', ref('Rollout', 'canary'), 'unknown', {}, 'rollout/canary'],
    ['replicaset of a deployment (read)', ref('ReplicaSet', 'web-7d9c8b6f5'), ref('Deployment', 'web'), HASH, 'deploy/web'],
    ['replicaset of another controller (read)', ref('ReplicaSet', 'canary-abc'), ref('Rollout', 'canary'), {}, 'rollout/canary'],
    ['replicaset made by hand (read: no controller)', ref('ReplicaSet', 'web-7d9c8b6f5'), null, HASH, 'rs/web-7d9c8b6f5'],
    ['replicaset not readable: the hash convention', ref('ReplicaSet', 'web-7d9c8b6f5'), 'unknown', HASH, 'deploy/web'],
    ['replicaset not readable, no hash label', ref('ReplicaSet', 'web-7d9c8b6f5'), 'unknown', {}, 'rs/web-7d9c8b6f5'],
    ['replicaset not readable, name without the hash', ref('ReplicaSet', 'frontend'), 'unknown', HASH, 'rs/frontend'],
    ['job of a cronjob (read)', ref('Job', 'backup-29412345'), ref('CronJob', 'backup'), {}, 'cronjob/backup'],
    ['job made by hand (read)', ref('Job', 'migrate'), null, {}, 'job/migrate'],
    ['job not readable: no guess from its name', ref('Job', 'backup-29412345'), 'unknown', {}, 'job/backup-29412345'],
  ])('%s', (_, owner, parent, labels, want) => {
    expect(workloadOf('debug', owner, parent, labels)).toBe(want);
  });
});

describe('deploymentByConvention', () => {
  it.each<[string, Record<string, string>, string | null]>([
    ['web-7d9c8b6f5', HASH, 'web'],
    ['my-web-app-7d9c8b6f5', HASH, 'my-web-app'],
    ['web-7d9c8b6f5', {}, null],
    ['7d9c8b6f5', HASH, null],
    ['-7d9c8b6f5', HASH, null],
    ['web-other', HASH, null],
  ])('%s %j → %s', (rs, labels, want) => expect(deploymentByConvention(rs, labels)).toBe(want));
});

describe('needsParent', () => {
  it.each<[OwnerRef | null, boolean]>([
    [ref('ReplicaSet', 'a'), true],
    [ref('Job', 'a'), true],
    [ref('StatefulSet', 'a'), false],
    [null, false],
  ])('%j → %s', (o, want) => expect(needsParent(o)).toBe(want));
});
