/**
 * The exec storm: N × (vfork + execve /bin/true), one after the other, as fast as one CPU allows.
 * A small C program compiled at run time with the system `cc`; without `cc`, a Node loop of
 * spawnSync('/bin/true') stands in (several times slower per exec, and said so in the results).
 * It prints nothing (the C storm can write its own CPU time, children included, to a file). It runs inside a kubelet-shaped cgroup, so its execs belong to a pod.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestCgroup } from '../support/kernel.js';

const STORM_C = String.raw`
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>

static long us(struct timeval t) { return t.tv_sec * 1000000L + t.tv_usec; }

/*
 * trace-exec benchmark: argv[1] times vfork + execve("/bin/true"), waiting for each. Prints nothing;
 * with argv[2], writes its CPU time there at the end: "user_us sys_us" of itself plus its children.
 */
int main(int argc, char **argv) {
  long n = argc > 1 ? atol(argv[1]) : 20000;
  char *const args[] = { "true", NULL };
  char *const env[] = { NULL };
  for (long i = 0; i < n; i++) {
    pid_t p = vfork();
    if (p == 0) { execve("/bin/true", args, env); _exit(127); }
    if (p < 0) return 2;
    int st;
    if (waitpid(p, &st, 0) < 0) return 3;
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) return 4;
  }
  if (argc > 2) {
    struct rusage self, kids;
    getrusage(RUSAGE_SELF, &self);
    getrusage(RUSAGE_CHILDREN, &kids);
    FILE *f = fopen(argv[2], "w");
    if (!f) return 5;
    fprintf(f, "%ld %ld\n", us(self.ru_utime) + us(kids.ru_utime), us(self.ru_stime) + us(kids.ru_stime));
    fclose(f);
  }
  return 0;
}
`;

/** The same storm without a compiler: execs /bin/true through libuv's fork/exec, much slower. */
const STORM_JS = `
const { spawnSync } = require('node:child_process');
const n = Number(process.argv[1]);
for (let i = 0; i < n; i++) {
  const r = spawnSync('/bin/true', [], { stdio: 'ignore', env: {} });
  if (r.status !== 0) process.exit(4);
}
`;

export interface Storm {
  /** 'cc': the compiled C storm; 'node': the spawnSync fallback. */
  kind: 'cc' | 'node';
  /** What the compiler said it is (first line of `cc --version`), when cc was used. */
  compiler: string | null;
  /** Why the fallback was used, when it was. */
  fallbackReason: string | null;
  /** argv that runs n execs (and writes its CPU time to cpuFile, when the storm can). */
  argv(n: number, cpuFile?: string): string[];
  dispose(): void;
}

/** Writes and compiles the C storm in a temp dir; falls back to Node when cc is missing or fails. */
export function prepareStorm(forceFallback = false): Storm {
  const dir = mkdtempSync(join(tmpdir(), 'trace-exec-bench-storm-'));
  const dispose = (): void => rmSync(dir, { recursive: true, force: true });
  let fallbackReason: string | null = forceFallback ? 'BENCH_NO_CC=1' : null;
  if (!forceFallback) {
    try {
      const src = join(dir, 'storm.c');
      const bin = join(dir, 'storm');
      writeFileSync(src, STORM_C);
      execFileSync('cc', ['-O2', '-o', bin, src], { stdio: ['ignore', 'ignore', 'pipe'] });
      const compiler = execFileSync('cc', ['--version'], { encoding: 'utf8' }).split('\n')[0]!.trim();
      return { kind: 'cc', compiler, fallbackReason: null, argv: (n, cpuFile) => [bin, String(n), ...(cpuFile ? [cpuFile] : [])], dispose };
    } catch (e) {
      fallbackReason = `cc failed or is missing: ${(e as Error).message.split('\n')[0]}`;
    }
  }
  return { kind: 'node', compiler: null, fallbackReason, argv: (n) => [process.execPath, '-e', STORM_JS, String(n)], dispose };
}

/** One storm's timing, as the benchmark reports it. */
export interface StormRun {
  label: string;
  ms: number;
  perExecUs: number;
  /** How many of the machine's CPUs were busy on average while the storm ran (everything, not only us). */
  busyCpus: number;
  /** The storm's own CPU time per exec (user + sys, its children included), when the storm reports it. */
  cpuPerExecUs: number | null;
}

export interface RunningStorm {
  pid: number;
  /** Resolves with the exit code and the wall time from the go signal to the exit, in ms. */
  done: Promise<{ code: number; ms: number }>;
  kill(): void;
}

/**
 * Starts argv inside cg (like test/support/kernel.ts execIn: `sh` waits on stdin, is moved into the
 * cgroup, then execs argv), keeping a handle so that a failed run can kill it.
 */
export async function startIn(cg: TestCgroup | null, argv: string[]): Promise<RunningStorm> {
  const child: ChildProcess = spawn('sh', ['-c', 'read _ && exec "$@"', 'sh', ...argv], { stdio: ['pipe', 'ignore', 'ignore'] });
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', () => resolve());
    child.once('error', reject);
  });
  cg?.moveIn(child.pid!);
  const exited = new Promise<number>((resolve) => child.once('exit', (code, sig) => resolve(code ?? (sig ? 128 : -1))));
  const t0 = performance.now();
  child.stdin!.end('go\n');
  return {
    pid: child.pid!,
    done: exited.then((code) => ({ code, ms: performance.now() - t0 })),
    kill: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}
