/** Waiting on the benchmark's child processes and conditions, with a bound on every wait. */
import type { ChildProcess } from 'node:child_process';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls cond every intervalMs until it is true; throws with what() after timeoutMs. */
export async function waitFor(cond: () => boolean, timeoutMs: number, what: () => string, intervalMs = 25): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(what());
    await sleep(intervalMs);
  }
}

export interface Exit {
  code: number | null;
  signal: string | null;
  killed: boolean;
}

/** Waits for a child to exit; SIGKILLs it after graceMs. */
export async function waitExit(child: ChildProcess, graceMs: number): Promise<Exit> {
  if (child.exitCode !== null || child.signalCode !== null) return { code: child.exitCode, signal: child.signalCode, killed: false };
  let killed = false;
  const timer = setTimeout(() => {
    killed = true;
    child.kill('SIGKILL');
  }, graceMs);
  const [code, signal] = (await new Promise((r) => child.once('exit', (c, s) => r([c, s])))) as [number | null, string | null];
  clearTimeout(timer);
  return { code, signal, killed };
}

/** Stops a child with SIGINT if it still runs (cleanup path). */
export async function interrupt(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) {
    child.kill('SIGINT');
    await waitExit(child, graceMs);
  }
}
