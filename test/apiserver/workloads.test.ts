/**
 * apps/v1 (deployments, statefulsets, daemonsets, replicasets) and batch/v1 (jobs) on the stand-in,
 * exercised through the real @kubernetes/client-node 2.x clients and, when installed, kubectl.
 */
import { tempDir, removeTempDirs } from '../support/tmp.js';
import { execFile } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import {
  ApiException,
  ApisApi,
  AppsApi,
  AppsV1Api,
  AuthorizationV1Api,
  BatchV1Api,
  CoreV1Api,
  KubeConfig,
  Watch,
  type V1Deployment,
  type V1Status,
} from '@kubernetes/client-node';
import { afterEach, beforeEach, describe, expect, it, afterAll } from 'vitest';
import { startApiServer, type ApiServer, type WorkloadRecordInput } from './index.js';

const KUBECTL = '/usr/bin/kubectl';

let api: ApiServer;
let kc: KubeConfig;
let apps: AppsV1Api;
let batch: BatchV1Api;

beforeEach(async () => {
  api = await startApiServer({ podStartDelayMs: 50 });
  api.addNode('node-1');
  kc = new KubeConfig();
  kc.loadFromFile(api.kubeconfigPath);
  apps = kc.makeApiClient(AppsV1Api);
  batch = kc.makeApiClient(BatchV1Api);
});

afterEach(async () => {
  await api.close();
});

async function statusOf(call: Promise<unknown>): Promise<{ code: number; body: V1Status }> {
  try {
    await call;
  } catch (err) {
    if (!(err instanceof ApiException)) throw err;
    const body = (typeof err.body === 'string' ? JSON.parse(err.body) : err.body) as V1Status;
    return { code: err.code, body };
  }
  throw new Error('expected the call to fail');
}

function template(app: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { metadata: { labels: { app } }, spec: { containers: [{ name: 'main', image: `registry.example/${app}:1.0` }], ...extra } };
}

function workload(
  apiVersion: string,
  kind: string,
  namespace: string,
  name: string,
  labels: Record<string, string> = {},
  spec: Record<string, unknown> = {},
): WorkloadRecordInput {
  return {
    apiVersion,
    kind,
    metadata: { namespace, name, labels: { app: name, ...labels } },
    spec: { selector: { matchLabels: { app: name } }, template: template(name), ...spec },
  };
}

/** One of each kind in namespace "shop". */
function addAll(): void {
  api.addWorkload({
    ...workload('apps/v1', 'Deployment', 'shop', 'web', { tier: 'front' }, { replicas: 3 }),
    status: { replicas: 3, readyReplicas: 2, updatedReplicas: 3, availableReplicas: 2 },
  });
  api.addWorkload(workload('apps/v1', 'StatefulSet', 'shop', 'db', { tier: 'back' }, { replicas: 1, serviceName: 'db' }));
  api.addWorkload(workload('apps/v1', 'DaemonSet', 'shop', 'agent', { tier: 'infra' }));
  api.addWorkload({
    ...workload('apps/v1', 'ReplicaSet', 'shop', 'web-5d4f8c7b9', { tier: 'front' }, { replicas: 3 }),
    status: { replicas: 3 },
  });
  api.addWorkload({
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { namespace: 'shop', name: 'migrate', labels: { app: 'migrate', tier: 'back' } },
    spec: { template: template('migrate', { restartPolicy: 'Never' }) },
    status: { succeeded: 1, conditions: [{ type: 'Complete', status: 'True' }] },
  });
}

