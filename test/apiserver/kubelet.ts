/**
 * The kubelet of every node at once. It drives the lifecycle of pods created through the API
 * (Pending/ContainerCreating → Running, or ErrImagePull → ImagePullBackOff for bad images, or a
 * container that does not start for failing images; nothing while the node is missing or NotReady),
 * enforces spec.activeDeadlineSeconds, runs the containers' own commands (with runContainers: a
 * pod completes when they exit), and owns the processes that execs start: they are real processes on this machine, and like processes in a container they outlive
 * the exec connection and die with the pod. On a simulated node
 * (simulated-node.ts) the execs are answered in-process instead, and die with the pod all the same.
 */
import { randomBytes } from 'node:crypto';
import { constants } from 'node:os';
import { normalizeImage } from './resources.js';
import { groupAlive, killGroup, spawnGroup, stopGroup, type GroupProcess } from './processes.js';
import type { CriKubelet } from './cri-kubelet.js';
import type { NodeSimulation } from './simulated-node.js';
import type { Store, StoreEvent } from './store.js';
import { timestamp, type Condition, type Container, type ContainerStatus, type Node, type Pod, type PodStatus } from './types.js';

/**
 * A container whose image pulls but whose process does not start or stay up — an image built for
 * another architecture (`exec format error`), a missing entrypoint. The kubelet reports it as a real
 * one does: with restartPolicy Never the container is terminated and the pod Failed; otherwise the
 * container waits in CrashLoopBackOff with the failed run in lastState (the pod stays Running).
 */
export interface StartFailure {
  /** Images it applies to: an exact image string (as written or normalized) or a pattern. */
  image: string | RegExp;
  /** state.terminated.reason: "Error" (the process ran and failed), "StartError" (the runtime could not start it). */
  reason: string;
  exitCode: number;
  /** The runtime's own message: always in the status (StartError's "failed to create containerd task: …"). */
  message?: string;
  /**
   * What the process wrote before it ended ("exec /usr/bin/sleep: exec format error"): in the status
   * only when the container has terminationMessagePolicy FallbackToLogsOnError, as with a real kubelet.
   */
  log?: string;
}

/**
 * An image that lacks commands: an exec into one of its containers runs with PATH set to `path` (a
 * directory holding the commands the image has), so a command it lacks is not found — by the
 * runtime (`exec: "sh": executable file not found in $PATH`) or by the shell it runs.
 */
export interface ImagePath {
  /** Images it applies to: an exact image string (as written or normalized) or a pattern. */
  image: string | RegExp;
  path: string;
}

export interface KubeletOptions {
  /** How long "pulling and starting containers" takes. */
  podStartDelayMs: number;
  /** Images whose pull fails: exact image strings (as written or normalized) or patterns. */
  badImages: ReadonlyArray<string | RegExp>;
  /** How long a process group gets between SIGTERM and SIGKILL when its pod is deleted. */
  killGraceMs: number;
  /**
   * When set, each container of a pod started through the API gets cgroups from this function (the
   * directories of their cgroup.procs, for the pod uid and the 64-hex container id), and exec
   * processes of the container start inside them: what bpftrace on this machine then sees is an exec
   * of that pod, as on a real node. Removing the cgroups is the caller's (after close()).
   */
  containerCgroup?: (podUid: string, containerId: string) => string[];
  /** Images that pull but whose containers do not start (first match wins). */
  failingImages: ReadonlyArray<StartFailure>;
  /** Images whose exec'd commands find only some commands (first match wins). */
  imagePaths: ReadonlyArray<ImagePath>;
  /**
   * Run each regular container's `command` + `args` (those that have a command) as a real process
   * when the pod starts, as a container runtime would; when every such process has exited, the
   * containers are terminated (exit code, Completed/Error) and the pod Succeeded or Failed, and what
   * its execs left running is killed (a container's processes end with it). Off: containers only
   * "run" in their status, as before.
   */
  runContainers?: boolean;
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
  /** runContainers: the containers' own processes per pod uid. */
  private readonly mains = new Map<string, GroupProcess[]>();
  /** With containerCgroup: pod uid → container name → the cgroup directories its execs start in. */
  private readonly cgroups = new Map<string, Map<string, string[]>>();
  private readonly stopping = new Set<Promise<void>>();
  private readonly simulations = new Map<string, NodeSimulation>();
  /** Nodes whose pods a container runtime runs (cri-kubelet.ts): their pods are not ours. */
  private readonly runtimes = new Map<string, CriKubelet>();
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

