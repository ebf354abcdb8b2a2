/**
 * The kubelet of one node whose pods run in a real container runtime, driven through the CRI v1
 * API as a kubelet drives it (pkg/kubelet/kuberuntime): a pod created through the API and bound to
 * this node gets a sandbox (RunPodSandbox with its uid/namespace/name, the cgroup parent of its QoS
 * class as the cgroupfs driver names it, host network — there is no CNI here — and host PID when
 * it asks), then one container per spec container (CreateContainer + StartContainer with image,
 * command, args, env, privileged, runAsUser and hostPath/emptyDir mounts). What the runtime says
 * goes back into the pod's status: `containerd://<id>`, running / terminated with its exit codes,
 * reasons and messages (a container that cannot start reports the runtime's own error), the phase
 * (Succeeded / Failed once every container of a restartPolicy Never pod has ended). Deleting the
 * pod stops and removes its sandbox and the pod's cgroup directories.
 *
 * Exec probes (liveness, readiness, startup) run as the kubelet's prober runs them: CRI ExecSync
 * with the spec's command, every periodSeconds (default 10) after initialDelaySeconds, with
 * timeoutSeconds (default 1); a readiness probe's result is the container's `ready`. A failing
 * liveness probe does not restart the container (see below).
 *
 * Not done (a real kubelet does): restarts (restartPolicy Always/OnFailure only report the ended
 * container), init containers, http/tcp/grpc probes, lifecycle hooks, image pulls (images are imported beforehand), volumes other
 * than hostPath and emptyDir, activeDeadlineSeconds.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, rmdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { removePodCgroups } from '../runtime/containerd.js';
import type { ContainerConfig, CriClient, CriContainerStatus, CriMount, NamespaceMode, PodSandboxConfig } from '../runtime/cri.js';
import { cgroupParent, qosClass } from './qos.js';
import type { Store, StoreEvent } from './store.js';
import { timestamp, type Condition, type Container, type ContainerStatus, type Pod, type PodStatus } from './types.js';

/** What a CRI kubelet needs of the runtime (test/runtime/shared.ts gives it). */
export interface CriRuntime {
  cri: CriClient;
  /** Pod log directories and emptyDir volumes go below it. */
  podsDir: string;
  /** Host directories made for hostPath volumes are appended to it, for the run's teardown. */
  hostPathsLog: string;
  /** `containerd://1.6.20…`: the node's status.nodeInfo.containerRuntimeVersion. */
  version?: string;
}

interface Volume {
  name: string;
  hostPath?: { path: string; type?: string };
  emptyDir?: object;
}

interface VolumeMount {
  name: string;
  mountPath: string;
  readOnly?: boolean;
}

interface PodRun {
  uid: string;
  ns: string;
  name: string;
  sandboxId?: string;
  /** Container name → runtime id, for those created. */
  ids: Map<string, string>;
  /** The last status each container was reported with, to post only changes. */
  seen: Map<string, string>;
  /** The start sequence; deletion waits for it. */
  started: Promise<void>;
  stopped: boolean;
  done: boolean;
  /** Probe timers, cleared when the pod goes. */
  probes: NodeJS.Timeout[];
}

const POLL_MS = 250;

function condition(type: string, status: boolean, reason?: string, message?: string): Condition {
  const c: Condition = { type, status: status ? 'True' : 'False', lastProbeTime: null, lastTransitionTime: timestamp() };
  if (reason) c.reason = reason;
  if (message) c.message = message;
  return c;
}