describe('reading workloads with AppsV1Api and BatchV1Api', () => {
  it('reads each kind as stored, with server-assigned metadata', async () => {
    addAll();
    const deploy = await apps.readNamespacedDeployment({ namespace: 'shop', name: 'web' });
    expect(deploy.apiVersion).toBe('apps/v1');
    expect(deploy.kind).toBe('Deployment');
    expect(deploy.metadata?.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(Number(deploy.metadata?.resourceVersion)).toBeGreaterThan(0);
    expect(deploy.metadata?.creationTimestamp).toBeInstanceOf(Date);
    expect(deploy.metadata?.generation).toBe(1);
    expect(deploy.spec?.selector.matchLabels).toEqual({ app: 'web' });
    expect(deploy.spec?.template.spec?.containers[0]?.image).toBe('registry.example/web:1.0');
    expect(deploy.status?.readyReplicas).toBe(2);

    const sts = await apps.readNamespacedStatefulSet({ namespace: 'shop', name: 'db' });
    expect([sts.kind, sts.spec?.serviceName]).toEqual(['StatefulSet', 'db']);
    const ds = await apps.readNamespacedDaemonSet({ namespace: 'shop', name: 'agent' });
    expect([ds.kind, ds.spec?.selector.matchLabels?.['app']]).toEqual(['DaemonSet', 'agent']);
    const rs = await apps.readNamespacedReplicaSet({ namespace: 'shop', name: 'web-5d4f8c7b9' });
    expect([rs.kind, rs.spec?.replicas, rs.status?.replicas]).toEqual(['ReplicaSet', 3, 3]);
    const job = await batch.readNamespacedJob({ namespace: 'shop', name: 'migrate' });
    expect([job.apiVersion, job.kind, job.status?.succeeded]).toEqual(['batch/v1', 'Job', 1]);
    // Like the API server, the stand-in generates the selector of a Job given without one.
    const uid = job.metadata?.uid as string;
    expect(job.spec?.selector?.matchLabels).toEqual({ 'batch.kubernetes.io/controller-uid': uid });
    expect(job.spec?.template.metadata?.labels).toMatchObject({
      app: 'migrate',
      'batch.kubernetes.io/controller-uid': uid,
      'job-name': 'migrate',
    });
    expect(job.metadata?.labels).toEqual({ app: 'migrate', tier: 'back' });

    // The namespace was created on the way, and no controller made pods.
    expect(api.listNamespaces().map((n) => n.metadata.name)).toContain('shop');
    expect(api.listPods('shop')).toEqual([]);
  });

  it('answers 404 with qualified resource names, also after deleteWorkload', async () => {
    addAll();
    const missing = await statusOf(apps.readNamespacedDeployment({ namespace: 'shop', name: 'x' }));
    expect(missing.code).toBe(404);
    expect(missing.body).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'deployments.apps "x" not found',
      reason: 'NotFound',
      details: { name: 'x', group: 'apps', kind: 'deployments' },
      code: 404,
    });
    expect((await statusOf(apps.readNamespacedStatefulSet({ namespace: 'shop', name: 'x' }))).body.message).toBe(
      'statefulsets.apps "x" not found',
    );
    expect((await statusOf(apps.readNamespacedDaemonSet({ namespace: 'shop', name: 'x' }))).body.message).toBe(
      'daemonsets.apps "x" not found',
    );
    expect((await statusOf(apps.readNamespacedReplicaSet({ namespace: 'shop', name: 'x' }))).body.message).toBe(
      'replicasets.apps "x" not found',
    );
    const job = await statusOf(batch.readNamespacedJob({ namespace: 'shop', name: 'x' }));
    expect(job.body).toMatchObject({
      code: 404,
      message: 'jobs.batch "x" not found',
      details: { name: 'x', group: 'batch', kind: 'jobs' },
    });
    // Right name, wrong namespace.
    expect((await statusOf(apps.readNamespacedDeployment({ namespace: 'default', name: 'web' }))).code).toBe(404);

    expect(api.deleteWorkload('apps/v1', 'Deployment', 'shop', 'web')?.metadata.name).toBe('web');
    expect(api.deleteWorkload('apps/v1', 'Deployment', 'shop', 'web')).toBeUndefined();
    expect((await statusOf(apps.readNamespacedDeployment({ namespace: 'shop', name: 'web' }))).body.message).toBe(
      'deployments.apps "web" not found',
    );
    // The ReplicaSet it would have owned is untouched: there is no garbage collector.
    await apps.readNamespacedReplicaSet({ namespace: 'shop', name: 'web-5d4f8c7b9' });

    // Resources we do not serve, and core resources under a group path, are not routes.
    const unserved = await fetch(`${api.url}/apis/apps/v1/namespaces/shop/controllerrevisions`);
    expect(unserved.status).toBe(404);
    expect(await unserved.json()).toMatchObject({ reason: 'NotFound', message: 'the server could not find the requested resource' });
    expect((await fetch(`${api.url}/apis/apps/v1/namespaces/shop/pods`)).status).toBe(404);
    expect((await fetch(`${api.url}/api/v1/namespaces/shop/deployments`)).status).toBe(404);
  });

  it('lists with label and field selectors, per namespace and across all', async () => {
    addAll();
    api.addWorkload(workload('apps/v1', 'Deployment', 'other', 'api', { tier: 'front' }));
    api.addWorkload({
      ...workload('apps/v1', 'ReplicaSet', 'other', 'api-old', { tier: 'front' }, { replicas: 0 }),
      status: { replicas: 0 },
    });
    const names = (list: { items: { metadata?: { namespace?: string; name?: string } }[] }): string[] =>
      list.items.map((i) => `${i.metadata?.namespace}/${i.metadata?.name}`);

    const shop = await apps.listNamespacedDeployment({ namespace: 'shop' });
    expect(names(shop)).toEqual(['shop/web']);
    expect(Number(shop.metadata?.resourceVersion)).toBeGreaterThan(0);
    expect(names(await apps.listDeploymentForAllNamespaces({ labelSelector: 'tier=front' }))).toEqual(['other/api', 'shop/web']);
    expect(names(await apps.listDeploymentForAllNamespaces({ labelSelector: 'app in (api),tier' }))).toEqual(['other/api']);
    expect(names(await apps.listNamespacedDeployment({ namespace: 'shop', labelSelector: 'tier!=front' }))).toEqual([]);
    expect(names(await apps.listDeploymentForAllNamespaces({ fieldSelector: 'metadata.namespace=shop' }))).toEqual(['shop/web']);
    expect(names(await apps.listNamespacedStatefulSet({ namespace: 'shop', labelSelector: 'tier=back' }))).toEqual(['shop/db']);
    expect(names(await apps.listDaemonSetForAllNamespaces({ fieldSelector: 'metadata.name=agent' }))).toEqual(['shop/agent']);
    expect(names(await apps.listReplicaSetForAllNamespaces({ fieldSelector: 'status.replicas!=0' }))).toEqual(['shop/web-5d4f8c7b9']);
    expect(names(await batch.listNamespacedJob({ namespace: 'shop', labelSelector: 'tier=back' }))).toEqual(['shop/migrate']);
    expect(names(await batch.listJobForAllNamespaces({ fieldSelector: 'status.successful=1' }))).toEqual(['shop/migrate']);

    const bad = await statusOf(apps.listNamespacedDeployment({ namespace: 'shop', fieldSelector: 'status.replicas=3' }));
    expect(bad.body).toMatchObject({ code: 400, reason: 'BadRequest', message: 'field label not supported: status.replicas' });

    // On the wire: a DeploymentList of apps/v1, items without kind/apiVersion, as the API server sends it.
    const raw = (await fetch(`${api.url}/apis/apps/v1/namespaces/shop/deployments`).then((r) => r.json())) as Record<string, unknown>;
    expect(raw).toMatchObject({ kind: 'DeploymentList', apiVersion: 'apps/v1' });
    expect((raw['items'] as Record<string, unknown>[])[0]).not.toHaveProperty('kind');
  });

  it('serves discovery for apps/v1 and batch/v1', async () => {
    const groups = await kc.makeApiClient(ApisApi).getAPIVersions();
    expect(groups.groups.map((g) => g.name)).toEqual(['apps', 'authorization.k8s.io', 'batch']);
    expect(groups.groups.find((g) => g.name === 'batch')?.preferredVersion).toEqual({ groupVersion: 'batch/v1', version: 'v1' });
    const appsGroup = await kc.makeApiClient(AppsApi).getAPIGroup();
    expect(appsGroup.versions).toEqual([{ groupVersion: 'apps/v1', version: 'v1' }]);

    const appsResources = await apps.getAPIResources();
    expect(appsResources.groupVersion).toBe('apps/v1');
    const byName = new Map(appsResources.resources.map((r) => [r.name, r]));
    expect([...byName.keys()]).toEqual(['daemonsets', 'deployments', 'replicasets', 'statefulsets']);
    expect(byName.get('deployments')).toMatchObject({
      kind: 'Deployment',
      singularName: 'deployment',
      namespaced: true,
      shortNames: ['deploy'],
      categories: ['all'],
    });
    expect(byName.get('deployments')?.verbs).toEqual(expect.arrayContaining(['get', 'list', 'watch']));
    expect(byName.get('statefulsets')?.shortNames).toEqual(['sts']);
    const batchResources = await batch.getAPIResources();
    expect(batchResources.resources.map((r) => `${r.name} ${r.kind}`)).toEqual(['jobs Job']);

    // Core discovery is unchanged: no apps resources there.
    const core = await kc.makeApiClient(CoreV1Api).getAPIResources();
    expect(core.resources.map((r) => r.name)).not.toContain('deployments');
    expect((await fetch(`${api.url}/apis/extensions/v1beta1`)).status).toBe(404);
  });

  it('authorizes through denyAccess, with the API group in the 403', async () => {
    addAll();
    api.denyAccess('get', 'deployments');
    const denied = await statusOf(apps.readNamespacedDeployment({ namespace: 'shop', name: 'web' }));
    expect(denied.code).toBe(403);
    expect(denied.body).toMatchObject({
      reason: 'Forbidden',
      message: `deployments.apps "web" is forbidden: User "${api.userName}" cannot get resource "deployments" in API group "apps" in the namespace "shop"`,
      details: { name: 'web', group: 'apps', kind: 'deployments' },
    });
    // Other verbs and other resources stay allowed.
    expect((await apps.listNamespacedDeployment({ namespace: 'shop' })).items).toHaveLength(1);
    await apps.readNamespacedStatefulSet({ namespace: 'shop', name: 'db' });

    api.denyAccess('list', 'jobs');
    const list = await statusOf(batch.listJobForAllNamespaces({}));
    expect(list.body.message).toBe(
      `jobs.batch is forbidden: User "${api.userName}" cannot list resource "jobs" in API group "batch" at the cluster scope`,
    );

    const review = await kc.makeApiClient(AuthorizationV1Api).createSelfSubjectAccessReview({
      body: { spec: { resourceAttributes: { namespace: 'shop', verb: 'get', group: 'apps', resource: 'deployments' } } },
    });
    expect(review.status?.allowed).toBe(false);
    api.allowAllAccess();
    await apps.readNamespacedDeployment({ namespace: 'shop', name: 'web' });
  });

  it('watches workloads, and updateWorkload/deleteWorkload show up as MODIFIED/DELETED', async () => {
    addAll();
    const list = await apps.listNamespacedDeployment({ namespace: 'shop' });
    const events: string[] = [];
    const controller = await new Watch(kc).watch(
      '/apis/apps/v1/namespaces/shop/deployments',
      { resourceVersion: list.metadata?.resourceVersion },
      (type, obj: V1Deployment) => events.push(`${type} ${obj.metadata?.name} ${obj.status?.readyReplicas ?? '-'}`),
      () => {},
    );
    api.updateWorkload('apps/v1', 'Deployment', 'shop', 'web', (d) => (d.status = { ...d.status, readyReplicas: 3 }));
    api.addWorkload(workload('apps/v1', 'Deployment', 'shop', 'cart'));
    api.addWorkload(workload('apps/v1', 'StatefulSet', 'shop', 'cache')); // another resource: not in this watch
    api.deleteWorkload('apps/v1', 'Deployment', 'shop', 'web');
    const deadline = Date.now() + 4000;
    while (events.length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    controller.abort();
    expect(events).toEqual(['MODIFIED web 3', 'ADDED cart -', 'DELETED web 3']);
  });

  it('refuses unknown kinds and duplicates in addWorkload, and deleting the namespace deletes its workloads', async () => {
    addAll();
    expect(() => api.addWorkload({ apiVersion: 'apps/v1', kind: 'CronJob', metadata: { namespace: 'shop', name: 'x' } })).toThrow(
      /unsupported workload apiVersion\/kind/,
    );
    expect(() => api.addWorkload(workload('extensions/v1beta1', 'Deployment', 'shop', 'x'))).toThrow(/unsupported/);
    expect(() => api.addWorkload(workload('apps/v1', 'Deployment', 'shop', 'web'))).toThrow('deployments.apps "web" already exists');
    api.deleteNamespace('shop');
    expect((await apps.listDeploymentForAllNamespaces({})).items).toEqual([]);
    expect((await batch.listJobForAllNamespaces({})).items).toEqual([]);
  });
});

