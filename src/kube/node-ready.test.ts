import { describe, expect, it } from 'vitest';
import type { V1Node, V1NodeCondition } from '@kubernetes/client-node';
import { notReady } from './node-ready.js';
import { partitionReady } from './targets.js';

const node = (name: string, ...conditions: V1NodeCondition[]): V1Node => ({ metadata: { name }, status: { conditions } });
const memory: V1NodeCondition = { type: 'MemoryPressure', status: 'False', reason: 'KubeletHasSufficientMemory' };
const ready = (status: string, reason?: string, message?: string): V1NodeCondition => ({ type: 'Ready', status, reason, message });

describe('notReady', () => {
  it.each<[string, V1Node, string | null]>([
    ['Ready', node('a', memory, ready('True', 'KubeletReady', 'kubelet is posting ready status')), null],
    [
      'NotReady, reason and message',
      node('a', memory, ready('False', 'KubeletNotReady', 'container runtime network not ready: cni plugin not initialized')),
      'NotReady (KubeletNotReady: container runtime network not ready: cni plugin not initialized)',
    ],
    [
      'unreachable (Unknown)',
      node('a', ready('Unknown', 'NodeStatusUnknown', 'Kubelet stopped posting node status.')),
      'NotReady (Ready=Unknown, NodeStatusUnknown: Kubelet stopped posting node status.)',
    ],
    ['NotReady without reason', node('a', ready('False')), 'NotReady'],
    ['a multi-line message: its first line', node('a', ready('False', 'R', 'first\nsecond')), 'NotReady (R: first)'],
    ['no Ready condition', node('a', memory), 'NotReady (no Ready condition: its kubelet has not posted a status)'],
    ['no status at all', { metadata: { name: 'a' } }, 'NotReady (no Ready condition: its kubelet has not posted a status)'],
  ])('%s', (_what, n, expected) => {
    expect(notReady(n)).toBe(expected);
  });
});

describe('partitionReady', () => {
  const nodes = [
    node('a', ready('True')),
    node('b', ready('False', 'KubeletNotReady', 'm')),
    node('c', ready('Unknown', 'NodeStatusUnknown')),
  ];

  it('leaves the NotReady nodes out, each with why', () => {
    expect(partitionReady(nodes, false)).toEqual({
      nodes: ['a'],
      skipped: [
        { node: 'b', why: 'NotReady (KubeletNotReady: m)' },
        { node: 'c', why: 'NotReady (Ready=Unknown, NodeStatusUnknown)' },
      ],
    });
  });

  it('keeps them all with --include-not-ready', () => {
    expect(partitionReady(nodes, true)).toEqual({ nodes: ['a', 'b', 'c'], skipped: [] });
  });
});
