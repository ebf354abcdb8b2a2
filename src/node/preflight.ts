/**
 * Before --local prints anything: can this machine trace at all? Kept apart from the local runner
 * (src/node/local.ts), which only runs what it is given.
 */
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/**
 * Why --local cannot trace on this machine, in one line that says what to do, or null when it can:
 * checked before anything is printed, so that a user without root sees this line, not a table
 * header followed by bpftrace's own error.
 */
export function whyLocalCannotTrace(platform: NodeJS.Platform, uid: number | null, path: string | undefined): string | null {
  // bpftrace and the cgroup names it reads are Linux's: the Windows and macOS builds trace clusters only.
  if (platform !== 'linux')
    return `--local traces the Linux kernel it runs on, and this is ${platform}: trace a cluster node instead (node/NAME)`;
  if (uid !== null && uid !== 0)
    return '--local needs root (bpftrace loads BPF programs): run it with sudo, e.g. sudo kubectl-trace_exec --local';
  if (findOnPath('bpftrace', path) === null) {
    return '--local needs bpftrace, and it is not on PATH: install it (Debian/Ubuntu: apt-get install bpftrace; in a checkout: npm run setup-host)';
  }
  return null;
}

/** The first executable `name` in the directories of `path` (a PATH value), or null. */
export function findOnPath(name: string, path: string | undefined): string | null {
  for (const dir of (path ?? '').split(delimiter)) {
    if (dir === '') continue;
    try {
      accessSync(join(dir, name), constants.X_OK);
      return join(dir, name);
    } catch {
      // not here
    }
  }
  return null;
}