describe('creating and deleting workloads through the API', () => {
  it('creates a Deployment with the apps/v1 defaults, and validates selector and template', async () => {
    await kc.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: 'shop' } } });
    const created = await apps.createNamespacedDeployment({
      namespace: 'shop',
      body: { metadata: { name: 'web' }, spec: { selector: { matchLabels: { app: 'web' } }, template: template('web') as never } },
    });
    expect(created.metadata?.generation).toBe(1);
    expect(created.spec).toMatchObject({
      replicas: 1,
      revisionHistoryLimit: 10,
      progressDeadlineSeconds: 600,
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
    });
    expect(created.spec?.template.spec?.restartPolicy).toBe('Always');
    expect(api.listPods('shop')).toEqual([]);

    const mismatch = await statusOf(
      apps.createNamespacedDeployment({
        namespace: 'shop',
        body: { metadata: { name: 'bad' }, spec: { selector: { matchLabels: { app: 'other' } }, template: template('web') as never } },
      }),
    );
    expect(mismatch.body).toMatchObject({
      code: 422,
      reason: 'Invalid',
      message:
        'Deployment.apps "bad" is invalid: spec.template.metadata.labels: Invalid value: map[string]string{"app":"web"}: `selector` does not match template `labels`',
      details: { name: 'bad', group: 'apps', kind: 'Deployment' },
    });
    const dup = await statusOf(apps.createNamespacedDeployment({ namespace: 'shop', body: created }));
    expect(dup.body).toMatchObject({ code: 409, reason: 'AlreadyExists', message: 'deployments.apps "web" already exists' });

    const deleted = await apps.deleteNamespacedDeployment({ namespace: 'shop', name: 'web' });
    expect(deleted).toMatchObject({
      status: 'Success',
      details: { name: 'web', group: 'apps', kind: 'deployments', uid: created.metadata?.uid },
    });
    expect((await statusOf(apps.deleteNamespacedDeployment({ namespace: 'shop', name: 'web' }))).code).toBe(404);
  });

  it('creates a Job with a generated selector, and insists on a restartPolicy', async () => {
    const created = await batch.createNamespacedJob({
      namespace: 'default',
      body: { metadata: { name: 'once' }, spec: { template: template('once', { restartPolicy: 'Never' }) as never } },
    });
    const uid = created.metadata?.uid as string;
    expect(created.spec).toMatchObject({
      completions: 1,
      parallelism: 1,
      backoffLimit: 6,
      selector: { matchLabels: { 'batch.kubernetes.io/controller-uid': uid } },
    });
    expect(created.spec?.template.metadata?.labels).toMatchObject({
      app: 'once',
      'job-name': 'once',
      'batch.kubernetes.io/job-name': 'once',
      'controller-uid': uid,
    });

    const bad = await statusOf(
      batch.createNamespacedJob({
        namespace: 'default',
        body: { metadata: { name: 'bad' }, spec: { template: template('bad') as never } },
      }),
    );
    expect(bad.body).toMatchObject({
      code: 422,
      message:
        'Job.batch "bad" is invalid: spec.template.spec.restartPolicy: Unsupported value: "Always": supported values: "OnFailure", "Never"',
    });
  });
});