  /** From now on, the pods of `kubelet.node` are run by that kubelet, in its container runtime. */
  delegate(kubelet: CriKubelet): void {
    this.runtimes.set(kubelet.node, kubelet);
  }

  /** The CRI kubelet that runs `pod`, when its node has one. */
  runtimeFor(pod: Pod): CriKubelet | undefined {
    const node = pod.spec?.nodeName;
    return node === undefined ? undefined : this.runtimes.get(node);
  }

  /** The simulation that answers execs into `pod`, when its node is simulated. */
  simulationFor(pod: Pod): NodeSimulation | undefined {
    const node = pod.spec?.nodeName;
    return node === undefined ? undefined : this.simulations.get(node);
  }

  /** Starts `command` for an exec into `pod`; the process belongs to the pod from now on. */
  exec(pod: Pod, container: string, command: string[], opts: { stdin: boolean }): GroupProcess {
    const image = pod.spec?.containers?.find((c) => c.name === container)?.image;
    const proc = this.spawnIn(pod.metadata.uid ?? '', container, command, opts, image);
    if (proc.pid === undefined) return proc;
    const uid = pod.metadata.uid ?? '';
    const entry: ExecEntry = { pid: proc.pid, ns: pod.metadata.namespace ?? '', pod: pod.metadata.name ?? '', container, command, proc };
    let set = this.execs.get(uid);
    if (!set) this.execs.set(uid, (set = new Set()));
    set.add(entry);
    void proc.exited.then(() => this.untrackWhenGone(uid, entry));
    return proc;
  }

  /** Starts `command` as a process of the container (in its cgroups when the kubelet makes them). */
  private spawnIn(uid: string, container: string, command: string[], opts: { stdin: boolean }, image?: string): GroupProcess {
    const dirs = this.cgroups.get(uid)?.get(container);
    // In the container's cgroups before the command is exec'd (the wrapping sh itself is a host exec).
    const argv = dirs
      ? [
          'sh',
          '-c',
          `${dirs.map((_, i) => `echo $$ >"\${${i + 1}}/cgroup.procs"`).join(' && ')} && shift ${dirs.length} && exec "$@"`,
          'sh',
          ...dirs,
          ...command,
        ]
      : command;
    // An image whose commands find only some tools (imagePaths): its PATH.
    const limited = image
      ? this.opts.imagePaths.find((f) =>
          typeof f.image === 'string' ? f.image === image || normalizeImage(f.image) === normalizeImage(image) : f.image.test(image),
        )
      : undefined;
    return spawnGroup(argv, { ...opts, ...(limited ? { env: { ...process.env, PATH: limited.path } } : {}) });
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
    for (const uid of new Set([...this.execs.keys(), ...this.mains.keys()])) this.killExecs(uid, 'graceful');
    for (const sim of this.simulations.values()) sim.shutdown();
    await Promise.all([...this.stopping, ...[...this.runtimes.values()].map((r) => r.shutdown())]);
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
    const runtime = this.runtimeFor(pod);
    if (runtime) return runtime.onEvent(e);
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
    this.cgroups.delete(uid);
    this.startedAt.delete(uid);
    clearTimeout(this.lifecycleTimers.get(uid));
    this.lifecycleTimers.delete(uid);
    clearTimeout(this.deadlines.get(uid)?.timer);
    this.deadlines.delete(uid);
  }

