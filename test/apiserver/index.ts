/**
 * A Kubernetes API server stand-in for end-to-end tests: plain http on 127.0.0.1, the real wire
 * protocol (REST, watch, Status errors, discovery, SelfSubjectAccessReview, pods/exec over WebSocket),
 * good enough for @kubernetes/client-node and kubectl, with a kubelet that runs exec'd commands as real
 * processes on this machine (or, on a node added with `simulated`, answers them in-process). It serves core/v1 pods, namespaces and nodes, and (with no controllers
 * behind them) apps/v1 deployments, statefulsets, daemonsets, replicasets and batch/v1 jobs.
 *
 *   const api = await startApiServer({ podStartDelayMs: 50 });
 *   api.addNode('node-1');
 *   const kc = new KubeConfig(); kc.loadFromFile(api.kubeconfigPath);
 *   ...
 *   await api.close();
 */
import type { V1DaemonSet, V1Deployment, V1Job, V1Pod, V1ReplicaSet, V1StatefulSet } from '@kubernetes/client-node';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { release, tmpdir } from 'node:os';
import { join } from 'node:path';
import { AccessControl } from './access.js';
import { CriKubelet, type CriRuntime } from './cri-kubelet.js';
import { KUBERNETES_VERSION } from './discovery.js';
import { ExecServer } from './exec.js';
import { FaultInjector, type RequestMatcher } from './faults.js';
import { Kubelet, type ExecProcessInfo, type ImagePath, type StartFailure } from './kubelet.js';
import { writeKubeconfig } from './kubeconfig.js';
import type { NodeSimulation } from './simulated-node.js';
import { generateJobSelector, namespaces as namespaceDef, workloadDef, workloadResources, type ResourceDef } from './resources.js';
import { deleteNamespace } from './rest.js';
import { createApiHttpServer, type RequestRecord } from './server.js';
import { Store } from './store.js';
import { jsonClone, timestamp, type Condition, type Namespace, type Node, type NodeInfo, type Pod, type WorkloadObject } from './types.js';
import { WatchHub } from './watch.js';

export type { ExecProcessInfo, ImagePath, StartFailure } from './kubelet.js';
export type { CriRuntime } from './cri-kubelet.js';
export type { RequestRecord } from './server.js';
export type { RequestMatcher } from './faults.js';
export { SimulatedNode, type NodeSimulation, type SimulatedNodeOptions, type TracerRun } from './simulated-node.js';
export { TraceReplay } from './trace-replay.js';
export type * from './types.js';

export interface ApiServerOptions {
  /** How long the kubelet takes from ContainerCreating to Running. Default 300. */
  podStartDelayMs?: number;
  /** Images that fail to pull (ErrImagePull, then ImagePullBackOff): exact strings or patterns. */
  badImages?: ReadonlyArray<string | RegExp>;
  /**
   * Images that pull but whose containers do not start, with the reason and message the kubelet
   * reports (e.g. an amd64-only image on an arm64 node: reason "Error", log "exec /usr/bin/sleep:
   * exec format error"). See StartFailure.
   */
  failingImages?: ReadonlyArray<StartFailure>;
  /** What the commands exec'd into containers of some images find on PATH, see KubeletOptions.imagePaths. */
  imagePaths?: ReadonlyArray<ImagePath>;
  /** How many change events watches can resume from. Default 1000. */
  historyLimit?: number;
  /**
   * Bookmark period for watches with allowWatchBookmarks=true (0 = never). Default 60000, the watch
   * cache's bookmarkFrequency; a bookmark also comes 2 s before a watch's timeoutSeconds.
   */
  bookmarkIntervalMs?: number;
  /** SIGTERM → SIGKILL grace when a pod's exec processes are stopped. Default 2000. */
  killGraceMs?: number;
  /** Bearer token of the kubeconfig user. Default: random. */
  token?: string;
  /** User name the token authenticates as (appears in 403 messages). Default "standin-user". */
  userName?: string;
  /** Namespaces that exist from the start. Default: default, kube-system, kube-public, kube-node-lease. */
  namespaces?: string[];
  /** Cgroups for the containers of pods started through the API, see KubeletOptions.containerCgroup. */
  containerCgroup?: (podUid: string, containerId: string) => string[];
  /**
   * Run the containers' own commands as real processes, so that a pod completes when they exit
   * (see KubeletOptions.runContainers). Default false: containers only "run" in their status.
   */
  runContainers?: boolean;
}

