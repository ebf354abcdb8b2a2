import { describe, expect, it } from 'vitest';
import { PodIndex, containerIdFromStatus, type ContainerRecord, type PodRecord } from './pod-index.js';

const hex64 = (c: string): string => c.repeat(64);
const ID_APP = hex64('a');
const ID_SIDECAR = hex64('b');
const ID_INIT = hex64('c');
const ID_DEBUG = hex64('d');

const WEB: PodRecord = {
  uid: '3f8e5a1c-2b7d-4c9e-8f10-6a5b4c3d2e1f',
  namespace: 'shop',
  name: 'web-7d9c8b6f5-x2k4p',
  mirrorHash: null,
  containers: [
    { id: ID_APP, name: 'app', kind: 'container' },
    { id: ID_SIDECAR, name: 'envoy', kind: 'container' },
    { id: ID_INIT, name: 'migrate', kind: 'init' },
    { id: ID_DEBUG, name: 'debugger-abcde', kind: 'ephemeral' },
  ],
};

const ETCD_HASH = '9a3b5c7d1e2f4a6b8c0d2e4f6a8b0c1d';
const ETCD: PodRecord = {
  uid: '0d1c2b3a-4f5e-6d7c-8b9a-0f1e2d3c4b5a',
  namespace: 'kube-system',
  name: 'etcd-node-1',
  mirrorHash: ETCD_HASH,
  containers: [{ id: hex64('e'), name: 'etcd', kind: 'container' }],
};

const pod = (uid: string, containers: ContainerRecord[] = [], name = `pod-${uid.slice(0, 4)}`): PodRecord => ({
  uid,
  namespace: 'default',
  name,
  mirrorHash: null,
  containers,
});

/** Who an index resolves a container id to: "namespace/pod/container", or null. */
const who = (index: PodIndex, id: string): string | null => {
  const hit = index.container(id);
  return hit ? `${hit.pod.namespace}/${hit.pod.name}/${hit.container.name}` : null;
};

describe('containerIdFromStatus', () => {
  it.each<[string | null | undefined, string | null]>([
    [`containerd://${ID_APP}`, ID_APP],
    [`cri-o://${ID_APP}`, ID_APP],
    [`docker://${ID_APP}`, ID_APP],
    [ID_APP, null], // no runtime prefix
    [`containerd://${ID_APP.slice(1)}`, null], // 63 hex
    [`containerd://${ID_APP}0`, null], // 65 hex
    [`containerd://${ID_APP.toUpperCase()}`, null], // runtimes write lowercase
    [`containerd://${ID_APP.slice(1)}g`, null], // not hex
    [`containerd:/${ID_APP}`, null],
    [` containerd://${ID_APP}`, null],
    ['', null],
    [null, null],
    [undefined, null],
  ])('%j → %j', (status, id) => {
    expect(containerIdFromStatus(status)).toBe(id);
  });
});

