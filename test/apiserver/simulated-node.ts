/**
 * A node whose debug pods' execs are answered in this process instead of by real processes, through
 * the same exec WebSocket (stdout on channel 1, a Status on channel 3, then the close). The fan-in
 * benchmark puts a hundred of them behind one API stand-in, each replaying a recorded bpftrace stream
 * at a set rate, into one client.
 *
 * What an exec is gets recognised loosely from its argv, so that the node-side scripts of
 * src/node/ and src/kube/exec-runner.ts may change without breaking the simulation:
 *  - the node probe (a script that prints `== bpftrace`): the probe output given, captured from a
 *    real machine;
 *  - a tracer (any other argv that mentions bpftrace): the replay, until it is stopped;
 *  - a stop (STOP_SCRIPT, or `kill` in the argv): the pod's tracers flush and end with Success, then the stop does;
 *    a tracer whose stdin or connection closes ends so too (its client is gone);
 *  - anything else (staging the program, rm): stdin read to its end (or to the byte count that is its
 *    last argument, as `head -c N` does), then Success with no output.
 * A tracer sends as trace-exec's node-side batcher does: one stdout frame per flush, every 100 ms or
 * at 64 KiB, whichever comes first, whole execs only. When the client falls behind (more than
 * backlogLimit bytes queued towards it) the node drops the execs it cannot send, as bpftrace does when
 * its perf buffers are full, and says so with a lost_events record once it can send again.
 */
import { REPLAY_CLOCK_NS, type TraceReplay } from './trace-replay.js';
import { STOP_SCRIPT } from '../../src/node/tracer-command.js';

/** The exec server's side of a simulated exec. */
export interface SimulatedExecIo {
  /** Sends a chunk on stdout (nothing when the client is gone). The chunk is copied: reuse it at will. */
  stdout(chunk: Buffer): void;
  /** Bytes queued towards the client that it has not taken yet. */
  backlog(): number;
  connected(): boolean;
  /** Ends the exec: its Status with this exit code, then the close. Later calls do nothing. */
  exit(code: number): void;
}

/** What a simulated exec does with its stdin. */
export interface SimulatedExec {
  stdin?(chunk: Buffer): void;
  stdinEnd?(): void;
}

/** A node of the stand-in whose execs are simulated (see AddNodeOptions.simulated). */
export interface NodeSimulation {
  exec(req: { podUid: string; command: readonly string[]; stdin: boolean }, io: SimulatedExecIo): SimulatedExec;
  /** The pod was deleted: its execs die with it. */
  podGone(podUid: string): void;
  /** The stand-in closes: every exec ends. */
  shutdown(): void;
}

export interface SimulatedNodeOptions {
  /** What the node probe prints: capture it once from a real machine (src/node/probe.ts PROBE_COMMAND). */
  probeOutput: string;
  replay: TraceReplay;
  /** Execs per second each tracer sends. */
  eventsPerSec: number;
  /**
   * Text to replace in the replay's header: a recorded pod uid and container id appear there (in the
   * cgroup names), and each node's copy of the pod needs its own.
   */
  rename?: Record<string, string>;
  /** Bytes queued towards a lagging client beyond which the node drops execs. Default 1 MiB. */
  backlogLimit?: number;
  /** The node-side batcher's flush period and size. Defaults 100 ms and 64 KiB. */
  flushMs?: number;
  flushBytes?: number;
  /**
   * The replay waits for this to settle; the header goes at once, so that the client sees the tracer
   * started. A benchmark can so start every node's replay together, once all of them trace.
   */
  holdUntil?: Promise<unknown>;
}