describe.skipIf(!existsSync(KUBECTL))('kubectl and workloads', () => {
  let cacheDir: string;
  beforeEach(() => {
    cacheDir = tempDir('standin-kubectl-cache-');
  });
  afterEach(() => rmSync(cacheDir, { recursive: true, force: true }));

  /** Async on purpose: the server runs in this process, a synchronous exec would deadlock it. */
  const kubectl = (...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> =>
    new Promise((resolve) => {
      execFile(
        KUBECTL,
        ['--kubeconfig', api.kubeconfigPath, '--cache-dir', cacheDir, '--request-timeout', '5s', ...args],
        { timeout: 10000 },
        (err, stdout, stderr) => resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
    });

  it('gets deployments by short name, and every kind by name', async () => {
    addAll();
    const deploy = await kubectl('get', 'deploy', '-n', 'shop', '-o', 'name');
    expect(deploy.stderr).toBe('');
    expect(deploy.stdout).toBe('deployment.apps/web\n');

    const all = await kubectl('get', 'sts,ds,rs,jobs', '-n', 'shop', '-o', 'name');
    expect(all.stdout.split('\n').filter(Boolean)).toEqual([
      'statefulset.apps/db',
      'daemonset.apps/agent',
      'replicaset.apps/web-5d4f8c7b9',
      'job.batch/migrate',
    ]);

    const table = await kubectl('get', 'deployments', '-n', 'shop');
    expect(table.stdout).toMatch(/^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE\n/);
    expect(table.stdout).toMatch(/\nweb\s+2\/3\s+3\s+2\s+\S+\n/);
    const jobs = await kubectl('get', 'jobs', '-n', 'shop');
    expect(jobs.stdout).toMatch(/migrate\s+Complete\s+1\/1\s+/);

    const missing = await kubectl('get', 'deploy', 'nope', '-n', 'shop');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('deployments.apps "nope" not found');
  });
});

afterAll(removeTempDirs);
