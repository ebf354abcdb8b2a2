/**
 * The API server stand-in, exercised only through real clients: @kubernetes/client-node 2.x and, when it
 * is installed, kubectl. Nothing is mocked; exec'd commands are real processes on this machine.
 */
import { tempDir, removeTempDirs } from '../support/tmp.js';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import {
  ApiException,
  AuthorizationV1Api,
  CoreV1Api,
  Exec,
  KubeConfig,
  ListWatch,
  VersionApi,
  Watch,
  type V1Pod,
  type V1Status,
} from '@kubernetes/client-node';
import { afterEach, beforeEach, describe, expect, it, afterAll } from 'vitest';
import { startApiServer, type ApiServer } from './index.js';

const KUBECTL = '/usr/bin/kubectl';

let api: ApiServer;
let kc: KubeConfig;
let core: CoreV1Api;

beforeEach(async () => {
  api = await startApiServer({ podStartDelayMs: 50, badImages: ['registry.invalid/nope:1', /does-not-exist/] });
  api.addNode('node-1');
  kc = new KubeConfig();
  kc.loadFromFile(api.kubeconfigPath);
  core = kc.makeApiClient(CoreV1Api);
});

afterEach(async () => {
  await api.close();
});

async function waitFor<T>(probe: () => T | undefined | false | Promise<T | undefined | false>, what: string, timeoutMs = 4000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A live (non-zombie) process: orphans may never be reaped where PID 1 does not reap. */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^[ZX]/.test(stat.slice(stat.lastIndexOf(')') + 2));
  } catch {
    return false;
  }
}

/** The V1Status an ApiException carries (client-node leaves undocumented status codes as raw text). */
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

function podSpec(name: string, extra: Partial<V1Pod['spec']> = {}, labels?: Record<string, string>): V1Pod {
  return {
    metadata: { name, ...(labels ? { labels } : {}) },
    spec: { nodeName: 'node-1', containers: [{ name: 'main', image: 'busybox:1.36' }], ...extra },
  };
}

/** Creates the pod unless it exists, and waits for the kubelet to report it Running. */
async function runningPod(namespace: string, name: string, extra: Partial<V1Pod['spec']> = {}): Promise<V1Pod> {
  if (!api.getPod(namespace, name)) await core.createNamespacedPod({ namespace, body: podSpec(name, extra) });
  return waitFor(() => {
    const pod = api.getPod(namespace, name);
    return pod?.status?.phase === 'Running' && (pod as V1Pod);
  }, `pod ${name} running`);
}

interface ExecResult {
  stdout: string;
  stderr: string;
  status: V1Status | undefined;
}

/** Runs a command through client-node's Exec and waits for the socket to close. */
async function exec(namespace: string, pod: string, command: string[]): Promise<ExecResult> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const result: ExecResult = { stdout: '', stderr: '', status: undefined };
  stdout.on('data', (d: Buffer) => (result.stdout += d.toString()));
  stderr.on('data', (d: Buffer) => (result.stderr += d.toString()));
  const ws = await new Exec(kc).exec(namespace, pod, 'main', command, stdout, stderr, null, false, (s) => (result.status = s));
  await new Promise<void>((resolve) => ws.on('close', () => resolve()));
  return result;
}

describe('discovery and version', () => {
  it('serves /version, /api/v1 and /apis like a 1.32 API server', async () => {
    const version = await kc.makeApiClient(VersionApi).getCode();
    expect(version.gitVersion).toBe('v1.32.0');
    const resources = await core.getAPIResources();
    const byName = new Map(resources.resources.map((r) => [r.name, r]));
    expect(byName.get('pods')?.verbs).toEqual(expect.arrayContaining(['create', 'delete', 'get', 'list', 'watch']));
    expect(byName.get('pods/exec')?.verbs).toContain('create');
    expect(byName.get('nodes')?.namespaced).toBe(false);
    const groups = (await fetch(`${api.url}/apis`).then((r) => r.json())) as { groups: { name: string }[] };
    expect(groups.groups.map((g) => g.name)).toContain('authorization.k8s.io');
  });
});