export interface AddNodeOptions {
  /** Default true. A NotReady node's kubelet does not start pods. */
  ready?: boolean;
  labels?: Record<string, string>;
  /**
   * Overrides of status.nodeInfo (kernelVersion defaults to this machine's; architecture to amd64,
   * whatever this machine is, and the kubernetes.io/arch labels follow it unless labels say otherwise).
   */
  nodeInfo?: NodeInfo;
  /** Default 127.0.0.1: the node is this machine. */
  internalIP?: string;
  /**
   * Execs into this node's pods are answered by this simulation instead of real processes (see
   * simulated-node.ts): many nodes can stream at once without a process, or a kernel, each.
   */
  simulated?: NodeSimulation;
  /**
   * This node's pods run in a real container runtime, through the CRI (cri-kubelet.ts): pods
   * created through the API and bound to it get a sandbox and containers, their status is the
   * runtime's, and execs go to its streaming server. test/runtime/shared.ts gives the run's one.
   */
  runtime?: CriRuntime;
}

/** A pod for addPod: metadata.namespace and metadata.name are required, the rest is stored as given. */
export type PodInput = Omit<Pod, 'metadata'> & { metadata: Pod['metadata'] & { namespace: string; name: string } };

/** The wire-shaped (plain JSON) form of a WorkloadInput. */
export type WorkloadRecordInput = Omit<WorkloadObject, 'metadata'> & {
  metadata: WorkloadObject['metadata'] & { namespace: string; name: string };
};

/**
 * A workload for addWorkload: apiVersion/kind one of apps/v1 Deployment, StatefulSet, DaemonSet,
 * ReplicaSet or batch/v1 Job; metadata.namespace and metadata.name are required, the rest (spec,
 * status) is stored as given. client-node model objects (V1Deployment...) with apiVersion and kind work too.
 */
export type WorkloadInput = WorkloadRecordInput | V1Deployment | V1StatefulSet | V1DaemonSet | V1ReplicaSet | V1Job;

export interface ApiServer {
  /** http://127.0.0.1:PORT */
  readonly url: string;
  /** A kubeconfig (context "standin", current) for this server, with a bearer token user. */
  readonly kubeconfigPath: string;
  readonly token: string;
  readonly userName: string;
  /** Every request received, oldest first (exec upgrades included). */
  readonly requests: RequestRecord[];

  /** Registers (or updates) a node; making it Ready lets pods waiting for it start. */
  addNode(name: string, opts?: AddNodeOptions): Node;
  /** Creates a namespace, or merges labels into an existing one. */
  addNamespace(name: string, labels?: Record<string, string>): Namespace;
  /** Deletes a namespace and its pods (killing their exec processes). */
  deleteNamespace(name: string): void;
  /**
   * Stores a pod as given (phase defaults to Running), creating its namespace if needed. The kubelet does
   * not drive its lifecycle, but execs into it work and die with it, and activeDeadlineSeconds applies.
   */
  addPod(pod: PodInput | V1Pod): Pod;
  /** Mutates a stored pod (throws a NotFound ApiError if missing); watchers see MODIFIED. */
  updatePod(namespace: string, name: string, mutate: (pod: Pod) => void): Pod;
  /** Deletes a pod at once (watchers see DELETED); undefined when there was no such pod. */
  deletePodRecord(namespace: string, name: string): Pod | undefined;
  listPods(namespace?: string): Pod[];
  /**
   * Stores an apps/v1 Deployment/StatefulSet/DaemonSet/ReplicaSet or batch/v1 Job as given, assigning
   * uid, creationTimestamp, resourceVersion and generation 1, and creating its namespace if needed. A
   * Job without spec.selector (and without manualSelector) gets the one the API server would generate
   * (batch.kubernetes.io/controller-uid=<uid>, also added to its template labels). Throws an
   * AlreadyExists ApiError when it exists. No controller runs: no pods are created for it, and its
   * status stays what the test gives.
   */
  addWorkload(obj: WorkloadInput): WorkloadObject;
  /** Mutates a stored workload (throws a NotFound ApiError if missing); watchers see MODIFIED. */
  updateWorkload(apiVersion: string, kind: string, namespace: string, name: string, mutate: (obj: WorkloadObject) => void): WorkloadObject;
  /** Deletes a workload at once (watchers see DELETED; its pods, if any, stay); undefined when there was none. */
  deleteWorkload(apiVersion: string, kind: string, namespace: string, name: string): WorkloadObject | undefined;
  getPod(namespace: string, name: string): Pod | undefined;
  listNamespaces(): Namespace[];
  listNodes(): Node[];
  /** The live processes execs started: [{pid, ns, pod, container, command}]. */
  execProcesses(): ExecProcessInfo[];
  /** Runs `command` in a container of a pod, as an exec through the API would; resolves with its exit code. */
  execInPod(namespace: string, name: string, container: string, command: string[]): Promise<number | null>;
  /**
   * Denies `verb` on `resource` (and `subresource`, or "pods/exec" style) for the kubeconfig user:
   * SelfSubjectAccessReviews answer allowed:false and real requests get 403. Verb "*" denies all verbs.
   */
  denyAccess(verb: string, resource: string, subresource?: string): void;
  /** Forgets every denyAccess rule. */
  allowAllAccess(): void;
  /** The next `count` requests (matching `match`, if given) answer `status` with a Status body. */
  failNext(count: number, status?: number, match?: RequestMatcher, message?: string): void;
  /** API Priority and Fairness in small: past `perSecond` requests a second, 429 with Retry-After (null: no limit). */
  limitRate(perSecond: number | null, retryAfterSeconds?: number): void;
  /** Drops the watch history: watching from any earlier resourceVersion answers 410 Expired. */
  compactHistory(): void;
  /** Ends every open watch stream, as an API server restart or a proxy timeout does. */
  closeWatches(): void;
  /**
   * Drops every open exec stream without a status (the WebSocket is destroyed, no close frame), as
   * a load balancer or a dying API server does; the processes go on. Returns how many were dropped.
   */
  dropExecStreams(): number;
  /**
   * An API server restart: the port closes (every connection, watch and exec stream with it;
   * requests are refused), and opens again on the same port after downMs. The kubelet and its
   * processes go on. Resolves when the server listens again.
   */
  restart(downMs: number): Promise<void>;
  /** The current (latest) resourceVersion. */
  readonly resourceVersion: string;
  /** Stops the server, kills every process the kubelet started, removes temp files. Idempotent. */
  close(): Promise<void>;
}

