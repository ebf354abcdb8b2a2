import { describe, expect, it } from 'vitest';
import type { V1Node } from '@kubernetes/client-node';
import { startOrder } from './start-order.js';

/** A node whose Ready condition has this status, since this time (a string) or no time (null); no condition when status is null. */
const node = (name: string, status: 'True' | 'False' | 'Unknown' | null, since: string | null = null): V1Node => ({
  metadata: { name },
  status: {
    conditions: status === null ? [] : [{ type: 'Ready', status, ...(since ? { lastTransitionTime: new Date(since) } : {}) } as never],
  },
});

describe('startOrder', () => {
  it.each<[string, V1Node[], string[]]>([
    [
      'Ready first, the earliest Ready first',
      [node('b', 'True', '2026-12-06T10:00:00Z'), node('a', 'True', '2026-12-06T11:00:00Z'), node('c', 'True', '2026-01-01T00:00:00Z')],
      ['c', 'b', 'a'],
    ],
    [
      'not Ready after Ready, whatever its time',
      [node('a', 'False', '2020-01-01T00:00:00Z'), node('b', 'True', '2026-12-06T10:00:00Z')],
      ['b', 'a'],
    ],
    [
      'Ready=Unknown and no Ready condition are not Ready',
      [node('a', 'Unknown', '2020-01-01T00:00:00Z'), node('b', null), node('c', 'True', '2026-12-06T10:00:00Z')],
      ['c', 'a', 'b'],
    ],
    ['Ready without a time after Ready with one', [node('a', 'True'), node('b', 'True', '2026-12-06T10:00:00Z')], ['b', 'a']],
    [
      'ties keep the name order',
      [node('w-2', 'True', '2026-12-06T10:00:00Z'), node('w-1', 'True', '2026-12-06T10:00:00Z'), node('w-3', 'True')],
      ['w-1', 'w-2', 'w-3'],
    ],
    ['none', [], []],
  ])('%s', (_what, nodes, expected) => {
    expect(startOrder(nodes)).toEqual(expected);
  });
});
