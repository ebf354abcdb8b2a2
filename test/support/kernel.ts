/**
 * Real-kernel test support: can this machine trace, and kubelet-shaped cgroups to run processes in.
 * On a machine without root or bpftrace the real-kernel tests skip — except under CI=true, where
 * they run and fail, so a CI run can never pass without having traced for real.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { randomBytes, randomUUID } from 'node:crypto';
import { join } from 'node:path';

export function traceUnavailable(): string | null {
  if (process.getuid?.() !== 0) return 'not root';
  try {
    execFileSync('bpftrace', ['--version'], { stdio: 'ignore' });
  } catch {
    return 'bpftrace is not installed (run: npm run setup-host)';
  }
  if (!existsSync('/sys/kernel/tracing/events') && !existsSync('/sys/kernel/debug/tracing/events')) {
    return 'tracefs is not mounted (run: npm run setup-host)';
  }
  return null;
}

/** describe for real-kernel tests: skipped without the means to trace, never under CI=true. */
export function kernelDescribe(): { skip: boolean; reason: string | null } {
  const reason = traceUnavailable();
  if (reason && process.env.CI === 'true') return { skip: false, reason }; // run, and fail loudly
  return { skip: reason !== null, reason };
}

/** Where this machine mounts the hierarchies the tests place processes in. */
export function cgroupRoots(): { v1: string; v2: string } {
  const mounts = readFileSync('/proc/self/mounts', 'utf8')
    .split('\n')
    .map((l) => l.split(' '));
  const v2 = mounts.find((m) => m[2] === 'cgroup2')?.[1];
  const v1 = mounts.find((m) => m[2] === 'cgroup' && (m[3] ?? '').split(',').includes('memory'))?.[1];
  if (!v1 || !v2) throw new Error(`these tests need a hybrid host (v1 memory + cgroup2); mounts: v1=${v1} v2=${v2}`);
  return { v1, v2 };
}

export const hex64 = (): string => randomBytes(32).toString('hex');
export const hex32 = (): string => randomBytes(16).toString('hex');
export const uuid = (): string => randomUUID();

/** A cgroup path created in some hierarchies; remove() deletes exactly the directories it made. */
/**
 * Directories the tests made, with how many TestCgroups use each: test cgroups share parents
 * (kubepods.slice…), and a parent is removed only when the last one using it is removed.
 */
const users = new Map<string, number>();

export class TestCgroup {
  private readonly made: string[] = [];
  readonly dirs: string[];

  constructor(
    readonly path: string,
    hierarchies: ('v1' | 'v2')[],
  ) {
    const roots = cgroupRoots();
    this.dirs = hierarchies.map((h) => join(roots[h], path));
    for (const dir of this.dirs) {
      const parts = path.split('/').filter(Boolean);
      let cur = roots[dir.startsWith(roots.v1 + '/') ? 'v1' : 'v2'];
      for (const p of parts) {
        cur = join(cur, p);
        if (!existsSync(cur)) {
          mkdirSync(cur);
          users.set(cur, 0);
        }
        const n = users.get(cur);
        if (n !== undefined) {
          users.set(cur, n + 1);
          this.made.push(cur);
        }
      }
    }
  }

  moveIn(pid: number): void {
    for (const dir of this.dirs) writeFileSync(join(dir, 'cgroup.procs'), String(pid));
  }

  remove(): void {
    const errors: string[] = [];
    for (const dir of [...this.made].reverse()) {
      const n = (users.get(dir) ?? 1) - 1;
      if (n > 0) {
        users.set(dir, n); // another test cgroup still sits below it
        continue;
      }
      users.delete(dir);
      for (let i = 0; ; i++) {
        try {
          rmdirSync(dir);
          break;
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code === 'ENOENT') break;
          if (i >= 50) {
            errors.push(`could not remove test cgroup ${dir}: ${(e as Error).message}`);
            break;
          }
          // A process that just exited may still be counted for a moment.
          execFileSync('sleep', ['0.05']);
        }
      }
    }
    this.made.length = 0;
    if (errors.length > 0) throw new Error(errors.join('\n'));
  }
}

/**
 * Starts `sh` that waits for a line on stdin, then execs argv: the test moves it into a cgroup (or
 * one per hierarchy) in between, so the exec happens inside that cgroup. Resolves when the exec'd program has exited.
 */
export async function execIn(cg: TestCgroup | readonly TestCgroup[] | null, argv: string[]): Promise<number> {
  const child: ChildProcess = spawn('sh', ['-c', 'read _ && exec "$@"', 'sh', ...argv], { stdio: ['pipe', 'ignore', 'ignore'] });
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', () => resolve());
    child.once('error', reject);
  });
  // Several cgroups: one per hierarchy, for a process whose v1 and v2 paths differ.
  for (const c of cg === null ? [] : Array.isArray(cg) ? cg : [cg]) c.moveIn(child.pid!);
  const exited = new Promise<number>((resolve) => child.once('exit', (code) => resolve(code ?? -1)));
  child.stdin!.end('go\n');
  return exited;
}

/** Removes test cgroups newest first; one that cannot be removed does not keep the others. */
export function removeAll(cgroups: TestCgroup[]): void {
  const errors: string[] = [];
  for (const cg of [...cgroups].reverse()) {
    try {
      cg.remove();
    } catch (e) {
      errors.push((e as Error).message);
    }
  }
  if (errors.length > 0) throw new Error(errors.join('\n'));
}
