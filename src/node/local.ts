/**
 * --local: the node side runs on this machine, as child processes. Short commands go through execa;
 * bpftrace's stream uses node:child_process directly, through the same tracer command as a debug pod
 * (src/node/tracer-command.ts), batcher included: the client reads a few large chunks a second
 * instead of one per bpftrace record.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { StderrTail, type NodeRunner, type TracerEnd, type TracerHandle, type TracerSink } from './runner.js';
import { STOP_SCRIPT, tracerArgv, tracerStdin, type TracerCommand } from './tracer-command.js';
import { leaseFromEnv, type LeaseTiming } from './lease.js';

export class LocalRunner implements NodeRunner {
  constructor(private readonly lease: LeaseTiming = leaseFromEnv()) {}

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

  async start(tracer: TracerCommand, sink: TracerSink): Promise<TracerHandle> {
    const tail = new StderrTail();
    const dir = mkdtempSync(join(tmpdir(), 'trace-exec-'));
    const pidFile = join(dir, 'bpftrace.pid.1');
    const argv = tracerArgv(tracer, { pid: pidFile, lease: null }, this.lease.limitS);
    // In a process group of its own: a Ctrl-C in the terminal reaches only this process, which stops
    // bpftrace the way every run does (src/node-trace.ts: a moment to read what its buffers hold,
    // then SIGINT) — bpftrace interrupted at once can leave the last execs unread.
    // stdin carries the heartbeat (src/node/lease.ts): if this process dies, the pipe's end stops bpftrace.
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    child.stdin.on('error', () => {}); // EPIPE once the tracer is gone
    child.stdin.write(`${tracerStdin(tracer)}\n`);
    const beat = setInterval(() => child.stdin.write('\n'), this.lease.heartbeatMs);
    child.stdout.on('data', (c: Buffer) => sink.stdout(c));
    child.stderr.on('data', (c: Buffer) => tail.push(c));
    const done = new Promise<TracerEnd>((resolve) => {
      child.once('error', (e) => resolve({ code: null, reason: e.message, stderr: tail.toString(), lost: false }));
      child.once('close', (code, signal) =>
        resolve({ code, reason: signal ? `killed by ${signal}` : null, stderr: tail.toString(), lost: false }),
      );
    }).finally(() => {
      clearInterval(beat);
      child.stdin.destroy();
      rmSync(dir, { recursive: true, force: true });
    });
    const signalTracer = (signal: NodeJS.Signals): void => {
      const pid = readPid(pidFile);
      try {
        if (pid !== null) process.kill(pid, signal);
      } catch {
        /* already gone */
      }
    };
    return {
      done,
      stop: async () => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        const timer = setTimeout(() => {
          signalTracer('SIGKILL');
          child.kill('SIGKILL');
        }, 5000);
        // The node's own stop: SIGINT, again while bpftrace runs on (STOP_SCRIPT says why).
        await this.run(['sh', '-c', STOP_SCRIPT, 'trace-exec', pidFile]).catch(() => {});
        await done;
        clearTimeout(timer);
      },
    };
  }
}

/** bpftrace's pid as the tracer script wrote it; null before it did (or after it was removed). */
function readPid(file: string): number | null {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}
