/**
 * One node's part of a run, as three stages: preparing the node (src/trace/prepare.ts: probe,
 * render), its pipeline (src/trace/pipeline.ts: records → events → ancestry → join → the run's sink),
 * and — here — the supervisor that keeps an attachment feeding that pipeline. The node's own end
 * (bpftrace failing, the debug pod going away) is reported through `ended` so that the other nodes
 * of the run can go on.
 *
 * An exec stream lost without bpftrace's exit status (WebSocket dropped, API server gone) is not the
 * node's end: within --reconnect-timeout a new attachment — a new tracer, which stops the old one
 * first, and a new decoder — takes over, and the time between is reported as a gap
 * (src/reconnect.ts). Execs in a gap are unknown: nothing is invented, nothing comes twice.
 */
import type { Log } from './log.js';
import { UserError } from './errors.js';
import type { TracerEnd, TracerHandle } from './node/runner.js';
import { Backoff, clock, seconds } from './reconnect.js';
import { prepareNode, type PreparedNode } from './trace/prepare.js';
import { NodePipeline, type NodeSink, type StreamDecoder } from './trace/pipeline.js';
import { Ancestry } from './trace/ancestry.js';
import type { NodeParts } from './trace/source.js';

/** What the node's source gives (src/trace/source.ts). */
export type NodeTraceParts = NodeParts;

export interface NodeTraceHooks {
  log: Log;
  /** The run's sink: events, counts and gaps as they happen. */
  sink: NodeSink;
  /** --ancestry: trace forks and exits too, and give each exec its parent chain. */
  ancestry: boolean;
  /** --exits: also report how each process exec'd while tracing ended (events with `exit` set). */
  exits: boolean;
  /** The node may count execs rather than send each (src/trace/node-counts.ts); selfPid as in prepareNode. */
  counts?: { selfPid: number } | null;
  /** Said once, when bpftrace is attached on this node. */
  started(node: string): void;
  /** How long to try to re-attach after a lost stream, per loss; 0: a loss ends the node. */
  reconnectTimeoutMs: number;
}

/** One attempt to re-attach (probe of the pod, staging, the exec opening) gets at most this long. */
const ATTEMPT_LIMIT_MS = 20_000;
/** How often decoders and the join let overdue execs go. */
const TICK_MS = 100;
/**
 * How long a stopped run lets bpftrace go on reading before it is told to stop. bpftrace (0.17)
 * does not reliably read what its buffers still hold once SIGINT arrives: on a busy machine (3 busy
 * loops on 2 cores) bpftrace alone, sent SIGINT at once after an exec, left it out in 16 runs of
 * 55; with 100 or 250 ms between, in none of 44 (test/kernel/edges.test.ts). Execs after the stop
 * request may come too.
 */
export const STOP_SETTLE_MS = 100;

export class NodeTrace {
  private handle: TracerHandle | null = null;
  /** The current attachment's decoder; data of any other attachment is dropped (never twice). */
  private decoder: StreamDecoder | null = null;
  private pipeline: NodePipeline | null = null;
  private prepared: PreparedNode | null = null;
  private ticker: NodeJS.Timeout | null = null;
  private stopping = false;
  /** When the current attachment last delivered data (a gap starts there). */
  private lastDataAt = 0;
  /** When the last re-attachment took over (0: never). */
  private reattachedAt = 0;
  private reattaching: Promise<void> | null = null;
  /** Cuts a re-attachment's waits short when the run stops. */
  private wake: () => void = () => {};
  private requestStop!: () => void;
  private readonly stopRequested = new Promise<void>((r) => (this.requestStop = r));
  private endWith!: (error: UserError | null) => void;
  /** Resolves when the node's trace ended: null when stopped by the run, else why it failed. */
  readonly ended = new Promise<UserError | null>((r) => (this.endWith = r));

  constructor(
    private readonly parts: NodeTraceParts,
    private readonly hooks: NodeTraceHooks,
  ) {}

  get node(): string {
    return this.parts.node;
  }

