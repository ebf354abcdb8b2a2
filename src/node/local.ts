/**
 * --local: the node side runs on this machine, as child processes. Short commands go through execa;
 * bpftrace's stream uses node:child_process directly: bpftrace flushes every record, and at storm
 * rates the per-chunk cost of execa's stream layers (about 30 µs a chunk, measured by `npm run bench`)
 * was most of the client's CPU.
 */
import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { execa } from 'execa';
import { StderrTail, type NodeRunner, type TracerExit, type TracerHandle, type TracerSink } from './runner.js';

export class LocalRunner implements NodeRunner {
  async run(argv: readonly string[]): Promise<string> {
    const r = await execa(argv[0]!, argv.slice(1), { reject: false, stdin: 'ignore' });
    if (r.exitCode !== 0) {
      throw new Error(`${argv[0]} failed (exit ${r.exitCode ?? r.signal}): ${String(r.stderr).trim()}`);
    }
    return String(r.stdout);
  }

  async stage(): Promise<null> {
    return null; // a local argv holds 128 kB per argument
  }

  async start(argv: readonly string[], sink: TracerSink): Promise<TracerHandle> {
    const tail = new StderrTail();
    // bpftrace stays in our process group: a Ctrl-C in the terminal reaches it too, and it detaches
    // its probes on SIGINT.
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (c: Buffer) => sink.stdout(c));
    child.stderr.on('data', (c: Buffer) => tail.push(c));
    const done = new Promise<TracerExit>((resolve) => {
      child.once('error', (e) => resolve({ code: null, reason: e.message, stderr: tail.toString() }));
      child.once('close', (code, signal) => resolve({ code, reason: signal ? `killed by ${signal}` : null, stderr: tail.toString() }));
    });
    return {
      done,
      stop: async () => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        child.kill('SIGINT');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await done;
        clearTimeout(timer);
      },
    };
  }
}

/**
 * Why --local cannot trace on this machine, in one line that says what to do, or null when it can:
 * checked before anything is printed, so that a user without root sees this line, not a table
 * header followed by bpftrace's own error.
 */
export function whyLocalCannotTrace(uid: number | null, path: string | undefined): string | null {
  if (uid !== null && uid !== 0) return '--local needs root (bpftrace loads BPF programs): run it with sudo, e.g. sudo kubectl-trace_exec --local';
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
