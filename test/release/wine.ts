/**
 * Wine for the Windows release test: Debian's wine64 (and `wine`, which brings the `wine` command)
 * installed with apt-get when missing, a fresh prefix that reports Windows 10, and a way to run a
 * .exe in it that Node under Wine 8 accepts: stdin from /dev/null, stdout and stderr into files (a
 * pipe gives `open EBADF`).
 */
import { tempDir } from '../support/tmp.js';
import { aptInstall, canApt } from '../support/apt.js';
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Whether wine can run here (installing it as root with apt-get when missing); skip without CI when it cannot. */
export function wineDescribe(): { skip: boolean; reason: string | null; installMs: number | null } {
  if (hasWine()) return { skip: false, reason: null, installMs: null };
  let reason: string;
  let installMs: number | null = null;
  if (!canApt()) {
    reason = 'wine is not installed (and installing wine64 needs root and apt-get)';
  } else {
    const started = Date.now();
    // --no-install-recommends (aptInstall): wine64 recommends wine32 (i386) and fonts; a console program needs neither.
    aptInstall(['wine64', 'wine'], 'windows release test');
    installMs = Date.now() - started;
    if (hasWine()) return { skip: false, reason: null, installMs };
    reason = 'wine is not installed and apt-get install wine64 wine did not bring it';
  }
  return { skip: process.env.CI !== 'true', reason, installMs };
}

function hasWine(): boolean {
  return spawnSync('wine', ['--version'], { stdio: 'ignore' }).status === 0;
}

export interface WineRun {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

export interface Wine {
  prefix: string;
  /**
   * Runs a Windows program; `env` adds to a small environment (Wine passes it on to the program).
   * `watch` sees its output so far every 100 ms, and the process: SIGINT to it is Ctrl-C (Wine calls
   * the program's console control handlers).
   */
  run(exe: string, args: string[], opts?: { env?: Record<string, string>; timeoutMs?: number; watch?: (out: { stdout: string; stderr: string }, child: ChildProcess) => void }): Promise<WineRun>;
  /** Stops this prefix's wineserver and the programs in it. */
  close(): void;
}

/** A fresh prefix in a temporary directory, set to Windows 10 (node.exe refuses older versions). */
export function createPrefix(): Wine {
  const prefix = tempDir('trace-exec-wine-');
  const base = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: prefix, WINEPREFIX: prefix, WINEDEBUG: '-all', WINEDLLOVERRIDES: 'mscoree,mshtml=' };
  // mscoree/mshtml off: Wine would otherwise offer to download Mono and Gecko while making the prefix.
  execFileSync('wine', ['winecfg', '/v', 'win10'], { env: base, stdio: 'ignore', timeout: 120_000 });
  const logs = tempDir('trace-exec-wine-out-');
  let n = 0;
  return {
    prefix,
    run: (exe, args, opts = {}) =>
      new Promise((resolve, reject) => {
        const id = n++;
        const outFile = join(logs, `${id}.out`);
        const errFile = join(logs, `${id}.err`);
        const out = openSync(outFile, 'w');
        const err = openSync(errFile, 'w');
        const started = Date.now();
        // NODE_SKIP_PLATFORM_CHECK: Wine reports a Windows build node's check does not know.
        const child = spawn('wine', [exe, ...args], { env: { ...base, NODE_SKIP_PLATFORM_CHECK: '1', ...opts.env }, stdio: ['ignore', out, err] });
        closeSync(out);
        closeSync(err);
        const poll = opts.watch ? setInterval(() => opts.watch!({ stdout: readFileSync(outFile, 'utf8'), stderr: readFileSync(errFile, 'utf8') }, child), 100) : null;
        const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
        child.on('error', reject);
        child.on('close', (code) => {
          clearTimeout(timer);
          if (poll) clearInterval(poll);
          resolve({ code, stdout: readFileSync(outFile, 'utf8'), stderr: readFileSync(errFile, 'utf8'), ms: Date.now() - started });
        });
      }),
    close: () => {
      spawnSync('wineserver', ['-k'], { env: base, stdio: 'ignore', timeout: 30_000 });
    },
  };
}

/** The Windows path of a file on this machine: Wine maps drive Z: to /. */
export const windowsPath = (unix: string): string => `Z:${unix.replaceAll('/', '\\')}`;