  /** Prepares the node, starts its pipeline and the first attachment. Rejects (UserError) when it cannot. */
  async start(): Promise<void> {
    const { node, runner, index } = this.parts;
    const { log } = this.hooks;
    const prepared = await prepareNode(
      node,
      runner,
      { ancestry: this.hooks.ancestry, exits: this.hooks.exits, image: this.parts.image ?? null, counts: this.hooks.counts ?? null },
      log,
    );
    this.prepared = prepared;
    const pipeline = new NodePipeline({
      node,
      index,
      nodeFromPod: this.parts.nodeFromPod ?? false,
      prepared,
      ancestry: this.hooks.ancestry ? new Ancestry(node, runner, prepared.v1Controller, log) : null,
      sink: this.hooks.sink,
      log,
    });
    this.pipeline = pipeline;
    const first = pipeline.decoder(() => this.attached());
    this.decoder = first;
    const handle = await this.attach(first);
    this.handle = handle;
    this.ticker = setInterval(() => {
      this.decoder?.tick();
      pipeline.tick(Date.now());
    }, TICK_MS);
    this.parts.onPodsChanged?.(() => pipeline.podsChanged(Date.now()));
    this.parts.onFailure?.((msg) => void this.fail(new UserError(`${node}: ${msg}`)));
    this.follow(handle);
  }

  /**
   * An attachment's bpftrace reports its probes attached. The node's first one — of the first
   * attachment, or of a re-attachment when the first was lost before it attached — starts the
   * pipeline (--ancestry reads /proc first) and is said once; true for that one.
   */
  private attached(): boolean {
    if (this.everAttached) return false;
    this.everAttached = true;
    this.pipeline!.firstStarted(() => this.hooks.started(this.node));
    return true;
  }

  private everAttached = false;

  /** Stages the program and starts a tracer whose output goes to `decoder` while it is the current one. */
  private async attach(decoder: StreamDecoder): Promise<TracerHandle> {
    const { runner } = this.parts;
    const prepared = this.prepared!;
    const programFile = await runner.stage(prepared.program);
    this.lastDataAt = Date.now();
    return runner.start(prepared.tracer(programFile), {
      stdout: (c) => {
        if (this.decoder !== decoder) return;
        this.lastDataAt = Date.now();
        decoder.push(c);
      },
    });
  }

  /** The attachment's end: a loss is re-attached within the window; any other end is the node's. */
  private follow(handle: TracerHandle): void {
    void handle.done.then((exit) => {
      if (this.stopping || handle !== this.handle) return;
      if (exit.lost && this.hooks.reconnectTimeoutMs > 0 && this.parts.podGone) this.reattaching = this.reattach(exit);
      else void this.fail(tracerError(exit, this.node));
    });
  }

  /** Ends a decoder: its execs still waiting for records come out incomplete. */
  private retire(decoder: StreamDecoder | null): void {
    if (!decoder) return;
    if (this.decoder === decoder) this.decoder = null;
    decoder.end();
  }

