/**
 * One node's part of a run: node probe → rendered program → bpftrace → decoder → join. Events go to
 * the run's shared sink; the node's own end (bpftrace failing, the debug pod going away) is reported
 * through `ended` so that the other nodes of the run can go on.
 *
 * An exec stream lost without bpftrace's exit status (WebSocket dropped, API server gone) is not the
 * node's end: within --reconnect-timeout a new attachment — a new tracer, which stops the old one
 * first, and a new decoder — takes over, and the time between is reported as a gap
 * (src/reconnect.ts). Execs in a gap are unknown: nothing is invented, nothing comes twice.
 */
import type { Log } from './log.js';
import { UserError } from './errors.js';
import { commandNotFound, MissingToolsError, missingToolsMessage, PROBE_COMMAND, parseProbe, ProbeError } from './node/probe.js';
import { renderProgram, bpftraceCommand, EXEC_KEYS, RenderError } from './node/render.js';
import type { NodeRunner, TracerEnd, TracerHandle } from './node/runner.js';
import type { TracerCommand } from './node/tracer-command.js';
import { Backoff, clock, seconds } from './reconnect.js';
import { TraceDecoder } from './events/decoder.js';
import { Joiner } from './join/join.js';
import type { PodIndex } from './join/pod-index.js';
import type { AttributedEvent } from './join/types.js';
import { UNKNOWN_CONTEXT, type ExecEvent } from './events/types.js';
import { ProcessTable, type Ancestor, type Owner } from './join/process-table.js';
import { SNAPSHOT_COMMAND, parseSnapshot } from './node/snapshot.js';

/** An exec event's fields for joining a snapshot process by its cgroups. */
const NO_EVENT: ExecEvent = {
  timeMs: 0, pid: 0, tid: 0, ppid: 0, uid: 0, comm: '', filename: '', args: [], argsTruncated: false, retval: null, cgroupV2: null, cgroupV1: null, upperLayer: null, ...UNKNOWN_CONTEXT,
};

function ownerOf(a: AttributedEvent): Owner {
  return { namespace: a.namespace, pod: a.pod, container: a.container, host: a.identity.kind === 'host' };
}

export interface NodeTraceParts {
  node: string;
  runner: NodeRunner;
  index: PodIndex | null;
  /** The index holds a whole cluster's pods (--local with a cluster): each exec's node is its pod's. */
  nodeFromPod?: boolean;
  /** The debug image the node's commands run in (none with --local: this machine runs them). */
  image?: string;
  onPodsChanged?(cb: () => void): void;
  onFailure?(cb: (message: string) => void): void;
  /**
   * Why the debug pod can no longer be traced (deleted, ended), or null while it runs; rejects
   * when that cannot be told now (API unreachable). Without it a lost stream ends the node.
   */
  podGone?(): Promise<string | null>;
  /** A new attachment took over after a loss: the pod watch retries now rather than at its backoff. */
  resumed?(): void;
}

export interface NodeTraceHooks {
  log: Log;
  /** --ancestry: trace forks and exits too, and give each exec its parent chain. */
  ancestry: boolean;
  /** --exits: also report how each process exec'd while tracing ended (events with `exit` set). */
  exits: boolean;
  event(a: AttributedEvent): void;
  lost(count: number): void;
  /** Said once, when bpftrace is attached on this node. */
  started(node: string): void;
  /** How long to try to re-attach after a lost stream, per loss; 0: a loss ends the node. */
  reconnectTimeoutMs: number;
  /** Execs from fromMs on are unknown (the stream was lost)… */
  gapOpened(node: string, fromMs: number): void;
  /** …until toMs, when a new attachment started tracing. */
  gapClosed(node: string, toMs: number): void;
}

/** One attempt to re-attach (probe of the pod, staging, the exec opening) gets at most this long. */
const ATTEMPT_LIMIT_MS = 20_000;

export class NodeTrace {
  private handle: TracerHandle | null = null;
  /** The current attachment's decoder; data of any other attachment is dropped (never twice). */
  private decoder: TraceDecoder | null = null;
  private joiner: Joiner | null = null;
  private ticker: NodeJS.Timeout | null = null;
  private stopping = false;
  /** What every attachment needs: the program, how to start bpftrace, a fresh decoder. */
  private attachment: { program: string; tracer: (programFile: string | null) => TracerCommand; decoder: (started: () => void) => TraceDecoder } | null = null;
  /** Counts of earlier attachments' decoders. */
  private readonly before = { malformed: 0, incomplete: 0 };
  /** When the current attachment last delivered data (a gap starts there). */
  private lastDataAt = 0;
  private reattaching: Promise<void> | null = null;
  /** Cuts a re-attachment's waits short when the run stops. */
  private wake: () => void = () => {};
  private requestStop!: () => void;
  private readonly stopRequested = new Promise<void>((r) => (this.requestStop = r));
  private emit: (a: AttributedEvent) => void = (a) => this.hooks.event(a);
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

