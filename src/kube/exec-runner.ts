/**
 * Runs node-side commands in the debug pod through the exec API (WebSocket, channel protocol).
 * Frames are arbitrary chunks (src/events/lines.ts reassembles lines). The socket closing does not
 * stop the remote process, so stop() signals bpftrace through a second exec, by the pid it wrote.
 */
import { PassThrough, Readable, Writable } from 'node:stream';
import { Exec, type KubeConfig, type V1Status } from '@kubernetes/client-node';
import { StderrTail, type NodeRunner, type TracerEnd, type TracerHandle, type TracerSink } from '../node/runner.js';
import { STOP_SCRIPT, tracerArgv, tracerStdin, type TracerCommand } from '../node/tracer-command.js';
import type { LeaseTiming } from '../node/lease.js';
import { describeApiError } from './errors.js';
import { retryDelayMs } from './retry-after.js';

/** The HTTP status of a refused WebSocket upgrade (the ws library's "Unexpected server response: 429"), or null. */
export function upgradeStatus(e: unknown): number | null {
  const m = /Unexpected server response: (\d{3})/.exec((e as Error)?.message ?? '');
  return m ? Number(m[1]) : null;
}

export interface PodRef {
  namespace: string;
  name: string;
  container: string;
}

function sinkStream(write: (chunk: Buffer) => void): Writable {
  return new Writable({
    write(chunk: Buffer, _enc, cb) {
      write(chunk);
      cb();
    },
  });
}

/** The exit code in a failed exec Status (reason NonZeroExitCode, code in details.causes). */
export function exitCodeOf(status: V1Status): number | null {
  if (status.status === 'Success') return 0;
  const cause = status.details?.causes?.find((c) => c.reason === 'ExitCode');
  const code = cause?.message !== undefined ? Number(cause.message) : NaN;
  return Number.isInteger(code) ? code : null;
}

/** How an exec ended: its exit code, or why there is none; lost: no status came, the command may still run. */
interface ExecExit {
  code: number | null;
  reason: string | null;
  lost: boolean;
}

/**
 * The command that writes the program into the debug container from the exec's stdin: `head -c N`
 * ends by itself after N bytes, so no stdin close is needed, which v4 exec cannot send. The shell
 * stays until head is done (`; exit $?` keeps it from exec'ing head): containerd closes an exec's
 * stdin as soon as no process of the exec holds its stdout, and head's stdout is the file, so a
 * program arriving a moment after the exec started was cut short (test/runtime/stdin.test.ts).
 */
export function stageArgv(path: string, bytes: number): string[] {
  return ['sh', '-c', 'umask 077 && head -c "$2" > "$1"; exit $?', 'trace-exec', path, String(bytes)];
}

export class ExecRunner implements NodeRunner {
  private readonly exec: Exec;
  private attachments = 0;

  constructor(
    kc: KubeConfig,
    private readonly pod: PodRef,
    /**
     * Files of this run in the container: bpftrace's pid (one file per attachment, `pid.N`), the
     * staged program, the lease the heartbeats renew (src/node/lease.ts).
     */
    private readonly files: { pid: string; program: string; lease: string },
    private readonly server: string,
    private readonly lease: LeaseTiming,
  ) {
    this.exec = new Exec(kc);
  }

  async stage(program: string): Promise<string> {
    const bytes = Buffer.from(program, 'utf8');
    await this.run(stageArgv(this.files.program, bytes.length), bytes);
    return this.files.program;
  }

  async run(argv: readonly string[], stdin?: Buffer): Promise<string> {
    const out: Buffer[] = [];
    const err = new StderrTail();
    const { code, reason } = await this.open(
      argv,
      (c) => out.push(c),
      (c) => err.push(c),
      stdin,
    ).then((h) => h.done);
    if (code !== 0) {
      throw new Error(
        `${argv[0]} in pod ${this.pod.namespace}/${this.pod.name} failed (${code !== null ? `exit ${code}` : reason}): ${err}`,
      );
    }
    return Buffer.concat(out).toString('utf8');
  }

  async start(tracer: TracerCommand, sink: TracerSink): Promise<TracerHandle> {
    const tail = new StderrTail();
    const pidFile = `${this.files.pid}.${++this.attachments}`;
    const files = { pid: pidFile, lease: this.files.lease };
    // The dead-man switch: stdin stays open and carries a heartbeat; its end or silence stops bpftrace.
    const heartbeat = new PassThrough();
    const h = await this.open(
      tracerArgv(tracer, files, this.lease.limitS),
      (c) => sink.stdout(c),
      (c) => tail.push(c),
      heartbeat,
    );
    heartbeat.write(`${tracerStdin(tracer)}\n`);
    const beat = setInterval(() => heartbeat.write('\n'), this.lease.heartbeatMs);
    const done = h.done.then((x): TracerEnd => {
      clearInterval(beat);
      return { ...x, stderr: tail.toString() };
    });
    let settled = false;
    void done.then(() => (settled = true));
    let stopped: Promise<void> | null = null;
    return {
      done,
      stop: async () => {
        if (stopped) return stopped;
        stopped = (async () => {
          if (!settled) {
            // SIGINT (repeated while it runs on) lets bpftrace detach its probes and flush; the status then ends the stream.
            await this.run(['sh', '-c', STOP_SCRIPT, 'trace-exec', pidFile]).catch(() => {});
            const timer = setTimeout(() => h.close(), 5000);
            await done;
            clearTimeout(timer);
          }
          // The pod's filesystem goes with the pod; still, leave nothing of this run behind in it.
          await this.run(['rm', '-f', pidFile, this.files.program, this.files.lease]).catch(() => {});
        })();
        return stopped;
      },
    };
  }

  private async open(
    argv: readonly string[],
    stdout: (c: Buffer) => void,
    stderr: (c: Buffer) => void,
    stdin?: Buffer | Readable,
  ): Promise<{ done: Promise<ExecExit>; close: () => void }> {
    let resolveDone!: (v: ExecExit) => void;
    const done = new Promise<ExecExit>((r) => (resolveDone = r));
    let status: V1Status | null = null;
    let ws;
    for (let attempt = 0; ; attempt++) {
      try {
        ws = await this.exec.exec(
          this.pod.namespace,
          this.pod.name,
          this.pod.container,
          [...argv],
          sinkStream(stdout),
          sinkStream(stderr),
          stdin instanceof Readable ? stdin : stdin ? Readable.from([stdin]) : null,
          false,
          (s) => {
            status = s;
          },
        );
        break;
      } catch (e) {
        // An upgrade turned away (429: API Priority and Fairness) never reached the node: open it again,
        // as the API clients do (src/kube/retry-after.ts). The WebSocket library keeps no Retry-After.
        const delay = retryDelayMs(upgradeStatus(e) ?? 0, null, attempt, Math.random);
        if (delay === null) throw describeApiError(e, `starting ${argv[0]} in pod ${this.pod.namespace}/${this.pod.name}`, this.server);
        await new Promise((r) => setTimeout(r, delay));
      }
    }
    ws.on('close', (code: number, why: Buffer) => {
      const s = status as V1Status | null;
      if (s) resolveDone({ code: exitCodeOf(s), reason: s.message ?? null, lost: false });
      else
        resolveDone({
          code: null,
          reason: `the exec stream closed without a status (WebSocket code ${code}${why.length ? `: ${why}` : ''})`,
          lost: true,
        });
    });
    ws.on('error', (e: Error) => resolveDone({ code: null, reason: `the exec stream failed: ${e.message}`, lost: true }));
    return { done, close: () => ws.close() };
  }
}
