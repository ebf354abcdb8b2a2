/**
 * Waits for the debug pod to run, saying what it waits for (pulling the image, scheduling) and
 * turning the states that will not resolve by waiting into errors with a hint — a NotReady node
 * whose kubelet never takes the pod up included, after a wait much shorter than --timeout.
 */
import type { CoreV1Api, V1Pod } from '@kubernetes/client-node';
import type { Log } from '../log.js';
import { Interrupted, UserError } from '../errors.js';
import { notReady } from './node-ready.js';
import type { PodUpdates } from './pod-updates.js';

const POLL_MS = 300;
/**
 * With a watch bringing the pod's changes, it is read again only after this long without one: a
 * safety net for a watch that lags, not a poll (500 pods every 10 s are 50 requests a second).
 */
const WATCHED_READ_MS = 10_000;
/** The node's Ready condition is read this often while its kubelet has not taken the pod up. */
const NODE_POLL_MS = 2_000;
const NOT_READY_GRACE_MAX_MS = 15_000;

/**
 * How long a debug pod may wait untouched on a NotReady node before the run gives up on it: a
 * quarter of --timeout, at most 15 s (the default --timeout is 2 minutes). A kubelet that works,
 * even on a NotReady node (a hostNetwork pod starts without a CNI), takes the pod up within seconds.
 */
export function notReadyGraceMs(timeoutMs: number): number {
  return Math.min(NOT_READY_GRACE_MAX_MS, Math.floor(timeoutMs / 4));
}

/**
 * Pure: has a kubelet taken the pod up — any phase but Pending, a container status, or a condition
 * only a kubelet sets (PodScheduled may come from elsewhere)? Then it is being worked on, however
 * slowly (a long image pull shows no change for minutes), and only --timeout ends the wait.
 */
export function kubeletTookUp(pod: V1Pod): boolean {
  const s = pod.status;
  return (
    (s?.phase !== undefined && s.phase !== 'Pending') ||
    (s?.containerStatuses?.length ?? 0) > 0 ||
    (s?.conditions ?? []).some((c) => c.type !== 'PodScheduled')
  );
}

/**
 * Pure clock of one wait: how long the pod has stayed untouched while its node stayed NotReady. A
 * Ready node, or a kubelet that took the pod up, resets it for good or until the node fails again.
 */
export class NotReadyStall {
  private since: number | null = null;
  private tookUp = false;

  constructor(private readonly graceMs: number) {}

  /**
   * One look at the pod (taken up?) and the node (its NotReady phrase, null when Ready, undefined
   * when unknown this time): true once the run should give up.
   */
  observe(now: number, podTakenUp: boolean, nodeNotReady: string | null | undefined): boolean {
    if (podTakenUp) this.tookUp = true;
    if (this.tookUp || nodeNotReady === null) {
      this.since = null;
      return false;
    }
    if (nodeNotReady === undefined) return this.since !== null && now - this.since >= this.graceMs;
    this.since ??= now;
    return now - this.since >= this.graceMs;
  }
}
const PULL_FAILURES = new Set(['ErrImagePull', 'ImagePullBackOff', 'InvalidImageName', 'ErrImageNeverPull']);
const START_FAILURES = new Set([
  'CreateContainerConfigError',
  'CreateContainerError',
  'RunContainerError',
  'CrashLoopBackOff',
  'StartError',
]);

export type PodState = { kind: 'running' } | { kind: 'waiting'; what: string } | { kind: 'failed'; error: UserError };

/** The debug image and the node's architecture: what the hints name. */
export interface ImageFacts {
  image: string;
  arch: string;
}

type Terminated = { reason?: string; message?: string; exitCode?: number };

function describeTerminated(t: Terminated): string {
  const code = t.exitCode !== undefined ? ` (exit code ${t.exitCode})` : '';
  const msg = t.message?.trim() ? `: ${t.message.trim().split('\n').slice(-3).join(' / ')}` : '';
  return `${t.reason ?? 'terminated'}${code}${msg}`;
}

/**
 * Why the container does not start, as a hint: a binary of another architecture (`exec format
 * error`) wants an image for the node's; anything else wants an image that has `sleep` and runs there.
 */
function startHint(text: string, f: ImageFacts): string {
  if (/exec format error/i.test(text)) {
    return `the image ${f.image} is not built for linux/${f.arch}, the node's architecture: pass --image ${f.arch}=IMAGE with an image for linux/${f.arch} (README "The debug pod image")`;
  }
  return `the debug container runs \`sleep\` and must stay up: check that ${f.image} has sleep and runs on linux/${f.arch}, or pass --image ${f.arch}=IMAGE (README "The debug pod image")`;
}