  get stats(): { malformed: number; incomplete: number } {
    return {
      malformed: this.before.malformed + (this.decoder?.stats.malformed ?? 0),
      incomplete: this.before.incomplete + (this.decoder?.stats.incomplete ?? 0),
    };
  }

  /** Probes the node, renders the program, starts bpftrace. Rejects (UserError) when it cannot. */
  async start(): Promise<void> {
    const { node, runner, index } = this.parts;
    const { log } = this.hooks;
    log.progress(`probing node ${node}`);
    let rendered;
    let facts;
    try {
      facts = parseProbe(await runner.run(PROBE_COMMAND));
      rendered = renderProgram(facts, { ancestry: this.hooks.ancestry, exits: this.hooks.exits });
    } catch (e) {
      // A missing command, named with the image contract: reported by the probe, or — for sh, which
      // runs the probe — by the container runtime.
      const missing = e instanceof MissingToolsError ? e.missing : e instanceof Error && commandNotFound(e.message) ? [commandNotFound(e.message)!] : null;
      if (missing) throw new UserError(missingToolsMessage(node, missing, this.parts.image ?? null));
      if (e instanceof ProbeError || e instanceof RenderError) throw new UserError(`${node}: ${e.message}`);
      throw e;
    }
    log.debug(
      `${node}: bpftrace ${rendered.bpftrace.join('.')}, kernel ${facts.kernelRelease}, cgroup v2: ${rendered.v2 ? 'yes' : 'no'}, v1 controller: ${rendered.v1Controller ?? 'none'}`,
    );
    const joiner = new Joiner(index, { node, nodeFromPod: this.parts.nodeFromPod ?? false });
    this.joiner = joiner;
    const table = this.hooks.ancestry ? new ProcessTable() : null;
    const chains = new Map<ExecEvent, Ancestor[]>();
    this.emit = (a) => {
      const chain = chains.get(a.event);
      if (chain) {
        chains.delete(a.event);
        a.ancestry = chain;
      }
      this.hooks.event(a);
    };
    let malformedShown = 0;
    const decoder = (started: () => void): TraceDecoder =>
      new TraceDecoder(
        { strlen: rendered.strlen, levels: rendered.levels, argsMax: rendered.argsMax, exits: this.hooks.exits, maxExecd: EXEC_KEYS },
        {
          event: (e) =>
            this.inOrder(() => {
              if (table && !e.exit) chains.set(e, table.exec(e.pid, e.ppid, e.comm, ownerOf(joiner.join(e))));
              for (const a of joiner.push(e, Date.now())) this.emit(a);
            }),
          process: (rec) =>
            this.inOrder(() => {
              if (rec.kind === 'fork') table?.fork(rec.ppid, rec.pid, rec.comm);
              else table?.exit(rec.pid, Date.now());
            }),
          notice: (n) => {
            if (n.kind === 'started') started();
            else if (n.kind === 'lost') {
              this.hooks.lost(n.count);
              log.warn(`bpftrace on ${node} lost ${n.count} events (the node produced them faster than they were read)`);
            } else if (n.kind === 'malformed' && malformedShown++ === 0) {
              log.warn(`skipping a malformed line from ${node} (${n.reason}): ${n.line.slice(0, 200)}`);
            }
          },
        },
      );
    if (!facts.perl) {
      log.warn(`${node}: the image has no perl: bpftrace's output is sent record by record instead of in batches (more CPU on the node, the API server and here), and a client that goes silent without closing its stream is left to the debug pod's own lease check (see "The debug pod image" in the README)`);
    }
    this.attachment = {
      program: rendered.program,
      tracer: (programFile) => ({ bpftrace: bpftraceCommand(rendered, programFile), batch: facts.perl }),
      decoder,
    };
    const first = decoder(() => {
      // With --ancestry the process table is seeded from /proc first, so that "tracing" means
      // chains are complete from the first exec on.
      if (!table) return this.hooks.started(node);
      this.held = [];
      void this.seed(table, joiner, rendered.v1Controller).finally(() => {
        this.release();
        this.hooks.started(node);
      });
    });
    this.decoder = first;
    const handle = await this.attach(first);
    this.handle = handle;
    this.ticker = setInterval(() => {
      this.decoder?.tick();
      const now = Date.now();
      for (const a of joiner.retry(now)) this.emit(a);
      index?.expire(now);
      table?.expire(now);
    }, 100);
    this.reseed = table ? () => void this.seed(table, joiner, rendered.v1Controller) : null;
    this.parts.onPodsChanged?.(() => {
      for (const a of joiner.retry(Date.now())) this.emit(a);
    });
    this.parts.onFailure?.((msg) => void this.fail(new UserError(`${node}: ${msg}`)));
    this.follow(handle);
  }

  /** --ancestry after a gap: forks and exits in it are unknown, the node's /proc is not. */
  private reseed: (() => void) | null = null;

