import { describe, expect, it } from 'vitest';
import type { AttributedEvent } from '../join/types.js';
import { attributionOf, podUidOf, unitOf, type Attribution } from './attribution.js';
import { POD_UID, hostEvent, podEvent, unattributedEvent } from './fixtures.test-helpers.js';

interface Row {
  name: string;
  e: AttributedEvent;
  attribution: Attribution;
  podUid: string | null;
  unit: string | null;
}

describe('attribution', () => {
  it.each<Row>([
    { name: 'pod container', e: podEvent(), attribution: 'pod', podUid: POD_UID, unit: null },
    {
      name: 'pod cgroup, container unknown',
      e: podEvent({}, { container: null, containerId: null }),
      attribution: 'pod',
      podUid: POD_UID,
      unit: null,
    },
    { name: 'host process in a unit', e: hostEvent({}, 'sshd.service'), attribution: 'host', podUid: null, unit: 'sshd.service' },
    { name: 'host process, no unit', e: hostEvent({}, null), attribution: 'host', podUid: null, unit: null },
    { name: 'unattributed pod cgroup', e: unattributedEvent(), attribution: 'unattributed', podUid: POD_UID, unit: null },
    {
      name: 'pod cgroup the join left nameless without flagging it',
      e: { ...podEvent(), namespace: null, pod: null },
      attribution: 'unattributed',
      podUid: POD_UID,
      unit: null,
    },
  ])('$name', ({ e, attribution, podUid, unit }) => {
    expect(attributionOf(e)).toBe(attribution);
    expect(podUidOf(e)).toBe(podUid);
    expect(unitOf(e)).toBe(unit);
  });
});
