/**
 * Release test support: the release build run once (only what the tests need), archives unpacked,
 * a real kubectl, and PATHs without Node on them.
 */
import { tempDir } from '../support/tmp.js';
import { aptInstall, canApt } from '../support/apt.js';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const BASE_URL = 'https://downloads.example.test/trace-exec/v0';

export interface Release {
  out: string;
  /** What the build said on stderr (steps, sizes, timings). */
  log: string;
  ms: number;
}

/**
 * Runs .ci/release/build.ts for `targets` into a temporary directory. Node binaries are kept in
 * release/cache between runs (npm's cache makes the first pack quick too).
 */
export async function buildRelease(targets: string[]): Promise<Release> {
  const out = tempDir('trace-exec-release-');
  const started = Date.now();
  const r = await run(process.execPath, [join(ROOT, '.ci/release/build.ts'), '--out', out, '--targets', targets.join(','), '--cache', join(ROOT, 'release/cache')], {
    env: { ...process.env, RELEASE_BASE_URL: BASE_URL },
    timeoutMs: 240_000,
  });
  if (r.code !== 0) throw new Error(`release build failed (${r.code}):\n${r.stderr}`);
  return { out, log: r.stderr, ms: Date.now() - started };
}

export function extract(archive: string): string {
  const dir = tempDir('trace-exec-archive-');
  execFileSync('tar', ['-xzf', archive, '-C', dir]);
  return dir;
}

/** A directory with only the tools the launchers and tests use (sh, bash, readlink, dirname): a PATH without node. */
export function toolsWithoutNode(): string {
  const dir = tempDir('trace-exec-tools-');
  for (const tool of ['sh', 'bash', 'readlink', 'dirname', 'cat']) {
    const found = ['/usr/bin', '/bin'].map((d) => join(d, tool)).find((p) => existsSync(p));
    if (found) symlinkSync(found, join(dir, tool));
  }
  return dir;
}

export interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command without blocking this process (the API stand-in answers from it). */
export function run(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number; onStderr?: (all: string) => void } = {}): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: opts.env ?? process.env, cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
      opts.onStderr?.(stderr);
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/**
 * A real kubectl: $TRACE_EXEC_TEST_KUBECTL, else kubectl on PATH or in /usr/bin, else Debian's
 * kubernetes-client installed with apt-get (as root). Without one the kubectl tests skip, except
 * under CI=true, where they run and fail with the reason.
 */
export function kubectlDescribe(): { path: string | null; skip: boolean; reason: string | null } {
  const found = findKubectl();
  if (found) return { path: found, skip: false, reason: null };
  let reason: string;
  if (!canApt()) {
    reason = 'kubectl is not installed (and installing kubernetes-client needs root and apt-get)';
  } else {
    aptInstall(['kubernetes-client'], 'release tests');
    const installed = findKubectl();
    if (installed) return { path: installed, skip: false, reason: null };
    reason = 'kubectl is not installed and apt-get install kubernetes-client did not bring it';
  }
  return { path: null, skip: process.env.CI !== 'true', reason };
}

function findKubectl(): string | null {
  const env = process.env.TRACE_EXEC_TEST_KUBECTL;
  if (env) return env;
  for (const dir of (process.env.PATH ?? '').split(':').concat('/usr/bin', '/usr/local/bin')) {
    const p = join(dir || '.', 'kubectl');
    if (dir && existsSync(p)) return p;
  }
  return null;
}

/** kubectl's client minor version (1.20 → 20), or null when it cannot tell. */
export async function kubectlMinor(kubectl: string): Promise<number | null> {
  const r = await run(kubectl, ['version', '--client', '-o', 'json']);
  try {
    return Number((JSON.parse(r.stdout) as { clientVersion: { minor: string } }).clientVersion.minor.replace(/\D.*$/, ''));
  } catch {
    return null;
  }
}

/**
 * LLVM's Mach-O linker and assembler (ld64.lld signs what it links ad hoc: an implementation of the
 * signature independent of ours): on PATH or in /usr/lib/llvm-N/bin, else Debian's lld and llvm
 * installed with apt-get (as root). Without them the comparison skips, except under CI=true.
 */
export function llvmDescribe(): { ld64: string | null; mc: string | null; skip: boolean; reason: string | null } {
  let found = findLlvm();
  if (!found && canApt()) {
    aptInstall(['lld', 'llvm'], 'release tests');
    found = findLlvm();
  }
  if (found) return { ...found, skip: false, reason: null };
  return { ld64: null, mc: null, skip: process.env.CI !== 'true', reason: 'ld64.lld and llvm-mc are not installed (apt-get install lld llvm, as root)' };
}

function findLlvm(): { ld64: string; mc: string } | null {
  const dirs = (process.env.PATH ?? '').split(':').filter(Boolean);
  if (existsSync('/usr/lib')) for (const d of readdirSync('/usr/lib').filter((n) => /^llvm-\d+$/.test(n)).sort().reverse()) dirs.push(`/usr/lib/${d}/bin`);
  const find = (name: string): string | undefined => dirs.map((d) => join(d, name)).find((p) => existsSync(p));
  const ld64 = find('ld64.lld');
  const mc = find('llvm-mc');
  return ld64 && mc ? { ld64, mc } : null;
}