describe('namespaces, nodes and pods over REST', () => {
  it('creates namespaces with generateName, lists, gets and deletes them (with their pods)', async () => {
    const created = await core.createNamespace({ body: { metadata: { generateName: 'e2e-', labels: { team: 'a' } } } });
    const name = created.metadata?.name as string;
    expect(name).toMatch(/^e2e-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    expect((await core.readNamespace({ name })).metadata?.labels).toMatchObject({ team: 'a', 'kubernetes.io/metadata.name': name });
    const listed = await core.listNamespace({ labelSelector: 'team=a' });
    expect(listed.items.map((n) => n.metadata?.name)).toEqual([name]);

    await core.createNamespacedPod({ namespace: name, body: podSpec('p1') });
    await core.deleteNamespace({ name });
    expect(api.listNamespaces().map((n) => n.metadata.name)).not.toContain(name);
    expect(api.listPods(name)).toEqual([]);
  });

  it('serves nodes with Ready conditions and node info, and 404 for unknown ones', async () => {
    api.addNode('node-2', { ready: false, labels: { zone: 'b' } });
    const nodes = await core.listNode();
    const ready = Object.fromEntries(
      nodes.items.map((n) => [n.metadata?.name, n.status?.conditions?.find((c) => c.type === 'Ready')?.status]),
    );
    expect(ready).toEqual({ 'node-1': 'True', 'node-2': 'False' });
    const node = await core.readNode({ name: 'node-2' });
    expect(node.status?.nodeInfo?.kernelVersion).toBeTruthy();
    expect(node.metadata?.labels).toMatchObject({ zone: 'b', 'kubernetes.io/hostname': 'node-2' });
    // amd64 on any machine unless told; the architecture labels follow nodeInfo.architecture.
    expect(node.status?.nodeInfo?.architecture).toBe('amd64');
    expect(node.metadata?.labels).toMatchObject({ 'kubernetes.io/arch': 'amd64', 'beta.kubernetes.io/arch': 'amd64' });
    api.addNode('graviton', { nodeInfo: { architecture: 'arm64' } });
    const arm = await core.readNode({ name: 'graviton' });
    expect(arm.status?.nodeInfo?.architecture).toBe('arm64');
    expect(arm.metadata?.labels).toMatchObject({ 'kubernetes.io/arch': 'arm64', 'beta.kubernetes.io/arch': 'arm64' });
    const { code, body } = await statusOf(core.readNode({ name: 'ghost' }));
    expect(code).toBe(404);
    expect(body).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'NotFound', message: 'nodes "ghost" not found', code: 404 });
  });

  it('filters pods with label and field selectors, per namespace and across all', async () => {
    api.addNode('node-2');
    await core.createNamespace({ body: { metadata: { name: 'a' } } });
    await core.createNamespace({ body: { metadata: { name: 'b' } } });
    await core.createNamespacedPod({ namespace: 'a', body: podSpec('web', {}, { app: 'web', tier: 'front' }) });
    await core.createNamespacedPod({ namespace: 'a', body: podSpec('db', { nodeName: 'node-2' }, { app: 'db', tier: 'back' }) });
    await core.createNamespacedPod({ namespace: 'b', body: podSpec('cache', {}, { app: 'cache', legacy: 'yes' }) });
    const generated = await core.createNamespacedPod({ namespace: 'b', body: { ...podSpec(''), metadata: { generateName: 'job-' } } });
    expect(generated.metadata?.name).toMatch(/^job-[a-z0-9]{5}$/);

    const names = async (p: Promise<{ items: V1Pod[] }>): Promise<string[]> =>
      (await p).items.map((i) => i.metadata?.name as string).sort();
    expect(await names(core.listNamespacedPod({ namespace: 'a', labelSelector: 'app=web' }))).toEqual(['web']);
    expect(await names(core.listNamespacedPod({ namespace: 'a', labelSelector: 'tier!=front' }))).toEqual(['db']);
    expect(await names(core.listPodForAllNamespaces({ labelSelector: 'app in (web, cache),!legacy' }))).toEqual(['web']);
    expect(await names(core.listPodForAllNamespaces({ labelSelector: 'legacy' }))).toEqual(['cache']);
    expect(await names(core.listPodForAllNamespaces({ fieldSelector: 'spec.nodeName=node-2' }))).toEqual(['db']);
    expect(await names(core.listPodForAllNamespaces({ fieldSelector: 'metadata.namespace=b,metadata.name=cache' }))).toEqual(['cache']);
    await waitFor(() => api.listPods().every((p) => p.status?.phase === 'Running'), 'all pods running');
    expect(await names(core.listPodForAllNamespaces({ fieldSelector: 'status.phase=Running' }))).toHaveLength(4);
    expect(await names(core.listPodForAllNamespaces({ fieldSelector: 'status.phase!=Running' }))).toEqual([]);

    const list = await core.listPodForAllNamespaces({});
    expect(Number(list.metadata?.resourceVersion)).toBeGreaterThan(0);
    const bad = await statusOf(core.listPodForAllNamespaces({ fieldSelector: 'spec.bogus=x' }));
    expect(bad.body).toMatchObject({ code: 400, reason: 'BadRequest', message: 'field label not supported: spec.bogus' });
  });

  it('answers 404, 409, 403 and 422 with real Status bodies', async () => {
    const missing = await statusOf(core.readNamespacedPod({ namespace: 'default', name: 'x' }));
    expect(missing.code).toBe(404);
    expect(missing.body).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'pods "x" not found',
      reason: 'NotFound',
      details: { name: 'x', kind: 'pods' },
      code: 404,
    });

    await core.createNamespacedPod({ namespace: 'default', body: podSpec('dup') });
    const dup = await statusOf(core.createNamespacedPod({ namespace: 'default', body: podSpec('dup') }));
    expect(dup.body).toMatchObject({
      code: 409,
      reason: 'AlreadyExists',
      message: 'pods "dup" already exists',
      details: { name: 'dup', kind: 'pods' },
    });

    const invalid = await statusOf(
      core.createNamespacedPod({ namespace: 'default', body: { metadata: { name: 'empty' }, spec: { containers: [] } } }),
    );
    expect(invalid.body).toMatchObject({
      code: 422,
      reason: 'Invalid',
      message: 'Pod "empty" is invalid: spec.containers: Required value',
    });

    const noNs = await statusOf(core.createNamespacedPod({ namespace: 'nowhere', body: podSpec('p') }));
    expect(noNs.body).toMatchObject({ code: 404, message: 'namespaces "nowhere" not found' });

    api.denyAccess('create', 'pods');
    const denied = await statusOf(core.createNamespacedPod({ namespace: 'default', body: podSpec('p2') }));
    expect(denied.code).toBe(403);
    expect(denied.body).toMatchObject({
      reason: 'Forbidden',
      message: `pods is forbidden: User "${api.userName}" cannot create resource "pods" in API group "" in the namespace "default"`,
    });
    // Other verbs stay allowed.
    await core.readNamespacedPod({ namespace: 'default', name: 'dup' });
  });

  it('injects faults with failNext and logs requests', async () => {
    api.failNext(1, 503, (method, path) => method === 'GET' && path === '/api/v1/nodes');
    const failed = await statusOf(core.listNode());
    expect(failed.body).toMatchObject({ code: 503, reason: 'ServiceUnavailable' });
    expect((await core.listNode()).items).toHaveLength(1);
    expect(api.requests.filter((r) => r.path === '/api/v1/nodes').map((r) => r.status)).toEqual([503, 200]);
  });

  it('deletes pods (also with DeleteOptions) and keeps addPod/updatePod records', async () => {
    api.addPod({
      metadata: { namespace: 'tests', name: 'given', uid: 'uid-given', labels: { a: 'b' } },
      spec: { nodeName: 'node-1', containers: [{ name: 'main', image: 'x' }] },
      status: { containerStatuses: [{ name: 'main', containerID: 'containerd://abc', ready: true, state: { running: {} } }] },
    });
    expect(api.getPod('tests', 'given')?.status?.phase).toBe('Running');
    api.updatePod('tests', 'given', (p) => (p.metadata.labels = { a: 'c' }));
    const read = await core.readNamespacedPod({ namespace: 'tests', name: 'given' });
    expect(read.metadata?.labels).toEqual({ a: 'c' });
    expect(read.status?.containerStatuses?.[0]?.containerID).toBe('containerd://abc');

    const deleted = await core.deleteNamespacedPod({
      namespace: 'tests',
      name: 'given',
      gracePeriodSeconds: 30,
      body: { propagationPolicy: 'Background' },
    });
    expect(deleted.metadata?.name).toBe('given');
    expect(api.getPod('tests', 'given')).toBeUndefined();
    expect(api.deletePodRecord('tests', 'given')).toBeUndefined();
  });
});