  /** Stops the pod's exec processes and its containers' own processes. */
  private killExecs(uid: string, how: 'graceful' | 'now'): void {
    const procs = [...[...(this.execs.get(uid) ?? [])].map((e) => e.proc), ...(this.mains.get(uid) ?? [])];
    this.mains.delete(uid);
    for (const proc of procs) {
      const done = how === 'graceful' ? stopGroup(proc, this.opts.killGraceMs) : killGroup(proc);
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
    if (!this.managed.has(uid) || this.startedAt.has(uid) || !nodeName || this.runtimes.has(nodeName)) return;
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
            ? condition(
                'Initialized',
                false,
                'ContainersNotInitialized',
                `containers with incomplete status: [${inits.map((c) => c.name).join(' ')}]`,
              )
            : condition('Initialized', true),
          condition(
            'Ready',
            false,
            'ContainersNotReady',
            `containers with unready status: [${(spec.containers ?? []).map((c) => c.name).join(' ')}]`,
          ),
          condition(
            'ContainersReady',
            false,
            'ContainersNotReady',
            `containers with unready status: [${(spec.containers ?? []).map((c) => c.name).join(' ')}]`,
          ),
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
    return this.opts.badImages.some((b) =>
      typeof b === 'string' ? b === image || normalizeImage(b) === normalizeImage(image) : b.test(image),
    );
  }

  private startFailure(image: string | undefined): StartFailure | undefined {
    if (!image) return undefined;
    return this.opts.failingImages.find((f) =>
      typeof f.image === 'string' ? f.image === image || normalizeImage(f.image) === normalizeImage(image) : f.image.test(image),
    );
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
    if ((spec.containers ?? []).some((c) => this.startFailure(c.image))) {
      this.failStarts(ns, name, uid);
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
      status.conditions = ['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady', 'PodScheduled'].map((t) =>
        condition(t, true),
      );
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
      const cgroupOf = this.opts.containerCgroup;
      const started = (c: Container): string => {
        const id = containerId();
        if (cgroupOf) {
          const byName = this.cgroups.get(uid) ?? new Map<string, string[]>();
          this.cgroups.set(uid, byName);
          byName.set(c.name, cgroupOf(uid, id.slice(id.indexOf('://') + 3)));
        }
        return id;
      };
      status.containerStatuses = (spec.containers ?? []).map((c) => ({
        name: c.name,
        image: normalizeImage(c.image ?? ''),
        imageID: imageID(c),
        containerID: started(c),
        ready: true,
        started: true,
        restartCount: 0,
        state: { running: { startedAt: now } },
        lastState: {},
      }));
      return status;
    });
    if (this.opts.runContainers) this.runContainers(ns, name, uid);
  }

  /** runContainers: each container's command as a process; the pod completes when they have all exited. */
  private runContainers(ns: string, name: string, uid: string): void {
    const pod = this.store.get('pods', ns, name) as Pod | undefined;
    if (pod?.metadata.uid !== uid || pod.status?.phase !== 'Running') return;
    const commandOf = (c: Container): string[] => [
      ...((c['command'] as string[] | undefined) ?? []),
      ...((c['args'] as string[] | undefined) ?? []),
    ];
    const running = (pod.spec?.containers ?? []).filter((c) => ((c['command'] as string[] | undefined) ?? []).length > 0);
    if (running.length === 0) return;
    const exits = new Map<string, { exitCode: number; finishedAt: string }>();
    const procs = running.map((c) => {
      const proc = this.spawnIn(uid, c.name, commandOf(c), { stdin: false }, c.image);
      proc.child.stdout?.resume();
      proc.child.stderr?.resume();
      void proc.exited.then(() => {
        const { exitCode, signalCode } = proc.child;
        exits.set(c.name, {
          exitCode: signalCode ? 128 + (constants.signals[signalCode] ?? 0) : (exitCode ?? 128),
          finishedAt: timestamp(),
        });
        if (exits.size === running.length && this.mains.get(uid) === procs) this.containersExited(ns, name, uid, exits);
      });
      return proc;
    });
    this.mains.set(uid, procs);
  }

