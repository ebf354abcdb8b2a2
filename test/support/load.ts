/** A steady trickle of host execs (`/bin/true` every 20 ms), for runs that need events to flow. */
import { spawn, type ChildProcess } from 'node:child_process';

export function startExecLoad(): { stop(): Promise<void> } {
  const child: ChildProcess = spawn('sh', ['-c', 'while :; do /bin/true; sleep 0.02; done'], { stdio: 'ignore', detached: true });
  return {
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        process.kill(-child.pid!, 'SIGKILL');
      }),
  };
}