describe('kubelet', () => {
  it('takes pods through Pending/ContainerCreating to Running with container ids', async () => {
    // A slow start, so that ContainerCreating is observable whatever the machine's load.
    await api.close();
    api = await startApiServer({ podStartDelayMs: 1000 });
    api.addNode('node-1');
    kc.loadFromFile(api.kubeconfigPath);
    core = kc.makeApiClient(CoreV1Api);

    const created = await core.createNamespacedPod({ namespace: 'default', body: podSpec('p') });
    expect(created.status?.phase).toBe('Pending');
    expect(api.getPod('default', 'p')?.status?.containerStatuses?.[0]?.state?.waiting?.reason).toBe('ContainerCreating');
    const pod = await runningPod('default', 'p');
    const status = pod.status?.containerStatuses?.[0];
    expect(status?.containerID).toMatch(/^containerd:\/\/[0-9a-f]{64}$/);
    expect(status?.ready).toBe(true);
    expect(status?.state?.running).toBeDefined();
    expect(pod.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
  });

  it('keeps pods Pending for bad images, missing nodes and NotReady nodes', async () => {
    api.addNode('sick', { ready: false });
    await core.createNamespacedPod({
      namespace: 'default',
      body: podSpec('bad', { containers: [{ name: 'main', image: 'registry.invalid/nope:1' }] }),
    });
    await core.createNamespacedPod({ namespace: 'default', body: podSpec('lost', { nodeName: 'ghost' }) });
    await core.createNamespacedPod({ namespace: 'default', body: podSpec('waits', { nodeName: 'sick' }) });
    const reasonOf = (name: string): string | undefined =>
      api.getPod('default', name)?.status?.containerStatuses?.[0]?.state?.waiting?.reason;
    await waitFor(() => reasonOf('bad') === 'ImagePullBackOff', 'ImagePullBackOff');
    expect(api.getPod('default', 'bad')?.status?.phase).toBe('Pending');
    expect(api.getPod('default', 'lost')?.status?.phase).toBe('Pending');
    expect(api.getPod('default', 'waits')?.status?.phase).toBe('Pending');

    api.addNode('sick', { ready: true }); // the node recovers: its pods start
    await waitFor(() => api.getPod('default', 'waits')?.status?.phase === 'Running', 'pod on recovered node running');
    expect(api.getPod('default', 'lost')?.status?.phase).toBe('Pending');
  });

  it('reports a container that does not start as a kubelet does: terminated (restartPolicy Never) or CrashLoopBackOff, the log in the message only with FallbackToLogsOnError', async () => {
    await api.close();
    api = await startApiServer({
      podStartDelayMs: 50,
      failingImages: [
        { image: /^amd64-only\//, reason: 'Error', exitCode: 255, log: 'exec /usr/bin/sleep: exec format error' },
        {
          image: 'no-sleep:1',
          reason: 'StartError',
          exitCode: 128,
          message: 'failed to create containerd task: exec: "sleep": executable file not found in $PATH: unknown',
        },
      ],
    });
    api.addNode('node-1', { nodeInfo: { architecture: 'arm64' }, labels: { 'kubernetes.io/arch': 'arm64' } });
    kc.loadFromFile(api.kubeconfigPath);
    core = kc.makeApiClient(CoreV1Api);
    const c = (image: string, fallback: boolean) => [
      { name: 'main', image, ...(fallback ? { terminationMessagePolicy: 'FallbackToLogsOnError' } : {}) },
    ];
    await core.createNamespacedPod({
      namespace: 'default',
      body: podSpec('never-log', { restartPolicy: 'Never', containers: c('amd64-only/bt:1', true) }),
    });
    await core.createNamespacedPod({
      namespace: 'default',
      body: podSpec('never-nolog', { restartPolicy: 'Never', containers: c('amd64-only/bt:1', false) }),
    });
    await core.createNamespacedPod({
      namespace: 'default',
      body: podSpec('never-start', { restartPolicy: 'Never', containers: c('no-sleep:1', false) }),
    });
    await core.createNamespacedPod({ namespace: 'default', body: podSpec('always', { containers: c('amd64-only/bt:1', true) }) });
    await core.createNamespacedPod({
      namespace: 'default',
      body: podSpec('fine', { restartPolicy: 'Never', containers: c('busybox', true) }),
    });
    const read = (name: string) => core.readNamespacedPod({ namespace: 'default', name });
    // Each pod starts on its own timer: wait until the kubelet has been through every one.
    for (const name of ['never-log', 'never-nolog', 'never-start'])
      await waitFor(async () => (await read(name)).status?.phase === 'Failed', `${name} Failed`);
    await waitFor(
      async () => (await read('always')).status?.containerStatuses?.[0]?.state?.waiting?.reason === 'CrashLoopBackOff',
      'always in CrashLoopBackOff',
    );

    const neverLog = (await read('never-log')).status!;
    expect(neverLog.containerStatuses?.[0]?.state?.terminated).toMatchObject({
      reason: 'Error',
      exitCode: 255,
      message: 'exec /usr/bin/sleep: exec format error',
    });
    expect(neverLog.containerStatuses?.[0]?.ready).toBe(false);
    const neverNoLog = (await read('never-nolog')).status!;
    expect(neverNoLog.phase).toBe('Failed');
    expect(neverNoLog.containerStatuses?.[0]?.state?.terminated).toMatchObject({ reason: 'Error', exitCode: 255 });
    expect(neverNoLog.containerStatuses?.[0]?.state?.terminated?.message).toBeUndefined();
    expect((await read('never-start')).status?.containerStatuses?.[0]?.state?.terminated).toMatchObject({
      reason: 'StartError',
      exitCode: 128,
      message: expect.stringMatching(/executable file not found/),
    });
    const always = (await read('always')).status!;
    expect(always.phase).toBe('Running');
    expect(always.containerStatuses?.[0]).toMatchObject({
      restartCount: 1,
      state: {
        waiting: {
          reason: 'CrashLoopBackOff',
          message: expect.stringMatching(/^back-off 10s restarting failed container=main pod=always_default/),
        },
      },
      lastState: { terminated: { reason: 'Error', exitCode: 255, message: 'exec /usr/bin/sleep: exec format error' } },
    });
    expect(always.conditions?.find((x) => x.type === 'Ready')?.status).toBe('False');
    await runningPod('default', 'fine');
  });
});

describe('runContainers, dropped exec streams, restarts', () => {
  async function withRunContainers(): Promise<void> {
    await api.close();
    api = await startApiServer({ podStartDelayMs: 50, runContainers: true });
    api.addNode('node-1');
    kc.loadFromFile(api.kubeconfigPath);
    core = kc.makeApiClient(CoreV1Api);
  }

  it("runs the container's command: the pod completes when it exits (Succeeded, Completed / Failed, Error), and its execs end with it", async () => {
    await withRunContainers();
    await runningPod('default', 'ok', { containers: [{ name: 'main', image: 'busybox', command: ['sh', '-c', 'sleep 1'] }] });
    await core.createNamespacedPod({
      namespace: 'default',
      body: podSpec('bad', { containers: [{ name: 'main', image: 'busybox', command: ['sh', '-c', 'exit $1'], args: ['x', '3'] }] }),
    });
    // An exec left running in "ok" dies with its container.
    const execDone = exec('default', 'ok', ['sleep', '30']);
    await waitFor(() => api.execProcesses().some((p) => p.pod === 'ok'), 'the exec runs');
    await waitFor(() => api.getPod('default', 'ok')?.status?.phase === 'Succeeded', 'ok Succeeded', 5000);
    expect(api.getPod('default', 'ok')?.status?.containerStatuses?.[0]?.state?.terminated).toMatchObject({
      exitCode: 0,
      reason: 'Completed',
    });
    expect((await execDone).status).toMatchObject({ status: 'Failure', details: { causes: [{ reason: 'ExitCode', message: '137' }] } });
    await waitFor(() => api.getPod('default', 'bad')?.status?.phase === 'Failed', 'bad Failed');
    expect(api.getPod('default', 'bad')?.status?.containerStatuses?.[0]?.state?.terminated).toMatchObject({ exitCode: 3, reason: 'Error' });
    // A completed pod takes no more execs, as a real API server says.
    await expect(exec('default', 'ok', ['true'])).rejects.toBeDefined();
    expect(api.requests.at(-1)).toMatchObject({ path: '/api/v1/namespaces/default/pods/ok/exec', status: 400 });
  });

  it('without runContainers the command is not run (the pod stays Running)', async () => {
    await runningPod('default', 'idle', { containers: [{ name: 'main', image: 'busybox', command: ['sh', '-c', 'exit 0'] }] });
    await new Promise((r) => setTimeout(r, 300));
    expect(api.getPod('default', 'idle')?.status?.phase).toBe('Running');
  });

  it('drops exec streams without a status; the process goes on and its stdin ends', async () => {
    await runningPod('default', 'x');
    const stdin = new PassThrough();
    let status: V1Status | undefined;
    const ws = await new Exec(kc).exec(
      'default',
      'x',
      'main',
      ['sh', '-c', 'cat >/dev/null; sleep 30'],
      new PassThrough(),
      new PassThrough(),
      stdin,
      false,
      (s) => (status = s),
    );
    const closed = new Promise<number>((resolve) => ws.on('close', (code: number) => resolve(code)));
    await waitFor(() => api.execProcesses().length === 1, 'the exec runs');
    expect(api.dropExecStreams()).toBe(1);
    expect(await closed).toBe(1006); // abnormal closure: no close frame
    expect(status).toBeUndefined();
    // cat saw the end of its stdin and went on to the sleep: the process outlives the stream.
    const [proc] = api.execProcesses();
    expect(proc?.command).toEqual(['sh', '-c', 'cat >/dev/null; sleep 30']);
    await waitFor(
      () => readFileSync(`/proc/${proc!.pid}/task/${proc!.pid}/children`, 'utf8').trim() !== '',
      'sleep started after stdin ended',
    );
  });

  it('restarts: the port refuses connections while down and answers on the same port after', async () => {
    await runningPod('default', 'x');
    const restarted = api.restart(500);
    await new Promise((r) => setTimeout(r, 100));
    await expect(core.readNamespacedPod({ namespace: 'default', name: 'x' })).rejects.toThrow(/ECONNREFUSED|fetch failed/);
    await restarted;
    expect((await core.readNamespacedPod({ namespace: 'default', name: 'x' })).status?.phase).toBe('Running');
  });
});

describe('watch', () => {
  it('streams ADDED, MODIFIED and DELETED in order from a list resourceVersion', async () => {
    const list = await core.listNamespacedPod({ namespace: 'default' });
    const events: string[] = [];
    const done: unknown[] = [];
    const controller = await new Watch(kc).watch(
      '/api/v1/namespaces/default/pods',
      { resourceVersion: list.metadata?.resourceVersion, fieldSelector: 'metadata.name=w' },
      (type, obj: V1Pod) => events.push(`${type} ${obj.metadata?.name} ${obj.status?.phase}`),
      (err) => done.push(err),
    );
    await core.createNamespacedPod({ namespace: 'default', body: podSpec('other') });
    await runningPod('default', 'w');
    await core.deleteNamespacedPod({ namespace: 'default', name: 'w' });
    await waitFor(() => events.some((e) => e.startsWith('DELETED')), 'DELETED event');
    controller.abort();
    expect(events).toEqual(['ADDED w Pending', 'MODIFIED w Pending', 'MODIFIED w Running', 'DELETED w Running']);
  });

  it('answers 410 Expired for a compacted resourceVersion', async () => {
    const old = (await core.listNamespacedPod({ namespace: 'default' })).metadata?.resourceVersion;
    await core.createNamespacedPod({ namespace: 'default', body: podSpec('p') });
    api.compactHistory();
    const events: { type: string; obj: V1Status }[] = [];
    const ended = new Promise<unknown>((resolve) => {
      void new Watch(kc).watch(
        '/api/v1/namespaces/default/pods',
        { resourceVersion: old },
        (type, obj: V1Status) => events.push({ type, obj }),
        resolve,
      );
    });
    expect(await ended).toBeNull(); // the server ends the stream after the ERROR event
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: 'ERROR', obj: { kind: 'Status', code: 410, reason: 'Expired' } });
  });

  it('feeds a ListWatch cache honouring its field selector', async () => {
    api.addNode('node-2');
    const selector = 'spec.nodeName=node-1';
    const informer = new ListWatch<V1Pod>(
      '/api/v1/pods',
      new Watch(kc),
      () => core.listPodForAllNamespaces({ fieldSelector: selector }),
      false,
      undefined,
      selector,
    );
    await informer.start();
    await runningPod('default', 'mine');
    await core.createNamespacedPod({ namespace: 'default', body: podSpec('theirs', { nodeName: 'node-2' }) });
    await waitFor(() => informer.get('mine', 'default')?.status?.phase === 'Running', 'informer sees Running');
    await core.deleteNamespacedPod({ namespace: 'default', name: 'mine' });
    await waitFor(() => informer.list().length === 0, 'informer sees the delete');
    expect(informer.get('theirs', 'default')).toBeUndefined();
    await informer.stop();
  });
});

