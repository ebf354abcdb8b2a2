/**
 * The workload of a pod through the API stand-in (real HTTP, the real client library): a
 * Deployment's pod through its ReplicaSet, a CronJob's through its Job, read once per owner; when
 * RBAC forbids the reads, the pod-template-hash convention and one warning.
 */
import { KubeConfig } from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import { startApiServer, type ApiServer } from '../../test/apiserver/index.js';
import { PodIndex } from '../join/pod-index.js';
import type { Log } from '../log.js';
import { PodWatch } from './pod-watch.js';

let api: ApiServer | null = null;
let watch: PodWatch | null = null;
afterEach(async () => {
  watch?.stop();
  await api?.close();
  api = watch = null;
});

const until = async (ok: () => boolean, ms = 5000): Promise<void> => {
  for (const end = Date.now() + ms; !ok(); ) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
};

interface Owned {
  a: ApiServer;
  pod(name: string, owner: { kind: string; name: string; uid: string } | null, labels?: Record<string, string>): void;
  rs(name: string, deploy: string | null): { kind: string; name: string; uid: string };
  job(name: string, cronjob: string | null): { kind: string; name: string; uid: string };
}

async function cluster(): Promise<Owned> {
  const a = (api = await startApiServer());
  a.addNode('worker-1');
  const ctl = (kind: string, name: string) => [
    { apiVersion: kind === 'CronJob' ? 'batch/v1' : 'apps/v1', kind, name, uid: `uid-${name}`, controller: true },
  ];
  return {
    a,
    pod(name, owner, labels = {}) {
      a.addPod({
        metadata: {
          namespace: 'shop',
          name,
          labels,
          ...(owner ? { ownerReferences: [{ apiVersion: 'v1', ...owner, controller: true }] } : {}),
        },
        spec: { nodeName: 'worker-1', containers: [{ name: 'c', image: 'i' }] },
      });
    },
    rs(name, deploy) {
      const o = a.addWorkload({
        apiVersion: 'apps/v1',
        kind: 'ReplicaSet',
        metadata: { namespace: 'shop', name, ...(deploy ? { ownerReferences: ctl('Deployment', deploy) } : {}) },
        spec: { selector: {}, template: {} },
      });
      return { kind: 'ReplicaSet', name, uid: o.metadata.uid! };
    },
    job(name, cronjob) {
      const o = a.addWorkload({
        apiVersion: 'batch/v1',
        kind: 'Job',
        metadata: { namespace: 'shop', name, ...(cronjob ? { ownerReferences: ctl('CronJob', cronjob) } : {}) },
        spec: { template: {} },
      });
      return { kind: 'Job', name, uid: o.metadata.uid! };
    },
  };
}

function start(a: ApiServer, warnings: string[]): PodIndex {
  const kc = new KubeConfig();
  kc.loadFromFile(a.kubeconfigPath);
  const log: Log = { progress: () => {}, warn: (m) => warnings.push(m), error: (m) => warnings.push(m), debug: () => {} };
  const index = new PodIndex();
  watch = new PodWatch(kc, 'worker-1', index, log);
  return index;
}

const workloads = (index: PodIndex, names: string[]): Record<string, string | undefined> =>
  Object.fromEntries(names.map((n) => [n, findPod(index, n)?.workload]));

function findPod(index: PodIndex, name: string) {
  const uid = api!.listPods('shop').find((p) => p.metadata.name === name)?.metadata.uid;
  return uid ? index.pod(uid) : undefined;
}

describe('workload of a pod, through its owners', () => {
  it('reads ReplicaSets and Jobs for their Deployment and CronJob, once per owner, before the first execs', async () => {
    const c = await cluster();
    const web = c.rs('web-7d9c8b6f5', 'web');
    const byHand = c.rs('frontend', null);
    const backup = c.job('backup-29412345', 'backup');
    c.pod('web-7d9c8b6f5-x2k4p', web, { 'pod-template-hash': '7d9c8b6f5' });
    c.pod('web-7d9c8b6f5-a1b2c', web, { 'pod-template-hash': '7d9c8b6f5' });
    c.pod('frontend-zz9yx', byHand);
    c.pod('backup-29412345-q8w7e', backup);
    c.pod('db-0', { kind: 'StatefulSet', name: 'db', uid: 'uid-db' });
    c.pod('debug', null);
    const warnings: string[] = [];
    const index = start(c.a, warnings);
    await watch!.start();
    expect(
      workloads(index, ['web-7d9c8b6f5-x2k4p', 'web-7d9c8b6f5-a1b2c', 'frontend-zz9yx', 'backup-29412345-q8w7e', 'db-0', 'debug']),
    ).toEqual({
      'web-7d9c8b6f5-x2k4p': 'deploy/web',
      'web-7d9c8b6f5-a1b2c': 'deploy/web',
      'frontend-zz9yx': 'rs/frontend',
      'backup-29412345-q8w7e': 'cronjob/backup',
      'db-0': 'sts/db',
      debug: 'pod/debug',
    });
    const reads = c.a.requests.filter((r) => /\/(replicasets|jobs)\//.test(r.path));
    expect(reads).toHaveLength(3); // one per owner, not per pod
    expect(warnings).toEqual([]);
  });

  it('a pod whose owner comes after the list gets its workload once the owner is read', async () => {
    const c = await cluster();
    const index = start(c.a, []);
    await watch!.start();
    const job = c.job('report-29412346', 'report');
    c.pod('report-29412346-abcde', job);
    await until(() => findPod(index, 'report-29412346-abcde')?.workload === 'cronjob/report');
  });

  it('when RBAC forbids reading them: deploy/NAME by the pod-template-hash convention, job/NAME, and one warning each', async () => {
    const c = await cluster();
    const web = c.rs('web-7d9c8b6f5', 'web');
    const backup = c.job('backup-29412345', 'backup');
    c.pod('web-7d9c8b6f5-x2k4p', web, { 'pod-template-hash': '7d9c8b6f5' });
    c.pod('web-7d9c8b6f5-a1b2c', web, { 'pod-template-hash': '7d9c8b6f5' });
    c.pod('backup-29412345-q8w7e', backup);
    c.a.denyAccess('get', 'replicasets');
    c.a.denyAccess('get', 'jobs');
    const warnings: string[] = [];
    const index = start(c.a, warnings);
    await watch!.start();
    expect(workloads(index, ['web-7d9c8b6f5-x2k4p', 'web-7d9c8b6f5-a1b2c', 'backup-29412345-q8w7e'])).toEqual({
      'web-7d9c8b6f5-x2k4p': 'deploy/web',
      'web-7d9c8b6f5-a1b2c': 'deploy/web',
      'backup-29412345-q8w7e': 'job/backup-29412345',
    });
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toMatch(/^cannot read (replicasets|jobs) in namespace shop \(forbidden\)/);
    expect(warnings.join('\n')).toMatch(/allow get on replicasets\.apps/);
  });
});