  private async reattach(exit: TracerEnd): Promise<void> {
    const node = this.node;
    const podGone = this.parts.podGone!;
    const pipeline = this.pipeline!;
    const { log, reconnectTimeoutMs } = this.hooks;
    // A stream that re-attached and then went quiet was known good up to its re-attachment: a new
    // gap starts there at the earliest, so that gaps never overlap.
    const from = Math.max(this.lastDataAt, this.reattachedAt);
    this.retire(this.decoder);
    this.handle = null;
    this.hooks.sink.gapOpened(node, from);
    log.warn(
      `${node}: the exec stream was lost (${exit.reason ?? 'no status'}); re-attaching for up to ${seconds(reconnectTimeoutMs)} s (--reconnect-timeout)`,
    );
    const backoff = new Backoff(Date.now(), reconnectTimeoutMs);
    let last = exit.reason ?? 'no status';
    for (let delay = backoff.next(Date.now()); delay !== null; delay = backoff.next(Date.now())) {
      await this.pause(delay);
      if (this.stopping) return;
      let decoder: StreamDecoder | null = null;
      try {
        const limit = Math.min(ATTEMPT_LIMIT_MS, Math.max(1000, backoff.left(Date.now())));
        const gone = await within(podGone(), limit, 'reading the debug pod');
        if (gone) {
          void this.fail(new UserError(`${node}: ${gone}; its trace ended at the loss (${clock(from)})`));
          return;
        }
        let started!: (first: boolean) => void;
        const attached = new Promise<boolean>((r) => (started = r));
        decoder = pipeline.decoder(() => started(this.attached()));
        this.decoder = decoder;
        const d = decoder;
        const handle = await within(this.attach(decoder), limit, 'starting bpftrace', (late) => void late.stop());
        if (this.stopping) {
          this.handle = handle; // finish() stops it
          return;
        }
        const outcome = await Promise.race([
          attached.then((first) => ({ first })),
          handle.done,
          this.stopRequested.then(() => 'stop' as const),
        ]);
        if (outcome === 'stop' || this.stopping) {
          this.handle = handle; // finish() stops it
          return;
        }
        if ('first' in outcome) {
          const to = Date.now();
          this.reattachedAt = to;
          this.handle = handle;
          this.hooks.sink.gapClosed(node, to);
          log.warn(`${node}: re-attached; execs from ${clock(from)} to ${clock(to)} UTC (${seconds(to - from)} s) are unknown`);
          if (!outcome.first) pipeline.reseed();
          this.parts.resumed?.();
          this.follow(handle);
          return;
        }
        this.retire(d);
        if (!outcome.lost) {
          void this.fail(tracerError(outcome, node));
          return;
        }
        last = outcome.reason ?? 'no status';
      } catch (e) {
        this.retire(decoder);
        last = (e as Error).message;
        log.debug(`${node}: re-attaching failed (${last}); trying again`);
      }
    }
    void this.fail(
      new UserError(
        `${node}: the exec stream was lost at ${clock(from)} UTC and could not be re-established within --reconnect-timeout ${seconds(reconnectTimeoutMs)} s (last: ${last})`,
      ),
    );
  }

  /** Waits `ms`, or less when the run stops meanwhile. */
  private pause(ms: number): Promise<void> {
    if (ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  /** Stops bpftrace (after STOP_SETTLE_MS), drains what it still sends, releases held events. Idempotent. */
  async stop(): Promise<void> {
    if (this.stopping) return this.ended.then(() => undefined);
    this.stopping = true;
    if (this.handle && this.everAttached) await new Promise((r) => setTimeout(r, STOP_SETTLE_MS));
    await this.finish();
    this.endWith(null);
  }

  private async fail(error: UserError): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    await this.finish();
    this.endWith(error);
  }

  private async finish(): Promise<void> {
    this.requestStop();
    this.wake();
    if (this.reattaching) await this.reattaching;
    if (this.ticker) clearInterval(this.ticker);
    if (this.handle) {
      const t0 = Date.now();
      this.hooks.log.debug(`${this.node}: stopping bpftrace`);
      await this.handle.stop();
      const end = await this.handle.done;
      this.hooks.log.debug(
        `${this.node}: bpftrace ended (${end.code !== null ? `exit ${end.code}` : (end.reason ?? 'no status')}) ${Date.now() - t0} ms after it was told to stop`,
      );
    }
    this.pipeline?.release(); // a run stopped before its snapshot came: what was held goes out with shorter chains
    this.retire(this.decoder);
    this.pipeline?.drain(Date.now());
  }
}

/** `p`, or a rejection after `ms`; a late result goes to `late` (e.g. to stop a tracer nobody waits for). */
function within<T>(p: Promise<T>, ms: number, what: string, late?: (v: T) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let over = false;
    const timer = setTimeout(() => {
      over = true;
      reject(new Error(`${what} took longer than ${seconds(ms)} s`));
    }, ms);
    p.then(
      (v) => {
        clearTimeout(timer);
        if (over) late?.(v);
        else resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        if (!over) reject(e as Error);
      },
    );
  });
}

function tracerError(exit: TracerEnd, node: string): UserError {
  const how = exit.code !== null ? `exited with code ${exit.code}` : (exit.reason ?? 'ended');
  const detail = exit.stderr ? `:\n${exit.stderr}` : '';
  return new UserError(`bpftrace on ${node} ${how} before the trace was stopped${detail}`);
}