  /**
   * --ancestry: records decoded while the first /proc snapshot is read wait for it, in order, so that
   * the first execs' chains include the processes that started before the trace. (bpftrace ≤ 0.23
   * reports its probes just before attaching them: a fork in that instant is in neither.)
   */
  private held: (() => void)[] | null = null;

  private inOrder(apply: () => void): void {
    if (this.held) this.held.push(apply);
    else apply();
  }

  private release(): void {
    const held = this.held ?? [];
    this.held = null;
    for (const apply of held) apply();
  }

  /** Stages the program and starts a tracer whose output goes to `decoder` while it is the current one. */
  private async attach(decoder: TraceDecoder): Promise<TracerHandle> {
    const { runner } = this.parts;
    const a = this.attachment!;
    const programFile = await runner.stage(a.program);
    this.lastDataAt = Date.now();
    return runner.start(a.tracer(programFile), {
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

  /** Ends a decoder (its execs still waiting for records come out incomplete) and keeps its counts. */
  private retire(decoder: TraceDecoder | null): void {
    if (!decoder) return;
    if (this.decoder === decoder) this.decoder = null;
    decoder.end();
    this.before.malformed += decoder.stats.malformed;
    this.before.incomplete += decoder.stats.incomplete;
  }

  private async reattach(exit: TracerEnd): Promise<void> {
    const node = this.node;
    const podGone = this.parts.podGone!;
    const { log, reconnectTimeoutMs } = this.hooks;
    const from = this.lastDataAt;
    this.retire(this.decoder);
    this.handle = null;
    this.hooks.gapOpened(node, from);
    log.warn(`${node}: the exec stream was lost (${exit.reason ?? 'no status'}); re-attaching for up to ${seconds(reconnectTimeoutMs)} s (--reconnect-timeout)`);
    const backoff = new Backoff(Date.now(), reconnectTimeoutMs);
    let last = exit.reason ?? 'no status';
    for (let delay = backoff.next(Date.now()); delay !== null; delay = backoff.next(Date.now())) {
      await this.pause(delay);
      if (this.stopping) return;
      let decoder: TraceDecoder | null = null;
      try {
        const limit = Math.min(ATTEMPT_LIMIT_MS, Math.max(1000, backoff.left(Date.now())));
        const gone = await within(podGone(), limit, 'reading the debug pod');
        if (gone) {
          void this.fail(new UserError(`${node}: ${gone}; its trace ended at the loss (${clock(from)})`));
          return;
        }
        let started!: () => void;
        const attached = new Promise<void>((r) => (started = r));
        decoder = this.attachment!.decoder(() => started());
        this.decoder = decoder;
        const d = decoder;
        const handle = await within(this.attach(decoder), limit, 'starting bpftrace', (late) => void late.stop());
        if (this.stopping) {
          this.handle = handle; // finish() stops it
          return;
        }
        const outcome = await Promise.race([attached.then(() => null), handle.done, this.stopRequested.then(() => 'stop' as const)]);
        if (outcome === 'stop' || this.stopping) {
          this.handle = handle; // finish() stops it
          return;
        }
        if (outcome === null) {
          const to = Date.now();
          this.handle = handle;
          this.hooks.gapClosed(node, to);
          log.warn(`${node}: re-attached; execs from ${clock(from)} to ${clock(to)} UTC (${seconds(to - from)} s) are unknown`);
          this.reseed?.();
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
    void this.fail(new UserError(`${node}: the exec stream was lost at ${clock(from)} UTC and could not be re-established within --reconnect-timeout ${seconds(reconnectTimeoutMs)} s (last: ${last})`));
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

  /** Stops bpftrace, drains what it still sends, releases held events. Idempotent. */
  async stop(): Promise<void> {
    if (this.stopping) return this.ended.then(() => undefined);
    this.stopping = true;
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
      await this.handle.stop();
      await this.handle.done;
    }
    this.release(); // a run stopped before its snapshot came: what was held goes out with shorter chains
    this.retire(this.decoder);
    for (const a of this.joiner?.retry(Date.now(), true) ?? []) this.emit(a);
  }

  /** Seeds the process table from the node's /proc; a failure costs chain depth, not the trace. */
  private async seed(table: ProcessTable, joiner: Joiner, v1Controller: string | null): Promise<void> {
    try {
      const procs = parseSnapshot(await this.parts.runner.run(SNAPSHOT_COMMAND), v1Controller);
      for (const p of procs) {
        const owner = ownerOf(joiner.join({ ...NO_EVENT, pid: p.pid, cgroupV2: p.cgroupV2, cgroupV1: p.cgroupV1 }));
        table.seed(p.pid, p.ppid, p.comm, owner);
      }
      this.hooks.log.debug(`${this.node}: ${procs.length} processes in the snapshot for --ancestry`);
    } catch (e) {
      this.hooks.log.warn(`${this.node}: could not read the process table (${(e as Error).message}); ancestry starts from the processes traced from now on`);
    }
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