/** One tracer exec: when it ran and what it sent. Times are performance.now() of this process. */
export interface TracerRun {
  readonly podUid: string;
  readonly startedAt: number;
  /** When the replay began (holdUntil settled); exec k is due k / rate seconds after it. */
  replayFrom: number | null;
  /** When a stop came for it. */
  stoppedAt: number | null;
  /** When it sent its last frame and its Status. */
  endedAt: number | null;
  /** Execs sent to the client (each exactly once, with a key of its own). */
  execs: number;
  /** Execs dropped because the client was behind. */
  dropped: number;
  frames: number;
  bytes: number;
  /** Time this process spent rendering the frames, in ms (sending them, the exec server's part, aside). */
  renderMs: number;
}

const lastInteger = (argv: readonly string[]): number | null => {
  const last = argv[argv.length - 1];
  return last !== undefined && /^\d+$/.test(last) ? Number(last) : null;
};

/** Where every tracer renders its frames, one at a time (single-threaded; stdout() copies). */
let scratch = Buffer.alloc(0);

class Tracer {
  readonly run: TracerRun;
  private timer: NodeJS.Timeout | null = null;
  private readonly rate: number;
  private next = 0;
  private lostRecords = 0;

  constructor(
    podUid: string,
    private readonly opts: Required<Omit<SimulatedNodeOptions, 'rename' | 'holdUntil'>>,
    holdUntil: Promise<unknown> | undefined,
    header: string,
    private readonly io: SimulatedExecIo,
  ) {
    this.rate = opts.eventsPerSec;
    this.run = {
      podUid,
      startedAt: performance.now(),
      replayFrom: null,
      stoppedAt: null,
      endedAt: null,
      execs: 0,
      dropped: 0,
      frames: 0,
      bytes: 0,
      renderMs: 0,
    };
    io.stdout(Buffer.from(header));
    if (holdUntil) void holdUntil.then(() => this.replay());
    else this.replay();
  }

  private replay(): void {
    if (this.run.endedAt !== null) return;
    this.run.replayFrom = performance.now();
    // The batcher flushes at flushMs, or sooner when flushBytes fill first.
    const fillMs = (this.opts.flushBytes / Math.max(1, this.rate * this.opts.replay.bytesPerExec)) * 1000;
    this.timer = setInterval(() => this.flush(), Math.max(1, Math.min(this.opts.flushMs, fillMs)));
  }

  /** Sends every exec that is due by now (exec k is due k / rate seconds after the start). */
  private flush(): void {
    if (this.run.replayFrom === null) return;
    let t = performance.now();
    const due = Math.floor(((t - this.run.replayFrom) * this.rate) / 1000);
    if (due <= this.next) return;
    const { replay, flushBytes } = this.opts;
    if (!this.io.connected()) {
      this.next = due; // nobody reads the stream any more: what bpftrace writes goes nowhere
      return;
    }
    if (this.io.backlog() > this.opts.backlogLimit) {
      for (let k = this.next; k < due; k++) this.lostRecords += replay.records[k % replay.execs]!;
      this.run.dropped += due - this.next;
      this.next = due;
      return;
    }
    // One buffer for every frame of every tracer: stdout() copies the frame before it returns.
    if (scratch.length < flushBytes) scratch = Buffer.allocUnsafe(flushBytes);
    let at = 0;
    if (this.lostRecords > 0) {
      at += scratch.write(`{"type": "lost_events", "data": {"events": ${this.lostRecords}}}\n`, at, 'latin1');
      this.lostRecords = 0;
    }
    let renderMs = 0;
    for (let k = this.next; k < due; k++) {
      const size = replay.size(k);
      if (at > 0 && at + size > flushBytes) {
        renderMs += performance.now() - t;
        this.send(at);
        t = performance.now();
        at = 0;
      }
      if (size > scratch.length) scratch = Buffer.allocUnsafe(size);
      at = replay.write(k, REPLAY_CLOCK_NS + Math.round((k * 1e9) / this.rate), scratch, at);
    }
    this.run.execs += due - this.next;
    this.next = due;
    this.run.renderMs += renderMs + performance.now() - t;
    if (at > 0) this.send(at);
  }