/** int64 nanoseconds (a decimal string) → RFC 3339 seconds, as the API shows container times. */
function time(ns: string): string {
  return new Date(Number(BigInt(ns) / 1_000_000n)).toISOString().replace(/\.\d+Z$/, 'Z');
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class CriKubelet {
  private readonly runs = new Map<string, PodRun>();
  private readonly teardowns = new Set<Promise<void>>();
  /** Host directories made for hostPath volumes → the pods that mount them (removed with the last). */
  private readonly madeDirs = new Map<string, Set<string>>();
  private readonly timer: NodeJS.Timeout;
  private polling = false;
  private shutDown = false;

  constructor(
    private readonly store: Store,
    readonly node: string,
    private readonly rt: CriRuntime,
  ) {
    this.timer = setInterval(() => void this.poll(), POLL_MS);
  }

  /** The kubelet's reaction to a store change (the host kubelet hands over the pods of this node). */
  onEvent(e: StoreEvent): void {
    if (e.resource !== 'pods' || this.shutDown) return;
    const pod = e.object as Pod;
    if (pod.spec?.nodeName !== this.node) return;
    const uid = pod.metadata.uid ?? '';
    if (e.type === 'DELETED') return void this.remove(uid);
    if (this.runs.has(uid) || (pod.status?.phase ?? 'Pending') !== 'Pending') return;
    const run: PodRun = {
      uid,
      ns: pod.metadata.namespace ?? '',
      name: pod.metadata.name ?? '',
      ids: new Map(),
      seen: new Map(),
      started: Promise.resolve(),
      stopped: false,
      done: false,
      probes: [],
    };
    this.runs.set(uid, run);
    run.started = this.start(run, pod).catch((err: Error) => {
      console.error(`cri kubelet: pod ${run.ns}/${run.name}: ${err.message}`);
    });
  }

  /** The runtime id of a container of a pod of this node, when it was created. */
  containerId(pod: Pod, container: string): string | undefined {
    return this.runs.get(pod.metadata.uid ?? '')?.ids.get(container);
  }

  /** CRI Exec into a container of a pod of this node: the URL of the exec on the runtime's streaming server. */
  execUrl(
    pod: Pod,
    container: string,
    cmd: string[],
    streams: { tty: boolean; stdin: boolean; stdout: boolean; stderr: boolean },
  ): Promise<string> {
    const id = this.containerId(pod, container);
    if (!id) return Promise.reject(new Error(`container not found ("${container}")`));
    return this.rt.cri.exec({ containerId: id, cmd, ...streams });
  }

  /** The sandboxes this kubelet has running or stopped (not yet removed). */
  sandboxIds(): string[] {
    return [...this.runs.values()].flatMap((r) => (r.sandboxId ? [r.sandboxId] : []));
  }

  /** Removes every pod's sandbox; the runtime itself stays (it is the run's). */
  async shutdown(): Promise<void> {
    this.shutDown = true;
    clearInterval(this.timer);
    for (const uid of [...this.runs.keys()]) this.remove(uid);
    await Promise.all([...this.teardowns]);
  }

  private async start(run: PodRun, pod: Pod): Promise<void> {
    const spec = pod.spec ?? {};
    const containers = spec.containers ?? [];
    const qos = qosClass(containers);
    const hostPID = spec['hostPID'] === true;
    const namespaces = {
      network: 'NODE' as NamespaceMode,
      pid: (hostPID ? 'NODE' : 'CONTAINER') as NamespaceMode,
      ipc: (spec['hostIPC'] === true ? 'NODE' : 'POD') as NamespaceMode,
    };
    const privileged = containers.some((c) => (c['securityContext'] as { privileged?: boolean } | undefined)?.privileged === true);
    const logDirectory = join(this.rt.podsDir, `${run.ns}_${run.name}_${run.uid}`);
    mkdirSync(logDirectory, { recursive: true });
    const sandboxConfig: PodSandboxConfig = {
      metadata: { name: run.name, uid: run.uid, namespace: run.ns, attempt: 0 },
      logDirectory,
      labels: { 'io.kubernetes.pod.name': run.name, 'io.kubernetes.pod.namespace': run.ns, 'io.kubernetes.pod.uid': run.uid },
      linux: { cgroupParent: cgroupParent(qos, run.uid), securityContext: { namespaceOptions: namespaces, privileged } },
    };
    const hostIP = '127.0.0.1';
    this.update(run, (s) => {
      s.phase = 'Pending';
      s.qosClass = qos;
      s.hostIP = hostIP;
      s.hostIPs = [{ ip: hostIP }];
      s.startTime = timestamp();
      s.conditions = [
        condition('PodReadyToStartContainers', false),
        condition('Initialized', true),
        condition('Ready', false, 'ContainersNotReady'),
        condition('ContainersReady', false, 'ContainersNotReady'),
        condition('PodScheduled', true),
      ];
      s.containerStatuses = containers.map((c) => ({
        name: c.name,
        image: c.image ?? '',
        imageID: '',
        ready: false,
        started: false,
        restartCount: 0,
        state: { waiting: { reason: 'ContainerCreating' } },
        lastState: {},
      }));
    });

    run.sandboxId = await this.rt.cri.runPodSandbox(sandboxConfig);
    if (run.stopped) return;
    this.update(run, (s) => {
      // No CNI: every pod has the node's address, as a hostNetwork pod does.
      s.podIP = hostIP;
      s.podIPs = [{ ip: hostIP }];
      s.conditions = s.conditions?.map((c) => (c.type === 'PodReadyToStartContainers' ? condition(c.type, true) : c));
    });

    const volumes = new Map(((spec['volumes'] ?? []) as Volume[]).map((v) => [v.name, v]));
    for (const c of containers) {
      if (run.stopped) return;
      let mounts: CriMount[];
      try {
        mounts = this.mounts(run, c, volumes);
      } catch (err) {
        // The kubelet's volume manager never lets such a pod start: it waits with a FailedMount event.
        this.setContainer(run, c.name, { waiting: { reason: 'ContainerCreating', message: (err as Error).message } });
        continue;
      }
      const config = this.containerConfig(c, mounts, namespaces);
      let id: string;
      try {
        id = await this.rt.cri.createContainer(run.sandboxId, config, sandboxConfig);
      } catch (err) {
        this.setContainer(run, c.name, {
          waiting: { reason: 'CreateContainerError', message: (err as { details?: string }).details ?? (err as Error).message },
        });
        continue;
      }
      run.ids.set(c.name, id);
      try {
        await this.rt.cri.startContainer(id);
        this.startProbes(run, c, id);
      } catch {
        // The runtime records why (StartError, exit code 128, its message): the next poll reports it.
      }
    }
    await this.poll();
  }

  private containerConfig(
    c: Container,
    mounts: CriMount[],
    namespaces: { network: NamespaceMode; pid: NamespaceMode; ipc: NamespaceMode },
  ): ContainerConfig {
    const sc = (c['securityContext'] ?? {}) as { privileged?: boolean; runAsUser?: number };
    const env = ((c['env'] ?? []) as { name: string; value?: string }[]).filter((e) => e.value !== undefined);
    return {
      metadata: { name: c.name, attempt: 0 },
      image: { image: c.image ?? '' },
      command: (c['command'] as string[] | undefined) ?? [],
      args: (c['args'] as string[] | undefined) ?? [],
      workingDir: (c['workingDir'] as string | undefined) ?? '',
      envs: env.map((e) => ({ key: e.name, value: Buffer.from(e.value ?? '') })),
      mounts,
      labels: { 'io.kubernetes.container.name': c.name },
      logPath: `${c.name}/0.log`,
      linux: {
        securityContext: {
          privileged: sc.privileged === true,
          namespaceOptions: namespaces,
          ...(sc.runAsUser !== undefined ? { runAsUser: { value: String(sc.runAsUser) } } : {}),
        },
      },
    };
  }

  /**
   * The container's mounts. A hostPath of type "" or DirectoryOrCreate that does not exist (here
   * /lib/modules) is created as a directory, as the kubelet does for DirectoryOrCreate (and as
   * containerd does for "", which the kubelet passes through unchecked); the directories made are
   * remembered and removed with the pod. Directory must exist, as the kubelet checks.
   */
  private mounts(run: PodRun, c: Container, volumes: Map<string, Volume>): CriMount[] {
    const out: CriMount[] = [];
    for (const m of (c['volumeMounts'] ?? []) as VolumeMount[]) {
      const v = volumes.get(m.name);
      if (!v) throw new Error(`volume "${m.name}" of container ${c.name} is not in the pod's volumes`);
      let hostPath: string;
      if (v.hostPath) {
        hostPath = v.hostPath.path;
        const type = v.hostPath.type ?? '';
        for (const [d, users] of this.madeDirs)
          if (d === hostPath || d.startsWith(`${hostPath}/`) || hostPath.startsWith(`${d}/`)) users.add(run.uid);
        if (!existsSync(hostPath)) {
          if (type === '' || type === 'DirectoryOrCreate') this.makeDir(run, hostPath);
          else
            throw new Error(
              `MountVolume.SetUp failed for volume "${m.name}" : hostPath type check failed: ${hostPath} is not a ${type === 'Directory' ? 'directory' : type}`,
            );
        }
      } else if (v.emptyDir) {
        hostPath = join(this.rt.podsDir, run.uid, 'volumes', m.name);
        mkdirSync(hostPath, { recursive: true });
      } else {
        throw new Error(`volume "${m.name}": only hostPath and emptyDir volumes are supported by the test kubelet`);
      }
      out.push({ containerPath: m.mountPath, hostPath, readonly: m.readOnly === true });
    }
    return out;
  }

  private makeDir(run: PodRun, path: string): void {
    const missing: string[] = [];
    for (let d = path; d !== '/' && !existsSync(d); d = dirname(d)) missing.unshift(d);
    mkdirSync(path, { recursive: true });
    for (const d of missing) {
      appendFileSync(this.rt.hostPathsLog, `${d}\n`);
      this.madeDirs.set(d, new Set([run.uid]));
    }
  }

  /** The PLEG: every container's state from the runtime, posted when it changed. */
  private async poll(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      for (const run of [...this.runs.values()]) {
        if (run.done || run.stopped || run.ids.size === 0) continue;
        for (const [name, id] of run.ids) {
          let st: CriContainerStatus;
          try {
            st = await this.rt.cri.containerStatus(id);
          } catch {
            continue; // removed meanwhile
          }
          const key = `${st.state}/${st.exitCode}/${st.reason}`;
          if (run.seen.get(name) === key || run.stopped) continue;
          run.seen.set(name, key);
          this.report(run, name, id, st);
        }
        this.complete(run);
      }
    } finally {
      this.polling = false;
    }
  }

  private report(run: PodRun, name: string, id: string, st: CriContainerStatus): void {
    const containerID = `containerd://${id}`;
    const base = { containerID, imageID: st.imageRef };
    if (st.state === 'CONTAINER_RUNNING') {
      this.setContainer(run, name, { running: { startedAt: time(st.startedAt) } }, { ...base, ready: true, started: true });
    } else if (st.state === 'CONTAINER_EXITED') {
      let message = st.message;
      const pod = this.store.get('pods', run.ns, run.name) as Pod | undefined;
      const c = pod?.spec?.containers?.find((x) => x.name === name);
      if (!message && st.exitCode !== 0 && c?.['terminationMessagePolicy'] === 'FallbackToLogsOnError') message = this.logTail(st.logPath);
      const terminated = {
        exitCode: st.exitCode,
        reason: st.reason || (st.exitCode === 0 ? 'Completed' : 'Error'),
        ...(message ? { message } : {}),
        startedAt: st.startedAt !== '0' ? time(st.startedAt) : time(st.createdAt),
        finishedAt: time(st.finishedAt),
        containerID,
      };
      this.setContainer(run, name, { terminated }, { ...base, ready: false, started: false });
    }
  }

  /** The last lines of a CRI log (`<time> <stream> <F|P> <text>` per line), as FallbackToLogsOnError takes them. */
  private logTail(path: string): string {
    try {
      const lines = readFileSync(path, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => l.split(' ').slice(3).join(' '));
      return lines.slice(-80).join('\n').slice(-2048);
    } catch {
      return '';
    }
  }

  /** restartPolicy Never: when every container has ended, the pod is over and its sandbox stopped. */
  private complete(run: PodRun): void {
    const pod = this.store.get('pods', run.ns, run.name) as Pod | undefined;
    if (pod?.metadata.uid !== run.uid) return;
    const statuses = pod.status?.containerStatuses ?? [];
    const never = (pod.spec?.['restartPolicy'] ?? 'Always') === 'Never';
    const ready = statuses.length > 0 && statuses.every((s) => s.state?.running);
    const readyNow = pod.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
    if (ready && !readyNow && pod.status?.phase !== 'Running') {
      this.update(run, (s) => {
        s.phase = 'Running';
        s.conditions = s.conditions?.map((c) => (['Ready', 'ContainersReady'].includes(c.type) ? condition(c.type, true) : c));
      });
    }
    const ended = statuses.length === (pod.spec?.containers ?? []).length && statuses.every((s) => s.state?.terminated);
    if (!never || !ended) return;
    run.done = true;
    const failed = statuses.some((s) => (s.state?.terminated?.exitCode ?? 0) !== 0);
    this.update(run, (s) => {
      s.phase = failed ? 'Failed' : 'Succeeded';
      s.conditions = s.conditions?.map((c) =>
        ['Ready', 'ContainersReady'].includes(c.type) ? condition(c.type, false, 'PodCompleted') : c,
      );
    });
    // The kubelet stops a finished pod's sandbox at once; removing it waits for the pod's deletion.
    if (run.sandboxId) void this.rt.cri.stopPodSandbox(run.sandboxId).catch(() => {});
  }

  private setContainer(run: PodRun, name: string, state: ContainerStatus['state'], extra: Partial<ContainerStatus> = {}): void {
    this.update(run, (s) => {
      s.containerStatuses = (s.containerStatuses ?? []).map((cs) => (cs.name === name ? { ...cs, ...extra, state } : cs));
    });
  }

  /** Mutates the status of the pod this run is for, unless it was deleted (or replaced) meanwhile. */
  private update(run: PodRun, mutate: (s: PodStatus) => void): void {
    const pod = this.store.get('pods', run.ns, run.name) as Pod | undefined;
    if (pod?.metadata.uid !== run.uid) return;
    this.store.update<Pod>('pods', run.ns, run.name, (p) => {
      const s = (p.status ??= {});
      mutate(s);
    });
  }

  /** Host directories made for hostPath volumes that no pod of this node mounts any more, deepest first. */
  private removeMadeDirs(uid: string): void {
    for (const users of this.madeDirs.values()) users.delete(uid);
    const free = [...this.madeDirs].filter(([, users]) => users.size === 0).map(([d]) => d);
    for (const d of free.sort((a, b) => b.length - a.length)) {
      this.madeDirs.delete(d);
      try {
        rmdirSync(d);
      } catch {
        /* not empty or gone: the run's teardown reports what is left */
      }
    }
  }

  /** The container's exec probes, each on its own timer as the kubelet's probe workers run them. */
  private startProbes(run: PodRun, c: Container, id: string): void {
    interface Probe {
      exec?: { command?: string[] };
      periodSeconds?: number;
      initialDelaySeconds?: number;
      timeoutSeconds?: number;
    }
    for (const kind of ['livenessProbe', 'readinessProbe', 'startupProbe'] as const) {
      const p = c[kind] as Probe | undefined;
      const command = p?.exec?.command;
      if (!p || !command || command.length === 0) continue;
      const period = (p.periodSeconds ?? 10) * 1000;
      const once = async (): Promise<void> => {
        if (run.stopped) return;
        let ok = false;
        try {
          ok = (await this.rt.cri.execSync(id, command, p.timeoutSeconds ?? 1)).exitCode === 0;
        } catch {
          // A container that is gone or a timeout: the probe failed.
        }
        if (kind === 'readinessProbe' && !run.stopped) this.setReady(run, c.name, ok);
      };
      const first = setTimeout(
        () => {
          void once();
          run.probes.push(setInterval(() => void once(), period));
        },
        (p.initialDelaySeconds ?? 0) * 1000,
      );
      run.probes.push(first);
    }
  }

  private setReady(run: PodRun, name: string, ready: boolean): void {
    this.update(run, (s) => {
      for (const cs of s.containerStatuses ?? []) if (cs.name === name) cs.ready = ready;
    });
  }

  /** The pod was deleted: its containers stop (their grace), its sandbox and cgroups go. */
  private remove(uid: string): void {
    const run = this.runs.get(uid);
    if (!run || run.stopped) return;
    run.stopped = true;
    for (const t of run.probes) clearTimeout(t);
    const done = (async () => {
      await run.started;
      if (run.sandboxId) {
        try {
          await this.rt.cri.stopPodSandbox(run.sandboxId);
          await this.rt.cri.removePodSandbox(run.sandboxId);
        } catch (err) {
          console.error(`cri kubelet: removing the sandbox of ${run.ns}/${run.name}: ${(err as Error).message}`);
        }
      }
      // The runtime removed the containers' cgroups; the pod's own directory is the kubelet's.
      for (let i = 0; i < 3 && removePodCgroups([uid]).length > 0; i++) await sleep(200);
      this.removeMadeDirs(uid);
      rmSync(join(this.rt.podsDir, run.uid), { recursive: true, force: true });
      rmSync(join(this.rt.podsDir, `${run.ns}_${run.name}_${run.uid}`), { recursive: true, force: true });
      this.runs.delete(uid);
    })();
    this.teardowns.add(done);
    void done.finally(() => this.teardowns.delete(done));
  }
}
