/**
 * The kubelet of every node at once. It drives the lifecycle of pods created through the API
 * (Pending/ContainerCreating → Running, or ErrImagePull → ImagePullBackOff for bad images; nothing while
 * the node is missing or NotReady), enforces spec.activeDeadlineSeconds, and owns the processes that
 * execs start: they are real processes on this machine, and like processes in a container they outlive
 * the exec connection and die with the pod. On a simulated node (simulated-node.ts) the execs are
 * answered in-process instead, and die with the pod all the same.
 */
import { randomBytes } from 'node:crypto';
import { normalizeImage } from './resources.js';
import { groupAlive, killGroup, spawnGroup, stopGroup, type GroupProcess } from './processes.js';
import type { NodeSimulation } from './simulated-node.js';
import type { Store, StoreEvent } from './store.js';
import { timestamp, type Condition, type Container, type ContainerStatus, type Node, type Pod, type PodStatus } from './types.js';

export interface KubeletOptions {
  /** How long "pulling and starting containers" takes. */
  podStartDelayMs: number;
  /** Images whose pull fails: exact image strings (as written or normalized) or patterns. */
  badImages: ReadonlyArray<string | RegExp>;
  /** How long a process group gets between SIGTERM and SIGKILL when its pod is deleted. */
  killGraceMs: number;
}

export interface ExecProcessInfo {
  pid: number;
  ns: string;
  pod: string;
  container: string;
  command: string[];
}

interface ExecEntry extends ExecProcessInfo {
  proc: GroupProcess;
}

const TERMINAL = new Set(['Succeeded', 'Failed']);

function containerId(): string {
  return `containerd://${randomBytes(32).toString('hex')}`;
}

function condition(type: string, status: boolean, reason?: string, message?: string): Condition {
  const c: Condition = { type, status: status ? 'True' : 'False', lastProbeTime: null, lastTransitionTime: timestamp() };
  if (reason) c.reason = reason;
  if (message) c.message = message;
  return c;
}