describe('SelfSubjectAccessReview', () => {
  it('answers allowed, and allowed:false for denied access', async () => {
    const authz = kc.makeApiClient(AuthorizationV1Api);
    const ask = async (verb: string, resource: string, subresource?: string): Promise<boolean> => {
      const review = await authz.createSelfSubjectAccessReview({
        body: { spec: { resourceAttributes: { namespace: 'default', verb, resource, ...(subresource ? { subresource } : {}) } } },
      });
      expect(review.spec.resourceAttributes?.resource).toBe(resource);
      return review.status?.allowed ?? false;
    };
    expect(await ask('create', 'pods', 'exec')).toBe(true);
    api.denyAccess('create', 'pods', 'exec');
    expect(await ask('create', 'pods', 'exec')).toBe(false);
    expect(await ask('create', 'pods')).toBe(true);
  });
});

describe('pods/exec', () => {
  it('runs echo and reports success', async () => {
    await runningPod('default', 'x');
    const result = await exec('default', 'x', ['echo', 'hello']);
    expect(result).toEqual({ stdout: 'hello\n', stderr: '', status: { metadata: {}, status: 'Success' } });
    const logged = api.requests.find((r) => r.path.endsWith('/pods/x/exec'));
    expect(logged).toMatchObject({ method: 'GET', query: { command: ['echo', 'hello'], container: 'main' }, status: 101 });
  });

  it('separates stdout and stderr and reports a non-zero exit code', async () => {
    await runningPod('default', 'x');
    const result = await exec('default', 'x', ['sh', '-c', 'echo out; echo err >&2; exit 3']);
    expect(result.stdout).toBe('out\n');
    expect(result.stderr).toBe('err\n');
    expect(result.status).toEqual({
      metadata: {},
      status: 'Failure',
      message: 'command terminated with non-zero exit code: error executing command [sh -c echo out; echo err >&2; exit 3], exit code 3',
      reason: 'NonZeroExitCode',
      details: { causes: [{ reason: 'ExitCode', message: '3' }] },
    });
  });

  it('refuses execs into missing and not-running pods before upgrading', async () => {
    await expect(exec('default', 'ghost', ['true'])).rejects.toThrow(/404/);
    await core.createNamespacedPod({ namespace: 'default', body: podSpec('stuck', { nodeName: 'ghost-node' }) });
    await expect(exec('default', 'stuck', ['true'])).rejects.toThrow(/400/);
    api.denyAccess('create', 'pods/exec');
    await runningPod('default', 'x');
    await expect(exec('default', 'x', ['true'])).rejects.toThrow(/403/);
  });

  it('keeps the process running when the client disconnects, and kills it with the pod', async () => {
    await runningPod('default', 'x');
    const ws = await new Exec(kc).exec('default', 'x', 'main', ['sleep', '1000'], new PassThrough(), new PassThrough(), null, false);
    const proc = await waitFor(() => api.execProcesses().find((p) => p.pod === 'x'), 'exec process');
    expect(proc).toMatchObject({ ns: 'default', pod: 'x', command: ['sleep', '1000'] });
    await new Promise<void>((resolve) => {
      ws.on('close', () => resolve());
      ws.close();
    });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(alive(proc.pid)).toBe(true);
    expect(api.execProcesses().map((p) => p.pid)).toEqual([proc.pid]);

    await core.deleteNamespacedPod({ namespace: 'default', name: 'x' });
    await waitFor(() => !alive(proc.pid) && api.execProcesses().length === 0, 'exec process to die with its pod');
  });

  it('kills what an exec left behind in its process group when the pod goes', async () => {
    await runningPod('default', 'x');
    const result = await exec('default', 'x', ['sh', '-c', 'sleep 1000 >/dev/null 2>&1 & echo $!']);
    const orphan = Number(result.stdout.trim());
    expect(result.status?.status).toBe('Success');
    expect(alive(orphan)).toBe(true);
    await core.deleteNamespacedPod({ namespace: 'default', name: 'x' });
    await waitFor(() => !alive(orphan), 'background process to die with its pod');
  });

  it('kills execs and fails the pod when activeDeadlineSeconds passes', async () => {
    await runningPod('default', 'deadline', { activeDeadlineSeconds: 1 });
    const running = exec('default', 'deadline', ['sleep', '1000']);
    const proc = await waitFor(() => api.execProcesses().find((p) => p.pod === 'deadline'), 'exec process');
    const result = await running;
    expect(alive(proc.pid)).toBe(false);
    expect(result.status).toMatchObject({
      status: 'Failure',
      reason: 'NonZeroExitCode',
      details: { causes: [{ reason: 'ExitCode', message: '137' }] },
    });
    const pod = await waitFor(() => {
      const p = api.getPod('default', 'deadline');
      return p?.status?.phase === 'Failed' && p;
    }, 'pod Failed');
    expect(pod.status).toMatchObject({ phase: 'Failed', reason: 'DeadlineExceeded' });
  });

  it('kills every exec process on close(), which is idempotent', async () => {
    await runningPod('default', 'x');
    await new Exec(kc).exec('default', 'x', 'main', ['sleep', '1000'], new PassThrough(), null, null, false);
    const proc = await waitFor(() => api.execProcesses()[0], 'exec process');
    await Promise.all([api.close(), api.close()]);
    expect(alive(proc.pid)).toBe(false);
    expect(existsSync(api.kubeconfigPath)).toBe(false);
  });
});

describe.skipIf(!existsSync(KUBECTL))('kubectl', () => {
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

  it('gets pods and nodes', async () => {
    await runningPod('default', 'web');
    const pods = await kubectl('get', 'pods', '-A', '-o', 'json');
    expect(pods.stderr).toBe('');
    const parsed = JSON.parse(pods.stdout) as { items: V1Pod[] };
    expect(parsed.items.map((p) => `${p.metadata?.namespace}/${p.metadata?.name} ${p.status?.phase}`)).toEqual(['default/web Running']);

    const nodes = await kubectl('get', 'nodes');
    expect(nodes.code).toBe(0);
    expect(nodes.stdout).toMatch(/^NAME\s+STATUS\s+ROLES\s+AGE\s+VERSION\n/);
    expect(nodes.stdout).toMatch(/node-1\s+Ready\s+<none>\s+\S+\s+v1\.32\.0/);
  });

  it('execs with its WebSocket client and propagates the exit code', async () => {
    await runningPod('default', 'web');
    const result = await kubectl('exec', '-n', 'default', 'web', '--', 'sh', '-c', 'echo hi; exit 4');
    expect(result.stdout).toBe('hi\n');
    expect(result.code).toBe(4);
  });
});

afterAll(removeTempDirs);