  /** Every container process exited: the pod is over, and what still runs in its containers ends with it. */
  private containersExited(ns: string, name: string, uid: string, exits: Map<string, { exitCode: number; finishedAt: string }>): void {
    this.mains.delete(uid);
    this.killExecs(uid, 'now');
    this.updateStatus(ns, name, uid, (p) => {
      if (TERMINAL.has(p.status?.phase ?? '')) return undefined;
      const status: PodStatus = p.status ?? {};
      const failed = [...exits.values()].some((e) => e.exitCode !== 0);
      status.phase = failed ? 'Failed' : 'Succeeded';
      status.conditions = (status.conditions ?? []).map((c) =>
        c.type === 'Ready' || c.type === 'ContainersReady' ? condition(c.type, false, 'PodCompleted') : c,
      );
      status.containerStatuses = status.containerStatuses?.map((s) => {
        const e = exits.get(s.name);
        if (!e) return s;
        const terminated = {
          exitCode: e.exitCode,
          reason: e.exitCode === 0 ? 'Completed' : 'Error',
          startedAt: s.state?.running?.startedAt ?? e.finishedAt,
          finishedAt: e.finishedAt,
          ...(s.containerID ? { containerID: s.containerID } : {}),
        };
        return { ...s, ready: false, started: false, state: { terminated } };
      });
      return status;
    });
  }

  /** Regular containers with a failing image end at once; the others run (init containers are not covered). */
  private failStarts(ns: string, name: string, uid: string): void {
    this.updateStatus(ns, name, uid, (p) => {
      const now = timestamp();
      const status: PodStatus = p.status ?? {};
      const never = p.spec?.['restartPolicy'] === 'Never';
      let running = 0;
      status.containerStatuses = (p.spec?.containers ?? []).map((c) => {
        const base = {
          name: c.name,
          image: normalizeImage(c.image ?? ''),
          imageID: `${normalizeImage(c.image ?? '').replace(/:[^:/]+$/, '')}@sha256:${randomBytes(32).toString('hex')}`,
        };
        const failure = this.startFailure(c.image);
        const id = containerId();
        if (!failure) {
          running++;
          return {
            ...base,
            containerID: id,
            ready: true,
            started: true,
            restartCount: 0,
            state: { running: { startedAt: now } },
            lastState: {},
          };
        }
        const message = failure.message ?? (c['terminationMessagePolicy'] === 'FallbackToLogsOnError' ? failure.log : undefined);
        const terminated = {
          exitCode: failure.exitCode,
          reason: failure.reason,
          ...(message ? { message } : {}),
          startedAt: now,
          finishedAt: now,
          containerID: id,
        };
        if (never) return { ...base, containerID: id, ready: false, started: false, restartCount: 0, state: { terminated }, lastState: {} };
        const backOff = `back-off 10s restarting failed container=${c.name} pod=${name}_${ns}(${uid})`;
        return {
          ...base,
          containerID: id,
          ready: false,
          started: false,
          restartCount: 1,
          state: { waiting: { reason: 'CrashLoopBackOff', message: backOff } },
          lastState: { terminated },
        };
      });
      status.phase = never && running === 0 ? 'Failed' : 'Running';
      const unready = (p.spec?.containers ?? []).filter((c) => this.startFailure(c.image)).map((c) => c.name);
      const notReady = `containers with unready status: [${unready.join(' ')}]`;
      status.conditions = [
        condition('PodReadyToStartContainers', true),
        condition('Initialized', true),
        condition('Ready', false, 'ContainersNotReady', notReady),
        condition('ContainersReady', false, 'ContainersNotReady', notReady),
        condition('PodScheduled', true),
      ];
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
