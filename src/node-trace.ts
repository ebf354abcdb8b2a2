/**
 * One node's part of a run: node probe → rendered program → bpftrace → decoder → join. Events go to
 * the run's shared sink; the node's own end (bpftrace failing, the debug pod going away) is reported
 * through `ended` so that the other nodes of the run can go on.
 */
import type { Log } from './log.js';
import { UserError } from './errors.js';
import { PROBE_COMMAND, parseProbe, ProbeError } from './node/probe.js';
import { renderProgram, bpftraceCommand, RenderError } from './node/render.js';
import type { NodeRunner, TracerExit, TracerHandle } from './node/runner.js';
import { TraceDecoder } from './events/decoder.js';
import { Joiner } from './join/join.js';
import type { PodIndex } from './join/pod-index.js';
import type { AttributedEvent } from './join/types.js';
import type { ExecEvent } from './events/types.js';
import { ProcessTable, type Ancestor, type Owner } from './join/process-table.js';
import { SNAPSHOT_COMMAND, parseSnapshot } from './node/snapshot.js';

/** An exec event's fields for joining a snapshot process by its cgroups. */
const NO_EVENT: ExecEvent = {
  timeMs: 0, pid: 0, tid: 0, ppid: 0, uid: 0, comm: '', filename: '', args: [], argsTruncated: false, retval: null, cgroupV2: null, cgroupV1: null,
};

function ownerOf(a: AttributedEvent): Owner {
  return { namespace: a.namespace, pod: a.pod, container: a.container, host: a.identity.kind === 'host' };
}

export interface NodeTraceParts {
  node: string;
  runner: NodeRunner;
  index: PodIndex | null;
  onPodsChanged?(cb: () => void): void;
  onFailure?(cb: (message: string) => void): void;
}

export interface NodeTraceHooks {
  log: Log;
  /** --ancestry: trace forks and exits too, and give each exec its parent chain. */
  ancestry: boolean;
  event(a: AttributedEvent): void;
  lost(count: number): void;
  /** Said once, when bpftrace is attached on this node. */
  started(node: string): void;
}

export class NodeTrace {
  private handle: TracerHandle | null = null;
  private decoder: TraceDecoder | null = null;
  private joiner: Joiner | null = null;
  private ticker: NodeJS.Timeout | null = null;
  private stopping = false;
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
    return { malformed: this.decoder?.stats.malformed ?? 0, incomplete: this.decoder?.stats.incomplete ?? 0 };
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
      rendered = renderProgram(facts, { ancestry: this.hooks.ancestry });
    } catch (e) {
      if (e instanceof ProbeError || e instanceof RenderError) throw new UserError(`${node}: ${e.message}`);
      throw e;
    }
    log.debug(
      `${node}: bpftrace ${rendered.bpftrace.join('.')}, kernel ${facts.kernelRelease}, cgroup v2: ${rendered.v2 ? 'yes' : 'no'}, v1 controller: ${rendered.v1Controller ?? 'none'}`,
    );
    const joiner = new Joiner(index, { node });
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
    const decoder = new TraceDecoder(
      { strlen: rendered.strlen, levels: rendered.levels, argsMax: rendered.argsMax },
      {
        event: (e) => {
          if (table) chains.set(e, table.exec(e.pid, e.ppid, e.comm, ownerOf(joiner.join(e))));
          for (const a of joiner.push(e, Date.now())) this.emit(a);
        },
        process: (rec) => {
          if (rec.kind === 'fork') table?.fork(rec.ppid, rec.pid, rec.comm);
          else table?.exit(rec.pid, Date.now());
        },
        notice: (n) => {
          if (n.kind === 'started') {
            // With --ancestry the process table is seeded from /proc first, so that "tracing" means
            // chains are complete from the first exec on.
            if (table) void this.seed(table, joiner, rendered.v1Controller).finally(() => this.hooks.started(node));
            else this.hooks.started(node);
          }
          else if (n.kind === 'lost') {
            this.hooks.lost(n.count);
            log.warn(`bpftrace on ${node} lost ${n.count} events (the node produced them faster than they were read)`);
          } else if (n.kind === 'malformed' && malformedShown++ === 0) {
            log.warn(`skipping a malformed line from ${node} (${n.reason}): ${n.line.slice(0, 200)}`);
          }
        },
      },
    );
    this.decoder = decoder;
    if (!facts.perl) {
      log.warn(`${node}: the image has no perl: bpftrace's output is sent record by record instead of in batches (more CPU on the node, the API server and here), and a client that goes silent without closing its stream is left to the debug pod's own lease check (see "The debug pod image" in the README)`);
    }
    const programFile = await runner.stage(rendered.program);
    const tracer = { bpftrace: bpftraceCommand(rendered, programFile), batch: facts.perl };
    this.handle = await runner.start(tracer, { stdout: (c) => decoder.push(c) });
    this.ticker = setInterval(() => {
      decoder.tick();
      const now = Date.now();
      for (const a of joiner.retry(now)) this.emit(a);
      index?.expire(now);
      table?.expire(now);
    }, 100);
    this.parts.onPodsChanged?.(() => {
      for (const a of joiner.retry(Date.now())) this.emit(a);
    });
    this.parts.onFailure?.((msg) => void this.fail(new UserError(`${node}: ${msg}`)));
    void this.handle.done.then((exit) => {
      if (!this.stopping) void this.fail(tracerError(exit, node));
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
    if (this.ticker) clearInterval(this.ticker);
    if (this.handle) {
      await this.handle.stop();
      await this.handle.done;
    }
    this.decoder?.end();
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

function tracerError(exit: TracerExit, node: string): UserError {
  const how = exit.code !== null ? `exited with code ${exit.code}` : (exit.reason ?? 'ended');
  const detail = exit.stderr ? `:\n${exit.stderr}` : '';
  return new UserError(`bpftrace on ${node} ${how} before the trace was stopped${detail}`);
}