describe('PodIndex', () => {
  describe('lookups', () => {
    const index = new PodIndex();
    index.upsert(WEB);
    index.upsert(ETCD);

    it('finds a pod by uid', () => {
      expect(index.pod(WEB.uid)).toMatchObject({ namespace: 'shop', name: 'web-7d9c8b6f5-x2k4p' });
      expect(index.size).toBe(2);
    });

    it('finds a static pod by the config hash its cgroup carries', () => {
      expect(index.pod(ETCD_HASH)).toMatchObject({ namespace: 'kube-system', name: 'etcd-node-1' });
    });

    it.each([
      ['a container', ID_APP, 'shop/web-7d9c8b6f5-x2k4p/app', 'container'],
      ['a second container', ID_SIDECAR, 'shop/web-7d9c8b6f5-x2k4p/envoy', 'container'],
      ['an init container', ID_INIT, 'shop/web-7d9c8b6f5-x2k4p/migrate', 'init'],
      ['an ephemeral container', ID_DEBUG, 'shop/web-7d9c8b6f5-x2k4p/debugger-abcde', 'ephemeral'],
      ["a static pod's container", hex64('e'), 'kube-system/etcd-node-1/etcd', 'container'],
    ])('finds %s by its id', (_name, id, expected, kind) => {
      expect(who(index, id)).toBe(expected);
      expect(index.container(id)?.container.kind).toBe(kind);
    });

    it.each([
      ['an unknown uid', () => index.pod('11111111-2222-3333-4444-555555555555')],
      ['a uid with underscores (cgroup spelling)', () => index.pod(WEB.uid.replaceAll('-', '_'))],
      ['an unknown container id', () => index.container(hex64('f'))],
    ])('finds nothing for %s', (_name, lookup) => {
      expect(lookup()).toBeUndefined();
    });
  });

  describe('deleted pods (tombstones)', () => {
    const T = 1_000_000;

    it('still resolve after remove(), until expire() is past tombstoneMs', () => {
      const index = new PodIndex({ tombstoneMs: 60_000 });
      index.upsert(WEB);
      index.upsert(ETCD);
      index.remove(WEB.uid, T);
      index.remove(ETCD.uid, T);

      index.expire(T + 59_999);
      expect(index.pod(WEB.uid)).toBeDefined();
      expect(who(index, ID_APP)).toBe('shop/web-7d9c8b6f5-x2k4p/app');
      expect(index.pod(ETCD_HASH)).toBeDefined();

      index.expire(T + 60_000);
      expect(index.pod(WEB.uid)).toBeUndefined();
      expect(index.container(ID_APP)).toBeUndefined();
      expect(index.container(ID_INIT)).toBeUndefined();
      expect(index.pod(ETCD_HASH)).toBeUndefined();
      expect(index.size).toBe(0);
    });

    it('expire() forgets only the tombstones that are old enough', () => {
      const index = new PodIndex({ tombstoneMs: 1000 });
      const [a, b, c] = [
        'aaaaaaaa-0000-0000-0000-000000000000',
        'bbbbbbbb-0000-0000-0000-000000000000',
        'cccccccc-0000-0000-0000-000000000000',
      ];
      for (const uid of [a, b, c]) index.upsert(pod(uid));
      index.remove(a, T);
      index.remove(b, T + 500);
      index.expire(T + 1200);
      expect([a, b, c].map((uid) => index.pod(uid) !== undefined)).toEqual([false, true, true]);
    });

    it('beyond maxTombstones the oldest go first', () => {
      const index = new PodIndex({ tombstoneMs: 60_000, maxTombstones: 2 });
      const uids = ['1', '2', '3'].map((d) => `${d.repeat(8)}-0000-0000-0000-000000000000`);
      for (const uid of uids) index.upsert(pod(uid));
      uids.forEach((uid, i) => index.remove(uid, T + i));
      index.expire(T + 10);
      expect(uids.map((uid) => index.pod(uid) !== undefined)).toEqual([false, true, true]);
    });

    it('a pod upserted again after remove() is live again', () => {
      const index = new PodIndex({ tombstoneMs: 1000 });
      index.upsert(WEB);
      index.remove(WEB.uid, T);
      index.upsert(WEB);
      index.expire(T + 5000);
      expect(index.pod(WEB.uid)).toBeDefined();
    });

    it('remove() of an unknown uid does nothing', () => {
      const index = new PodIndex();
      index.remove(WEB.uid, T);
      index.upsert(WEB);
      index.expire(T + 10 * 60_000);
      expect(index.pod(WEB.uid)).toBeDefined();
    });

    it('replaceAll() turns pods missing from the new list into tombstones', () => {
      const index = new PodIndex({ tombstoneMs: 60_000 });
      const gone = pod('99999999-0000-0000-0000-000000000000', [{ id: hex64('9'), name: 'c', kind: 'container' }], 'gone');
      index.upsert(WEB);
      index.upsert(gone);
      const fresh = pod('77777777-0000-0000-0000-000000000000', [], 'fresh');
      index.replaceAll([WEB, fresh], T);

      expect(index.pod(gone.uid)?.name).toBe('gone');
      expect(who(index, hex64('9'))).toBe('default/gone/c');
      expect(index.pod(fresh.uid)?.name).toBe('fresh');

      index.expire(T + 60_000);
      expect(index.pod(gone.uid)).toBeUndefined();
      expect(index.container(hex64('9'))).toBeUndefined();
      expect(index.pod(WEB.uid)).toBeDefined();
      expect(index.pod(fresh.uid)).toBeDefined();
    });

    it('replaceAll() keeps the deletion time of a pod that was already a tombstone', () => {
      const index = new PodIndex({ tombstoneMs: 60_000 });
      index.upsert(WEB);
      index.remove(WEB.uid, T);
      index.replaceAll([], T + 50_000);
      index.expire(T + 60_000);
      expect(index.pod(WEB.uid)).toBeUndefined();
    });
  });

  describe('restarted containers', () => {
    it("a restarted container's old id still resolves, to the same name", () => {
      const index = new PodIndex();
      index.upsert(WEB);
      const restarted = hex64('0');
      index.upsert({ ...WEB, containers: WEB.containers.map((c) => (c.id === ID_APP ? { ...c, id: restarted } : c)) });
      expect(who(index, restarted)).toBe('shop/web-7d9c8b6f5-x2k4p/app');
      expect(who(index, ID_APP)).toBe('shop/web-7d9c8b6f5-x2k4p/app');
    });

    it('a crash-looping container keeps its 16 most recent earlier ids, and they all go with the pod', () => {
      const index = new PodIndex({ tombstoneMs: 1000 });
      const ids = Array.from({ length: 20 }, (_, i) => i.toString(16).padStart(64, '0'));
      for (const id of ids) index.upsert(pod(WEB.uid, [{ id, name: 'app', kind: 'container' }], 'crashy'));
      const resolves = ids.map((id) => index.container(id) !== undefined);
      // ids[19] is running, ids[3..18] are the earlier instances kept, ids[0..2] are forgotten.
      expect(resolves).toEqual([false, false, false, ...Array<boolean>(17).fill(true)]);

      index.remove(WEB.uid, 0);
      index.expire(1000);
      expect(ids.filter((id) => index.container(id) !== undefined)).toEqual([]);
    });
  });
});
