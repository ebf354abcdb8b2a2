/**
 * Waits for the debug pod to run, saying what it waits for (pulling the image, scheduling) and
 * turning the states that will not resolve by waiting into errors with a hint.
 */
import type { CoreV1Api, V1Pod } from '@kubernetes/client-node';
import type { Log } from '../log.js';
import { Interrupted, UserError } from '../errors.js';

const POLL_MS = 300;
const PULL_FAILURES = new Set(['ErrImagePull', 'ImagePullBackOff', 'InvalidImageName', 'ErrImageNeverPull']);
const START_FAILURES = new Set(['CreateContainerConfigError', 'CreateContainerError', 'RunContainerError', 'CrashLoopBackOff', 'StartError']);

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
    return { kind: 'failed', error: new UserError(`the debug pod ${ref} ended before tracing started (${pod.status?.reason ?? phase}: ${pod.status?.message ?? 'no message'})`) };
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
    return { kind: 'failed', error: new UserError(`the debug pod ${ref} cannot be placed on its node: ${unschedulable.message ?? 'Unschedulable'}`) };
  }
  if (waiting?.reason === 'ContainerCreating') return { kind: 'waiting', what: `pulling image ${f.image} and starting the debug pod` };
  if (waiting?.reason) return { kind: 'waiting', what: `the debug pod is ${waiting.reason}` };
  return { kind: 'waiting', what: 'waiting for the debug pod to be Running' };
}

export async function waitForRunning(
  core: CoreV1Api,
  pod: { namespace: string; name: string },
  o: { timeoutMs: number; image: string; arch: string; log: Log; interrupted: Promise<string>; node: string },
): Promise<void> {
  const deadline = Date.now() + o.timeoutMs;
  let said = '';
  let interrupted: string | null = null;
  void o.interrupted.then((w) => (interrupted = w));
  for (;;) {
    if (interrupted) throw new Interrupted(interrupted, 'while waiting for the debug pod');
    let state: PodState;
    try {
      state = podState(await core.readNamespacedPod(pod), o);
    } catch (e) {
      state = { kind: 'waiting', what: `waiting for the debug pod (the API answered: ${(e as Error).message.split('\n')[0]})` };
    }
    if (state.kind === 'running') return;
    if (state.kind === 'failed') throw state.error;
    if (state.what !== said) {
      o.log.progress(`${o.node}: ${state.what}`);
      said = state.what;
    }
    if (Date.now() >= deadline) {
      throw new UserError(
        `the debug pod ${pod.namespace}/${pod.name} was not Running after --timeout ${o.timeoutMs / 1000}s (last: ${said})`,
        'check the node with kubectl describe node, or raise --timeout',
      );
    }
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}
