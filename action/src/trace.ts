/**
 * The trace in the background: started detached so that it outlives the action's main step and
 * records every later step of the job; stopped by the post step with SIGTERM, which ends it as
 * Ctrl-C does (debug pod deleted, totals written, exit).
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { allTracing, tracing } from './started.js';

export interface Started {
  pid: number;
}

/**
 * Starts `executable args` with stdout to `recording` and stderr to `log`, and resolves once the log
 * says it traces on every node. Rejects, with the log, as soon as it ends before that, or after `timeoutSeconds`
 * (then it is stopped).
 */
export async function startTrace(
  executable: string,
  args: readonly string[],
  recording: string,
  log: string,
  timeoutSeconds: number,
): Promise<Started> {
  const out = openSync(recording, 'w');
  const err = openSync(log, 'w');
  const child = spawn(executable, args, { detached: true, stdio: ['ignore', out, err] });
  closeSync(out);
  closeSync(err);
  const pid = await new Promise<number>((resolve, reject) => {
    child.once('spawn', () => resolve(child.pid!));
    child.once('error', (e) => reject(new Error(`could not start ${executable}: ${e.message}`)));
  });
  let ended: string | null = null;
  child.once('exit', (code, signal) => (ended = signal ? `was killed by ${signal}` : `exited with ${code}`));
  const deadline = Date.now() + timeoutSeconds * 1000;
  const logText = (): string => (existsSync(log) ? readFileSync(log, 'utf8') : '');
  for (;;) {
    if (allTracing(logText())) break;
    if (ended !== null) throw new Error(`trace-exec ${ended} before it traced:\n${logText().trimEnd()}`);
    if (Date.now() > deadline) {
      // Stopped and waited for, so that its debug pods are gone when the step fails.
      await stopTrace(pid, 120);
      const t = tracing(logText());
      const what = t ? `traced on ${t.attached} of ${t.of} nodes only` : 'did not start tracing';
      throw new Error(`trace-exec ${what} within ${timeoutSeconds} s (input start-timeout); stopped it:\n${logText().trimEnd()}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  // The job's later steps run after this process exits: let the trace live on without it.
  child.unref();
  return { pid };
}

/** Fields 3 (state) and 22 (start time, clock ticks since boot) of a /proc/PID/stat line; the command name in field 2 may hold spaces and parentheses. */
export function parseStat(stat: string): { state: string; startTime: string } | null {
  const fields = stat
    .slice(stat.lastIndexOf(')') + 2)
    .trim()
    .split(' ');
  return fields.length >= 20 ? { state: fields[0]!, startTime: fields[19]! } : null;
}

function readStat(pid: number): { state: string; startTime: string } | null {
  try {
    return parseStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return null;
  }
}

/** When `pid` started (Linux; '' elsewhere): post checks it so that a reused pid is never signalled. */
export function startTime(pid: number): string {
  return readStat(pid)?.startTime ?? '';
}

/**
 * Whether `pid` is still the live trace: it exists, is not a zombie no one has reaped, and (when
 * `started` is known) started when the trace did.
 */
export function alive(pid: number, started = ''): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  const stat = readStat(pid);
  if (!stat) return true; // no /proc (macOS): kill(0) answered
  return stat.state !== 'Z' && (started === '' || stat.startTime === started);
}

/** SIGTERM, then waits up to `timeoutSeconds` for the end; SIGKILL after that. Returns how it ended. */
export async function stopTrace(pid: number, timeoutSeconds: number, started = ''): Promise<'stopped' | 'gone' | 'killed'> {
  if (!alive(pid, started)) return 'gone';
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + timeoutSeconds * 1000;
  while (alive(pid, started)) {
    if (Date.now() > deadline) {
      process.kill(pid, 'SIGKILL');
      return 'killed';
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return 'stopped';
}
