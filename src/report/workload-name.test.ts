import { describe, expect, it } from 'vitest';
import { splitWorkload, workloadFromPodName } from './workload-name.js';

describe('workloadFromPodName', () => {
  it.each([
    ['web-7d9c5b4f8-x2kqp', 'deploy/web'],
    ['web-5c8d9f7b4-vwz9q', 'deploy/web'], // another rollout (pod-template-hash), another pod
    ['payments-api-6b5f7c8d9b-4xq2z', 'deploy/payments-api'],
    ['backup-29012345-x2kqp', 'cronjob/backup'],
    ['db-0', 'sts/db'],
    ['kafka-broker-12', 'sts/kafka-broker'],
    ['agent-x2kqp', '*/agent'], // a DaemonSet's or a Job's: the name does not say
    ['migrate-db-7xkq2', '*/migrate-db'],
    ['debug', 'pod/debug'],
    ['web-Xx2kq', 'pod/web-Xx2kq'], // upper case is never generated
    ['kube-apiserver-control-plane', 'pod/kube-apiserver-control-plane'], // a static pod: name-node
  ])('%s → %s', (pod, want) => expect(workloadFromPodName(pod)).toBe(want));

  it('limits, as documented: a bare pod shaped like a controller pod is taken for one', () => {
    expect(workloadFromPodName('test-1')).toBe('sts/test');
    expect(workloadFromPodName('agent-24567')).toBe('sts/agent');
  });
});

describe('splitWorkload', () => {
  it.each([
    ['deploy/web', ['deploy', 'web']],
    ['*/agent', ['*', 'agent']],
    ['weird', ['pod', 'weird']],
  ] as const)('%s', (w, want) => expect(splitWorkload(w)).toEqual(want));
});