/** Pure: what a pod's status means for a run that waits for it. */
export function podState(pod: V1Pod, f: ImageFacts): PodState {
  const ref = `${pod.metadata?.namespace}/${pod.metadata?.name}`;
  const phase = pod.status?.phase ?? 'Pending';
  const cs = pod.status?.containerStatuses?.[0];
  if (phase === 'Running' && cs?.state?.running) return { kind: 'running' };
  // The container ran and ended (restartPolicy Never): its own reason and message say why.
  const terminated = cs?.state?.terminated;
  if (terminated) {
    const what = describeTerminated(terminated);
    return { kind: 'failed', error: new UserError(`the debug container of ${ref} did not start: ${what}`, startHint(what, f)) };
  }
  if (phase === 'Failed' || phase === 'Succeeded') {
    return {
      kind: 'failed',
      error: new UserError(
        `the debug pod ${ref} ended before tracing started (${pod.status?.reason ?? phase}: ${pod.status?.message ?? 'no message'})`,
      ),
    };
  }
  const waiting = cs?.state?.waiting;
  if (waiting?.reason && PULL_FAILURES.has(waiting.reason)) {
    return {
      kind: 'failed',
      error: new UserError(
        `the node cannot pull the debug image ${f.image} (${waiting.reason}${waiting.message ? `: ${waiting.message}` : ''})`,
        `pass --image with an image that contains bpftrace and that the node can pull (e.g. from your registry mirror; --image ${f.arch}=IMAGE for the ${f.arch} nodes only)`,
      ),
    };
  }
  if (waiting?.reason && START_FAILURES.has(waiting.reason)) {
    // A restarting container keeps what ended its last run in lastState.
    const last = cs?.lastState?.terminated;
    const what = `${waiting.reason}${waiting.message ? `: ${waiting.message}` : ''}${last ? `; last run: ${describeTerminated(last)}` : ''}`;
    return { kind: 'failed', error: new UserError(`the debug pod ${ref} cannot start: ${what}`, startHint(what, f)) };
  }
  const unschedulable = pod.status?.conditions?.find((c) => c.type === 'PodScheduled' && c.status === 'False');
  if (unschedulable?.reason === 'Unschedulable') {
    return {
      kind: 'failed',
      error: new UserError(`the debug pod ${ref} cannot be placed on its node: ${unschedulable.message ?? 'Unschedulable'}`),
    };
  }
  if (waiting?.reason === 'ContainerCreating') return { kind: 'waiting', what: `pulling image ${f.image} and starting the debug pod` };
  if (waiting?.reason) return { kind: 'waiting', what: `the debug pod is ${waiting.reason}` };
  return { kind: 'waiting', what: 'waiting for the debug pod to be Running' };
}

export async function waitForRunning(
  core: CoreV1Api,
  pod: { namespace: string; name: string },
  o: {
    timeoutMs: number;
    image: string;
    arch: string;
    log: Log;
    interrupted: Promise<string>;
    node: string;
    /** The pod's changes from a watch: read from the API only when none came for a while. */
    updates?: PodUpdates;
    /** The node as read just before (its NotReady phrase, null when Ready): not read again for NODE_POLL_MS. */
    nodeNotReady?: string | null;
  },
): Promise<void> {
  const started = Date.now();
  const deadline = started + o.timeoutMs;
  const graceMs = notReadyGraceMs(o.timeoutMs);
  const stall = new NotReadyStall(graceMs);
  let said = '';
  let interrupted: string | null = null;
  void o.interrupted.then((w) => (interrupted = w));
  /** The node's NotReady phrase at the last look (null: Ready), and when that look was. */
  let nodeState: string | null | undefined;
  let nodeReadAt = 0;
  let seeded = o.nodeNotReady;
  if (seeded !== undefined) nodeReadAt = started;
  /** With updates: the pod as last seen, and when it was read from the API. */
  let lastPod: V1Pod | null = null;
  let podReadAt = 0;
  for (;;) {
    if (interrupted) throw new Interrupted(interrupted, 'while waiting for the debug pod');
    let state: PodState;
    let takenUp = false;
    try {
      let p = o.updates?.take() ?? null;
      if (p !== null)
        podReadAt = Date.now(); // as fresh as a read
      else if (o.updates && lastPod !== null && Date.now() - podReadAt < WATCHED_READ_MS) p = lastPod;
      if (p === null) {
        p = await core.readNamespacedPod(pod);
        podReadAt = Date.now();
      }
      lastPod = p;
      state = podState(p, o);
      takenUp = kubeletTookUp(p);
    } catch (e) {
      state = { kind: 'waiting', what: `waiting for the debug pod (the API answered: ${(e as Error).message.split('\n')[0]})` };
    }
    if (state.kind === 'running') return;
    if (state.kind === 'failed') throw state.error;
    if (state.what !== said) {
      o.log.progress(`${o.node}: ${state.what}`);
      said = state.what;
    }
    let fresh: string | null | undefined = seeded;
    seeded = undefined;
    if (fresh !== undefined) nodeState = fresh;
    else if (!takenUp && Date.now() - nodeReadAt >= NODE_POLL_MS) {
      nodeReadAt = Date.now();
      fresh = await core.readNode({ name: o.node }).then(notReady, () => undefined);
      if (fresh !== undefined) nodeState = fresh;
    }
    if (stall.observe(Date.now(), takenUp, fresh) && nodeState) {
      throw new UserError(
        `node ${o.node} is ${nodeState}, and its kubelet has not taken up the debug pod ${pod.namespace}/${pod.name} in ${Math.round((Date.now() - started) / 1000)}s: giving up on it before --timeout ${o.timeoutMs / 1000}s`,
        `check the node with: kubectl describe node ${o.node}; trace it once it is Ready`,
      );
    }
    if (Date.now() >= deadline) {
      throw new UserError(
        `the debug pod ${pod.namespace}/${pod.name} was not Running after --timeout ${o.timeoutMs / 1000}s (last: ${said}${nodeState ? `; node ${o.node} is ${nodeState}` : ''})`,
        'check the node with kubectl describe node, or raise --timeout',
      );
    }
    // A node not yet seen Ready is read every NODE_POLL_MS: wake up for it even without a pod change.
    if (o.updates) await o.updates.next(Math.max(1, Math.min(takenUp ? WATCHED_READ_MS : NODE_POLL_MS, deadline - Date.now())));
    else await new Promise((r) => setTimeout(r, POLL_MS));
  }
}
