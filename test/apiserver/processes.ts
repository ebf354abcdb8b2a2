/**
 * Real processes in their own process group, which is how the kubelet stand-in can stop an exec and
 * everything it started (a shell's children, bpftrace's helpers) the way a container runtime stops a
 * container: signal the whole group, escalate to SIGKILL after a grace period.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

export interface GroupProcess {
  readonly child: ChildProcess;
  /** Also the process group id (the child is a group leader). Undefined when the spawn failed. */
  readonly pid: number | undefined;
  /** Resolves when the group leader has exited (or never started). */
  readonly exited: Promise<void>;
  /** False once the group leader has exited. */
  readonly running: () => boolean;
}

/** `env`: the process's environment (default this one's); its PATH is where the command is looked up. */
export function spawnGroup(argv: readonly string[], opts: { stdin: boolean; env?: NodeJS.ProcessEnv }): GroupProcess {
  const [file, ...args] = argv as [string, ...string[]];
  // detached: setsid(), so the child leads its own process group and can be signalled as a whole;
  // no shell: argv is executed as given, like a container runtime's exec.
  const child = spawn(file, args, {
    detached: true,
    cwd: '/',
    env: opts.env ?? process.env,
    stdio: [opts.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
  });
  let running = child.pid !== undefined;
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => {
      running = false;
      resolve();
    });
    child.on('error', () => {
      // A failed spawn never emits 'exit'. (An 'error' from kill() on a live child cannot happen: we
      // signal groups with process.kill.)
      running = child.exitCode === null && child.signalCode === null && child.pid !== undefined;
      if (!running) resolve();
    });
  });
  return { child, pid: child.pid, exited, running: () => running };
}

/** Sends `signal` to the whole group; false when no process of the group is left. */
export function signalGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}

/**
 * True while any live process of the group exists (the leader may be gone while its children live on).
 * Zombies do not count: orphans are reparented to PID 1, which on some machines (containers, sandboxes)
 * never reaps them, and kill(-pgid, 0) would report such a group alive forever.
 */
export function groupAlive(pgid: number): boolean {
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    return signalGroup(pgid, 0); // no procfs: the best the kernel tells us
  }
  return pids.some((pid) => {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      // "pid (comm) state ppid pgrp ...": comm may contain spaces and parentheses, so parse after the last ')'.
      const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return Number(pgrp) === pgid && state !== 'Z' && state !== 'X';
    } catch {
      return false; // exited while we looked
    }
  });
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** SIGTERM to the group, SIGKILL after `graceMs` if any of it is still alive; resolves when it is gone. */
export async function stopGroup(proc: GroupProcess, graceMs: number): Promise<void> {
  const pgid = proc.pid;
  if (pgid === undefined) return;
  if (signalGroup(pgid, 'SIGTERM')) {
    const deadline = Date.now() + graceMs;
    while (groupAlive(pgid) && Date.now() < deadline) await sleep(25);
  }
  await killGroup(proc);
}

/** SIGKILL to the group; resolves once the leader has been reaped. */
export async function killGroup(proc: GroupProcess): Promise<void> {
  if (proc.pid === undefined) return;
  signalGroup(proc.pid, 'SIGKILL');
  if (proc.running()) await proc.exited;
}
