/**
 * Where the node-side commands run: locally (--local) or in the debug pod through the exec API
 * (src/kube/exec-runner.ts). Commands are always argv arrays; nothing goes through a shell except
 * the fixed scripts in bpf/ (src/node/tracer-command.ts).
 */
import type { TracerCommand } from './tracer-command.js';

/** How the tracer (bpftrace, through the node-side command) ended. */
export interface TracerEnd {
  /** bpftrace's exit code; null when it was killed or the stream ended without a status. */
  code: number | null;
  /** Why it ended when no code says it (signal, stream dropped). */
  reason: string | null;
  /** The tail of bpftrace's stderr, with known harmless warnings removed. */
  stderr: string;
  /**
   * The stream ended without the command's exit status (WebSocket dropped, API server gone): the
   * tracer may still run on the node, and a new attachment can take over (src/node-trace.ts).
   */
  lost: boolean;
}

export interface TracerSink {
  stdout(chunk: Uint8Array): void;
}

export interface TracerHandle {
  readonly done: Promise<TracerEnd>;
  /** Stops bpftrace for real (a closed stream alone does not stop a remote process). */
  stop(): Promise<void>;
}

export interface NodeRunner {
  /** Runs a short command to completion and returns its stdout; rejects with its stderr on failure. */
  run(argv: readonly string[]): Promise<string>;
  /**
   * Puts the program where node-side commands can read it and returns that path, or null when it
   * can go on the command line. (An exec request carries its command in the URL, which API servers
   * and proxies limit to a few kilobytes: a 15 kB program has to travel another way.)
   */
  stage(program: string): Promise<string | null>;
  /** Starts bpftrace (src/node/tracer-command.ts: tracefs, pid file, batching) streaming into sink. */
  start(tracer: TracerCommand, sink: TracerSink): Promise<TracerHandle>;
}

/** bpftrace stderr lines that say nothing to a user of this tool. */
const HARMLESS = [/couldn't set RLIMIT_MEMLOCK/, /^\s*$/];

/** Keeps the last `max` bytes of stderr text, dropping known-harmless lines. */
export class StderrTail {
  private text = '';
  constructor(private readonly max = 8192) {}
  push(chunk: Uint8Array | string): void {
    this.text = (this.text + (typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'))).slice(-this.max);
  }
  toString(): string {
    return this.text
      .split('\n')
      .filter((l) => !HARMLESS.some((re) => re.test(l)))
      .join('\n')
      .trim();
  }
}