  private send(bytes: number): void {
    this.run.frames++;
    this.run.bytes += bytes;
    this.io.stdout(scratch.subarray(0, bytes));
  }

  /** Flushes what is due and ends with `code` (0: stopped as bpftrace is by SIGINT). */
  end(code: number): void {
    if (this.run.endedAt !== null) return;
    if (code === 0) this.flush();
    if (this.timer) clearInterval(this.timer);
    this.run.endedAt = performance.now();
    this.io.exit(code);
  }
}

export class SimulatedNode implements NodeSimulation {
  /** Every tracer this node ran, oldest first. */
  readonly runs: TracerRun[] = [];
  private readonly opts: Required<Omit<SimulatedNodeOptions, 'rename' | 'holdUntil'>>;
  private readonly holdUntil: Promise<unknown> | undefined;
  private readonly header: string;
  private readonly tracers = new Map<string, Set<Tracer>>();

  constructor(opts: SimulatedNodeOptions) {
    const { rename, holdUntil, ...rest } = opts;
    this.opts = { backlogLimit: 1 << 20, flushMs: 100, flushBytes: 64 << 10, ...rest };
    this.holdUntil = holdUntil;
    let header = opts.replay.header;
    for (const [from, to] of Object.entries(rename ?? {})) header = header.replaceAll(from, to);
    this.header = header;
  }

  /** Execs sent by every tracer so far. */
  sent(): number {
    let n = 0;
    for (const r of this.runs) n += r.execs;
    return n;
  }

  exec(req: { podUid: string; command: readonly string[]; stdin: boolean }, io: SimulatedExecIo): SimulatedExec {
    const text = req.command.join(' ');
    if (text.includes('== bpftrace')) {
      io.stdout(Buffer.from(this.opts.probeOutput));
      io.exit(0);
      return {};
    }
    // Before the tracer's test: the stop script names bpftrace too (the process it looks for).
    if (req.command.includes(STOP_SCRIPT)) {
      for (const t of [...(this.tracers.get(req.podUid) ?? [])]) this.stop(req.podUid, t);
      io.exit(0);
      return {};
    }
    if (text.includes('bpftrace')) {
      const tracer = new Tracer(req.podUid, this.opts, this.holdUntil, this.header, io);
      this.runs.push(tracer.run);
      let set = this.tracers.get(req.podUid);
      if (!set) this.tracers.set(req.podUid, (set = new Set()));
      set.add(tracer);
      // A client that closes the stream, or the tracer's stdin, is gone: a node-side batcher that
      // watches its stdin stops bpftrace then, and sending on would reach no one anyway.
      return { stdinEnd: () => this.stop(req.podUid, tracer) };
    }
    if (/\bkill\b/.test(text)) {
      for (const t of [...(this.tracers.get(req.podUid) ?? [])]) this.stop(req.podUid, t);
      io.exit(0);
      return {};
    }
    if (!req.stdin) {
      io.exit(0);
      return {};
    }
    const expected = lastInteger(req.command);
    let got = 0;
    return {
      stdin: (chunk) => {
        got += chunk.length;
        if (expected !== null && got >= expected) io.exit(0);
      },
      stdinEnd: () => io.exit(0),
    };
  }

  /** Stops a tracer as SIGINT stops bpftrace: what is due is flushed, then Success. */
  private stop(podUid: string, tracer: Tracer): void {
    if (tracer.run.endedAt !== null) return;
    tracer.run.stoppedAt ??= performance.now();
    tracer.end(0);
    this.tracers.get(podUid)?.delete(tracer);
  }

  podGone(podUid: string): void {
    // Killed with the pod, as by the container runtime's SIGTERM.
    for (const t of this.tracers.get(podUid) ?? []) t.end(143);
    this.tracers.delete(podUid);
  }

  shutdown(): void {
    for (const uid of [...this.tracers.keys()]) this.podGone(uid);
  }
}
