/**
 * --local: the node side runs on this machine, as child processes. Short commands go through execa;
 * bpftrace's stream uses node:child_process directly: bpftrace flushes every record, and at storm
 * rates the per-chunk cost of execa's stream layers (about 30 µs a chunk, measured by `npm run bench`)
 * was most of the client's CPU.
 */
import { spawn } from 'node:child_process';
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