function isReady(node: Node | undefined): boolean {
  return node?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

function waiting(c: Container, reason: string, message?: string): ContainerStatus {
  const state = message ? { waiting: { reason, message } } : { waiting: { reason } };
  return { name: c.name, image: c.image ?? '', imageID: '', ready: false, started: false, restartCount: 0, state, lastState: {} };
}

export class Kubelet {
  /** Pods created through the API: their lifecycle is ours. Pods added by tests are left as given. */
  private readonly managed = new Set<string>();
  /** Exact admission time per pod uid; status.startTime has only second precision. */
  private readonly startedAt = new Map<string, number>();
  private readonly lifecycleTimers = new Map<string, NodeJS.Timeout>();
  private readonly deadlines = new Map<string, { due: number; timer: NodeJS.Timeout }>();
  private readonly execs = new Map<string, Set<ExecEntry>>();
  private readonly stopping = new Set<Promise<void>>();
  private readonly simulations = new Map<string, NodeSimulation>();
  private readonly unsubscribe: () => void;
  private nextPodIp = 10;
  private shutDown = false;

  constructor(
    private readonly store: Store,
    private readonly opts: KubeletOptions,
  ) {
    this.unsubscribe = store.subscribe((e) => this.onEvent(e));
  }

  /**
   * Takes over the lifecycle of the pod with this uid, which is about to be created through the API
   * (called before the store sees it, so that even its ADDED event is handled as one of ours).
   */
  adopt(uid: string): void {
    this.managed.add(uid);
  }

  /** Gives up a pod adopted for a create that then failed. */
  release(uid: string): void {
    this.forget(uid);
  }

  /** From now on, execs into pods on this node are answered by `sim` instead of real processes. */
  simulate(node: string, sim: NodeSimulation): void {
    this.simulations.get(node)?.shutdown();
    this.simulations.set(node, sim);
  }

  /** The simulation that answers execs into `pod`, when its node is simulated. */
  simulationFor(pod: Pod): NodeSimulation | undefined {
    const node = pod.spec?.nodeName;
    return node === undefined ? undefined : this.simulations.get(node);
  }

  /** Starts `command` for an exec into `pod`; the process belongs to the pod from now on. */
  exec(pod: Pod, container: string, command: string[], opts: { stdin: boolean }): GroupProcess {
    const proc = spawnGroup(command, opts);
    if (proc.pid === undefined) return proc;
    const uid = pod.metadata.uid ?? '';
    const entry: ExecEntry = { pid: proc.pid, ns: pod.metadata.namespace ?? '', pod: pod.metadata.name ?? '', container, command, proc };
    let set = this.execs.get(uid);
    if (!set) this.execs.set(uid, (set = new Set()));
    set.add(entry);
    void proc.exited.then(() => this.untrackWhenGone(uid, entry));
    return proc;
  }

  /**
   * Forgets an exec once its whole process group is gone. What the command left behind (`cmd &`) stays
   * in its group after it exits, and must still die with the pod, as everything in a container does.
   */
  private async untrackWhenGone(uid: string, entry: ExecEntry): Promise<void> {
    while (!this.shutDown && groupAlive(entry.pid)) await new Promise((resolve) => setTimeout(resolve, 250));
    const set = this.execs.get(uid);
    set?.delete(entry);
    if (set?.size === 0) this.execs.delete(uid);
  }

  /** The exec processes still running (the commands themselves, not what they left behind). */
  processes(): ExecProcessInfo[] {
    const out: ExecProcessInfo[] = [];
    for (const set of this.execs.values()) {
      for (const { proc, pid, ns, pod, container, command } of set) {
        if (proc.running()) out.push({ pid, ns, pod, container, command: [...command] });
      }
    }
    return out;
  }

  /** Stops every lifecycle timer and every exec process (SIGTERM, then SIGKILL after the grace period). */
  async shutdown(): Promise<void> {
    this.shutDown = true;
    this.unsubscribe();
    for (const t of this.lifecycleTimers.values()) clearTimeout(t);
    for (const d of this.deadlines.values()) clearTimeout(d.timer);
    this.lifecycleTimers.clear();
    this.deadlines.clear();
    for (const uid of [...this.execs.keys()]) this.killExecs(uid, 'graceful');
    for (const sim of this.simulations.values()) sim.shutdown();
    await Promise.all([...this.stopping]);
  }

  private onEvent(e: StoreEvent): void {
    if (e.resource === 'nodes' && e.type !== 'DELETED') {
      // A node that appears or becomes Ready lets the pods waiting for it start.
      for (const pod of this.store.list('pods') as Pod[]) {
        if (pod.spec?.nodeName === e.object.metadata.name) this.tryAdmit(pod);
      }
      return;
    }
    if (e.resource !== 'pods') return;
    const pod = e.object as Pod;
    const uid = pod.metadata.uid ?? '';
    if (e.type === 'DELETED') {
      this.forget(uid);
      this.killExecs(uid, 'graceful');
      this.simulationFor(pod)?.podGone(uid);
      return;
    }
    this.tryAdmit(pod);
    this.syncDeadline(pod);
  }

  private forget(uid: string): void {
    this.managed.delete(uid);
    this.startedAt.delete(uid);
    clearTimeout(this.lifecycleTimers.get(uid));
    this.lifecycleTimers.delete(uid);
    clearTimeout(this.deadlines.get(uid)?.timer);
    this.deadlines.delete(uid);
  }

  private killExecs(uid: string, how: 'graceful' | 'now'): void {
    for (const entry of this.execs.get(uid) ?? []) {
      const done = how === 'graceful' ? stopGroup(entry.proc, this.opts.killGraceMs) : killGroup(entry.proc);
      this.stopping.add(done);
      void done.finally(() => this.stopping.delete(done));
    }
  }

  /** Runs `step` for pod `uid` after `ms`, replacing any step still pending for it. */
  private schedule(uid: string, ms: number, step: () => void): void {
    clearTimeout(this.lifecycleTimers.get(uid));
    this.lifecycleTimers.set(
      uid,
      setTimeout(() => {
        this.lifecycleTimers.delete(uid);
        step();
      }, ms),
    );
  }

  /**
   * Replaces the status of pod `uid` with what `next` computes from the current pod, unless the pod was
   * deleted (or deleted and recreated under the same name) meanwhile, or `next` returns undefined.
   */
  private updateStatus(ns: string, name: string, uid: string, next: (pod: Pod) => PodStatus | undefined): void {
    const pod = this.store.get('pods', ns, name) as Pod | undefined;
    if (pod?.metadata.uid !== uid) return;
    const status = next(pod);
    if (status) this.store.update<Pod>('pods', ns, name, (p) => void (p.status = status));
  }

  /** A pod bound to an existing, Ready node is accepted: Pending with containers being created. */
  private tryAdmit(pod: Pod): void {
    const uid = pod.metadata.uid ?? '';
    const nodeName = pod.spec?.nodeName;
    if (!this.managed.has(uid) || this.startedAt.has(uid) || !nodeName) return;
    if ((pod.status?.phase ?? 'Pending') !== 'Pending') return;
    const node = this.store.get('nodes', undefined, nodeName) as Node | undefined;
    if (!isReady(node)) return; // no kubelet (missing node) or a NotReady one: the pod just waits
    this.startedAt.set(uid, Date.now());
    const hostIP = node?.status?.addresses?.find((a) => a.type === 'InternalIP')?.address ?? '127.0.0.1';
    const spec = pod.spec ?? {};
    const inits = spec.initContainers ?? [];
    const ns = pod.metadata.namespace ?? '';
    const name = pod.metadata.name ?? '';
    this.store.update<Pod>('pods', ns, name, (p) => {
      p.status = {
        ...p.status,
        phase: 'Pending',
        hostIP,
        hostIPs: [{ ip: hostIP }],
        startTime: timestamp(),
        conditions: [
          condition('PodReadyToStartContainers', false),
          inits.length > 0
            ? condition('Initialized', false, 'ContainersNotInitialized', `containers with incomplete status: [${inits.map((c) => c.name).join(' ')}]`)
            : condition('Initialized', true),
          condition('Ready', false, 'ContainersNotReady', `containers with unready status: [${(spec.containers ?? []).map((c) => c.name).join(' ')}]`),
          condition('ContainersReady', false, 'ContainersNotReady', `containers with unready status: [${(spec.containers ?? []).map((c) => c.name).join(' ')}]`),
          condition('PodScheduled', true),
        ],
        containerStatuses: (spec.containers ?? []).map((c) => waiting(c, inits.length > 0 ? 'PodInitializing' : 'ContainerCreating')),
      };
      if (inits.length > 0) p.status.initContainerStatuses = inits.map((c) => waiting(c, 'PodInitializing'));
    });
    this.schedule(uid, this.opts.podStartDelayMs, () => this.startContainers(ns, name, uid));
  }

  private isBadImage(image: string | undefined): boolean {
    if (!image) return false;
    return this.opts.badImages.some((b) => (typeof b === 'string' ? b === image || normalizeImage(b) === normalizeImage(image) : b.test(image)));
  }

  private startContainers(ns: string, name: string, uid: string): void {
    const pod = this.store.get('pods', ns, name) as Pod | undefined;
    if (pod?.metadata.uid !== uid || pod.status?.phase !== 'Pending') return;
    const spec = pod.spec ?? {};
    const all = [...(spec.initContainers ?? []), ...(spec.containers ?? [])];
    if (all.some((c) => this.isBadImage(c.image))) {
      this.failPulls(ns, name, uid, 'ErrImagePull');
      this.schedule(uid, this.opts.podStartDelayMs, () => this.failPulls(ns, name, uid, 'ImagePullBackOff'));
      return;
    }
    const hostIP = pod.status?.hostIP ?? '127.0.0.1';
    const podIP = `10.244.0.${this.nextPodIp++ % 250}`;
    this.updateStatus(ns, name, uid, (p) => {
      const now = timestamp();
      const status: PodStatus = p.status ?? {};
      status.phase = 'Running';
      status.podIP = podIP;
      status['podIPs'] = [{ ip: podIP }];
      status.hostIP = hostIP;
      status.conditions = ['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady', 'PodScheduled'].map((t) => condition(t, true));
      const imageID = (c: Container): string =>
        `${normalizeImage(c.image ?? '').replace(/:[^:/]+$/, '')}@sha256:${randomBytes(32).toString('hex')}`;
      if (spec.initContainers?.length) {
        status.initContainerStatuses = spec.initContainers.map((c) => {
          const id = containerId();
          return {
            name: c.name,
            image: normalizeImage(c.image ?? ''),
            imageID: imageID(c),
            containerID: id,
            ready: true,
            started: false,
            restartCount: 0,
            state: { terminated: { exitCode: 0, reason: 'Completed', startedAt: now, finishedAt: now, containerID: id } },
            lastState: {},
          };
        });
      }
      status.containerStatuses = (spec.containers ?? []).map((c) => ({
        name: c.name,
        image: normalizeImage(c.image ?? ''),
        imageID: imageID(c),
        containerID: containerId(),
        ready: true,
        started: true,
        restartCount: 0,
        state: { running: { startedAt: now } },
        lastState: {},
      }));
      return status;
    });
  }

  private failPulls(ns: string, name: string, uid: string, reason: 'ErrImagePull' | 'ImagePullBackOff'): void {
    this.updateStatus(ns, name, uid, (p) => {
      const status = p.status;
      if (status?.phase !== 'Pending') return undefined;
      const mark = (statuses: ContainerStatus[] | undefined, containers: Container[] | undefined): ContainerStatus[] | undefined =>
        statuses?.map((s) => {
          const image = containers?.find((c) => c.name === s.name)?.image;
          if (!this.isBadImage(image)) return s;
          const ref = normalizeImage(image ?? '');
          const message =
            reason === 'ErrImagePull'
              ? `failed to pull and unpack image "${ref}": failed to resolve reference "${ref}": ${ref}: not found`
              : `Back-off pulling image "${image}"`;
          return { ...s, state: { waiting: { reason, message } } };
        });
      const inits = mark(status.initContainerStatuses, p.spec?.initContainers);
      const containers = mark(status.containerStatuses, p.spec?.containers);
      if (inits) status.initContainerStatuses = inits;
      if (containers) status.containerStatuses = containers;
      return status;
    });
  }

  /** (Re)arms the activeDeadlineSeconds timer of a pod, measured from when it started. */
  private syncDeadline(pod: Pod): void {
    const uid = pod.metadata.uid ?? '';
    const seconds = pod.spec?.activeDeadlineSeconds;
    const start =
      this.startedAt.get(uid) ??
      (this.managed.has(uid) ? undefined : Date.parse(pod.status?.startTime ?? pod.metadata.creationTimestamp ?? ''));
    const existing = this.deadlines.get(uid);
    if (typeof seconds !== 'number' || start === undefined || Number.isNaN(start) || TERMINAL.has(pod.status?.phase ?? '')) {
      clearTimeout(existing?.timer);
      this.deadlines.delete(uid);
      return;
    }
    const due = start + seconds * 1000;
    if (existing?.due === due) return;
    clearTimeout(existing?.timer);
    const ns = pod.metadata.namespace ?? '';
    const name = pod.metadata.name ?? '';
    const timer = setTimeout(() => this.deadlineExceeded(ns, name, uid), Math.max(0, due - Date.now()));
    this.deadlines.set(uid, { due, timer });
  }

  private deadlineExceeded(ns: string, name: string, uid: string): void {
    this.deadlines.delete(uid);
    clearTimeout(this.lifecycleTimers.get(uid));
    this.lifecycleTimers.delete(uid);
    // The kubelet kills the containers outright, and every exec process dies with them.
    this.killExecs(uid, 'now');
    const pod = this.store.get('pods', ns, name) as Pod | undefined;
    if (pod) this.simulationFor(pod)?.podGone(uid);
    this.updateStatus(ns, name, uid, (p) => {
      if (TERMINAL.has(p.status?.phase ?? '')) return undefined;
      const now = timestamp();
      const status: PodStatus = p.status ?? {};
      status.phase = 'Failed';
      status.reason = 'DeadlineExceeded';
      status.message = 'Pod was active on the node longer than the specified deadline';
      status.conditions = (status.conditions ?? []).map((c) =>
        c.type === 'Ready' || c.type === 'ContainersReady' ? condition(c.type, false, 'PodFailed') : c,
      );
      status.containerStatuses = status.containerStatuses?.map((s) => ({
        ...s,
        ready: false,
        started: false,
        state: {
          terminated: {
            exitCode: 137,
            reason: 'Error',
            startedAt: s.state?.running?.startedAt ?? now,
            finishedAt: now,
            ...(s.containerID ? { containerID: s.containerID } : {}),
          },
        },
      }));
      return status;
    });
  }
}