const DEFAULT_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

function osImage(): string {
  try {
    const m = /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(readFileSync('/etc/os-release', 'utf8'));
    return m?.[1] ?? 'Linux';
  } catch {
    return 'Linux';
  }
}

function nodeReadyCondition(ready: boolean, now: string): Condition {
  return ready
    ? {
        type: 'Ready',
        status: 'True',
        reason: 'KubeletReady',
        message: 'kubelet is posting ready status',
        lastHeartbeatTime: now,
        lastTransitionTime: now,
      }
    : {
        type: 'Ready',
        status: 'False',
        reason: 'KubeletNotReady',
        message:
          'container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady message:Network plugin returns error: cni plugin not initialized',
        lastHeartbeatTime: now,
        lastTransitionTime: now,
      };
}

function newNode(name: string, opts: AddNodeOptions): Node {
  const now = timestamp();
  // amd64 unless the test says otherwise (nodeInfo.architecture and the kubernetes.io/arch label), on
  // any machine: the stand-in never pulls an image and its "containers" are this machine's processes,
  // so a node's architecture only decides which image a client asks for — and amd64 is the one
  // trace-exec has a default image for, so tests that do not care run the same on an arm64 machine.
  const goArch = opts.nodeInfo?.architecture || 'amd64';
  const ip = opts.internalIP ?? '127.0.0.1';
  const pressure = (type: string, reason: string, message: string): Condition => ({
    type,
    status: 'False',
    reason,
    message,
    lastHeartbeatTime: now,
    lastTransitionTime: now,
  });
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      uid: randomUUID(),
      creationTimestamp: now,
      labels: {
        'beta.kubernetes.io/arch': goArch,
        'beta.kubernetes.io/os': 'linux',
        'kubernetes.io/arch': goArch,
        'kubernetes.io/hostname': name,
        'kubernetes.io/os': 'linux',
        ...opts.labels,
      },
      annotations: { 'node.alpha.kubernetes.io/ttl': '0', 'volumes.kubernetes.io/controller-managed-attach-detach': 'true' },
    },
    spec: { podCIDR: '10.244.0.0/24', podCIDRs: ['10.244.0.0/24'] },
    status: {
      capacity: { cpu: '4', memory: '16362348Ki', pods: '110', 'ephemeral-storage': '102626232Ki' },
      allocatable: { cpu: '4', memory: '16259948Ki', pods: '110', 'ephemeral-storage': '94580335255' },
      conditions: [
        pressure('MemoryPressure', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'),
        pressure('DiskPressure', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
        pressure('PIDPressure', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
        nodeReadyCondition(opts.ready ?? true, now),
      ],
      addresses: [
        { type: 'InternalIP', address: ip },
        { type: 'Hostname', address: name },
      ],
      daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
      nodeInfo: {
        machineID: randomBytes(16).toString('hex'),
        systemUUID: randomUUID(),
        bootID: randomUUID(),
        kernelVersion: release(),
        osImage: osImage(),
        containerRuntimeVersion: 'containerd://1.7.24',
        kubeletVersion: KUBERNETES_VERSION,
        kubeProxyVersion: KUBERNETES_VERSION,
        operatingSystem: 'linux',
        architecture: goArch,
        ...opts.nodeInfo,
      },
    },
  };
}

function workloadKind(apiVersion: string | undefined, kind: string | undefined): ResourceDef {
  const def = workloadDef(apiVersion, kind);
  if (!def) {
    const known = workloadResources.map((d) => `${d.apiVersion} ${d.kind}`).join(', ');
    throw new Error(`unsupported workload apiVersion/kind ${String(apiVersion)} ${String(kind)}; supported: ${known}`);
  }
  return def;
}

export async function startApiServer(opts: ApiServerOptions = {}): Promise<ApiServer> {
  const store = new Store(opts.historyLimit ?? 1000);
  const kubelet = new Kubelet(store, {
    podStartDelayMs: opts.podStartDelayMs ?? 300,
    badImages: opts.badImages ?? [],
    failingImages: opts.failingImages ?? [],
    imagePaths: opts.imagePaths ?? [],
    killGraceMs: opts.killGraceMs ?? 2000,
    ...(opts.containerCgroup ? { containerCgroup: opts.containerCgroup } : {}),
    runContainers: opts.runContainers ?? false,
  });
  const watches = new WatchHub(store, opts.bookmarkIntervalMs ?? 60_000);
  const userName = opts.userName ?? 'standin-user';
  const token = opts.token ?? `standin-${randomBytes(16).toString('hex')}`;
  const access = new AccessControl(token, userName);
  const faults = new FaultInjector();
  const exec = new ExecServer(store, kubelet);
  const requests: RequestRecord[] = [];
  const server = createApiHttpServer({ store, kubelet, watches, exec, access, faults, requests });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}`;
  const tmpDir = mkdtempSync(join(tmpdir(), 'standin-apiserver-'));
  const kubeconfigPath = writeKubeconfig(tmpDir, url, userName, token);

  const addNamespace = (name: string, labels?: Record<string, string>): Namespace => {
    if (store.get('namespaces', undefined, name)) {
      return store.update<Namespace>('namespaces', undefined, name, (ns) => {
        ns.metadata.labels = { ...ns.metadata.labels, ...labels };
      });
    }
    const ns: Namespace = { apiVersion: 'v1', kind: 'Namespace', metadata: { name, ...(labels ? { labels } : {}) } };
    namespaceDef.prepareCreate(ns);
    return store.create('namespaces', ns);
  };
  for (const name of opts.namespaces ?? DEFAULT_NAMESPACES) addNamespace(name);

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      server.close();
      server.closeAllConnections();
      watches.closeAll();
      exec.closeAll();
      await kubelet.shutdown();
      rmSync(tmpDir, { recursive: true, force: true });
    })());

  return {
    url,
    kubeconfigPath,
    token,
    userName,
    requests,
    get resourceVersion() {
      return String(store.resourceVersion);
    },

    addNode(name, nodeOpts = {}) {
      if (nodeOpts.simulated) kubelet.simulate(name, nodeOpts.simulated);
      if (nodeOpts.runtime) {
        kubelet.delegate(new CriKubelet(store, name, nodeOpts.runtime));
        const version = nodeOpts.runtime.version;
        if (version && !nodeOpts.nodeInfo?.containerRuntimeVersion)
          nodeOpts = { ...nodeOpts, nodeInfo: { ...nodeOpts.nodeInfo, containerRuntimeVersion: version } };
      }
      const existing = store.get('nodes', undefined, name) as Node | undefined;
      if (!existing) return store.create('nodes', newNode(name, nodeOpts));
      return store.update<Node>('nodes', undefined, name, (node) => {
        node.metadata.labels = { ...node.metadata.labels, ...nodeOpts.labels };
        const status = (node.status ??= {});
        if (nodeOpts.nodeInfo) status.nodeInfo = { ...status.nodeInfo, ...nodeOpts.nodeInfo };
        const ready = nodeOpts.ready ?? true;
        const now = timestamp();
        const conditions = (status.conditions ?? []).filter((c) => c.type !== 'Ready');
        const previous = status.conditions?.find((c) => c.type === 'Ready');
        const next = nodeReadyCondition(ready, now);
        // lastTransitionTime only moves when the status actually flips.
        if (previous && previous.status === next.status && previous.lastTransitionTime)
          next.lastTransitionTime = previous.lastTransitionTime;
        status.conditions = [...conditions, next];
      });
    },

    addNamespace,

    deleteNamespace(name) {
      deleteNamespace(store, name);
    },

    addPod(input) {
      const pod = jsonClone(input) as Pod;
      const { namespace, name } = pod.metadata ?? {};
      if (!namespace || !name) throw new Error('addPod: metadata.namespace and metadata.name are required');
      if (!store.get('namespaces', undefined, namespace)) addNamespace(namespace);
      pod.apiVersion ??= 'v1';
      pod.kind ??= 'Pod';
      pod.metadata.uid ??= randomUUID();
      pod.metadata.creationTimestamp ??= timestamp();
      pod.spec ??= {};
      pod.status = { phase: 'Running', ...pod.status };
      return store.create('pods', pod);
    },

    updatePod(namespace, name, mutate) {
      return store.update<Pod>('pods', namespace, name, mutate);
    },

    deletePodRecord(namespace, name) {
      if (!store.get('pods', namespace, name)) return undefined;
      return store.delete<Pod>('pods', namespace, name);
    },

    addWorkload(input) {
      const obj = jsonClone(input) as WorkloadObject;
      const def = workloadKind(obj.apiVersion, obj.kind);
      const { namespace, name } = obj.metadata ?? {};
      if (!namespace || !name) throw new Error('addWorkload: metadata.namespace and metadata.name are required');
      if (!store.get('namespaces', undefined, namespace)) addNamespace(namespace);
      obj.metadata.uid ??= randomUUID();
      obj.metadata.creationTimestamp ??= timestamp();
      obj.metadata.generation ??= 1;
      // A Job always has a selector on a real cluster (the API server generates it): give one to a Job without.
      if (def.resource === 'jobs' && obj.spec?.selector === undefined) generateJobSelector(obj, []);
      return store.create(def.resource, obj);
    },

    updateWorkload(apiVersion, kind, namespace, name, mutate) {
      return store.update<WorkloadObject>(workloadKind(apiVersion, kind).resource, namespace, name, mutate);
    },

    deleteWorkload(apiVersion, kind, namespace, name) {
      const def = workloadKind(apiVersion, kind);
      if (!store.get(def.resource, namespace, name)) return undefined;
      return store.delete<WorkloadObject>(def.resource, namespace, name);
    },

    listPods: (namespace) => store.list('pods', namespace) as Pod[],
    getPod: (namespace, name) => store.get('pods', namespace, name) as Pod | undefined,
    listNamespaces: () => store.list('namespaces') as Namespace[],
    listNodes: () => store.list('nodes') as Node[],
    execProcesses: () => kubelet.processes(),
    execInPod: async (namespace, name, container, command) => {
      const pod = store.get('pods', namespace, name) as Pod | undefined;
      if (!pod) throw new Error(`no pod ${namespace}/${name}`);
      const proc = kubelet.exec(pod, container, command, { stdin: false });
      await proc.exited;
      return proc.child.exitCode;
    },
    denyAccess: (verb, resource, subresource) => access.deny(verb, resource, subresource),
    allowAllAccess: () => access.allowAll(),
    failNext: (count, status = 500, match, message) => faults.failNext(count, status, match, message),
    limitRate: (perSecond, retryAfterSeconds) => faults.limitRate(perSecond, retryAfterSeconds),
    compactHistory: () => store.compact(),
    closeWatches: () => watches.closeAll(),
    dropExecStreams: () => exec.dropAll(),
    restart: async (downMs) => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      watches.closeAll();
      exec.dropAll();
      await closed;
      await new Promise((r) => setTimeout(r, downMs));
      if (closing) return;
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, '127.0.0.1', () => {
          server.off('error', reject);
          resolve();
        });
      });
    },
    close,
  };
}
