/**
 * One run: target → (debug pod) → node probe → program → bpftrace stream → events → join → output,
 * and cleanup on every way out. The CLI (src/cli.ts) turns its result into the exit code.
 */
import { hostname } from 'node:os';
import type { Options } from './cli/options.js';
import type { Log } from './log.js';
import { UserError } from './errors.js';
import { LocalRunner } from './node/local.js';
import { PROBE_COMMAND, parseProbe, ProbeError } from './node/probe.js';
import { renderProgram, bpftraceCommand, RenderError } from './node/render.js';
import { withTracefs, type NodeRunner, type TracerExit } from './node/runner.js';
import { TraceDecoder } from './events/decoder.js';
import { Joiner } from './join/join.js';
import type { PodIndex } from './join/pod-index.js';
import type { AttributedEvent } from './join/types.js';
import { createPrinter } from './output/index.js';
import { openCluster, type ClusterSession } from './kube/session.js';

export interface Io {
  /** Writes data to stdout; returns false once stdout is gone (EPIPE). */
  out(line: string): void;
  log: Log;
  /** Terminal width when stdout is a TTY, else null (never cut piped output). */
  width: number | null;
  /** Resolves when the user interrupts (SIGINT, SIGTERM, SIGHUP) or stdout goes away. */
  interrupted: Promise<string>;
}

export interface Totals {
  events: number;
  shown: number;
  lost: number;
  unattributed: number;
  malformed: number;
  incomplete: number;
}

type Ending = { kind: 'stop'; reason: string } | { kind: 'tracer'; exit: TracerExit };

export interface RunResult {
  totals: Totals;
  /** Why the trace stopped: duration, max-events, SIGINT, stdout closed… */
  reason: string;
  /** false when cleanup left objects on the cluster (the commands to remove them were printed). */
  cleanedUp: boolean;
}

export async function run(opts: Options, io: Io): Promise<RunResult> {
  const { log } = io;
  let cluster: ClusterSession | null = null;
  const totals: Totals = { events: 0, shown: 0, lost: 0, unattributed: 0, malformed: 0, incomplete: 0 };
  let stopRequested: (reason: string) => void = () => {};
  const stopped = new Promise<string>((resolve) => (stopRequested = resolve));
  void io.interrupted.then((why) => stopRequested(why));
  let result: RunResult | undefined;

  try {
    let runner: NodeRunner;
    let index: PodIndex | null = null;
    let node: string;
    if (opts.target.kind === 'local') {
      runner = new LocalRunner();
      node = hostname();
    } else {
      node = opts.target.name;
      cluster = await openCluster(opts, log, io.interrupted);
      runner = cluster.runner;
      index = cluster.index;
    }

    log.progress(`probing node ${node}`);
    const facts = parseProbe(await runner.run(PROBE_COMMAND));
    const rendered = renderProgram(facts);
    log.debug(
      `bpftrace ${rendered.bpftrace.join('.')}, kernel ${facts.kernelRelease}, cgroup v2: ${rendered.v2 ? 'yes' : 'no'}, v1 controller: ${rendered.v1Controller ?? 'none'}`,
    );

    const printer = createPrinter(opts.output, { write: io.out, width: io.width });
    const keep = opts.namespaces ? new Set(opts.namespaces) : null;
    const joiner = new Joiner(index, { node });
    let malformedShown = 0;
    const show = (a: AttributedEvent): void => {
      totals.events++;
      if (a.unattributed) totals.unattributed++;
      if (keep && (a.namespace === null || !keep.has(a.namespace))) return;
      if (opts.maxEvents !== null && totals.shown >= opts.maxEvents) return;
      totals.shown++;
      printer.event(a);
      if (opts.maxEvents !== null && totals.shown >= opts.maxEvents) stopRequested('max-events');
    };
    const decoder = new TraceDecoder(
      { strlen: rendered.strlen, levels: rendered.levels },
      {
        event: (e) => {
          for (const a of joiner.push(e, Date.now())) show(a);
        },
        notice: (n) => {
          if (n.kind === 'started') {
            log.progress(`tracing execs on ${node}${opts.durationMs ? ` for ${opts.durationMs / 1000}s` : ' (Ctrl-C to stop)'}`);
          } else if (n.kind === 'lost') {
            totals.lost += n.count;
            log.warn(`bpftrace lost ${n.count} events (the node produced them faster than they were read)`);
          } else if (n.kind === 'malformed' && malformedShown++ === 0) {
            log.warn(`skipping a malformed line from the node (${n.reason}): ${n.line.slice(0, 200)}`);
          }
        },
      },
    );

    const programFile = await runner.stage(rendered.program);
    const handle = await runner.start(withTracefs(bpftraceCommand(rendered, programFile, cluster?.bpftracePath)), {
      stdout: (c) => decoder.push(c),
    });
    const ticker = setInterval(() => {
      decoder.tick();
      const now = Date.now();
      for (const a of joiner.retry(now)) show(a);
      index?.expire(now);
    }, 100);
    const durationTimer = opts.durationMs ? setTimeout(() => stopRequested('duration'), opts.durationMs) : null;
    cluster?.onPodsChanged(() => {
      for (const a of joiner.retry(Date.now())) show(a);
    });
    cluster?.onFailure((msg: string) => stopRequested(`failure: ${msg}`));

    const ending: Ending = await Promise.race([
      stopped.then((reason): Ending => ({ kind: 'stop', reason })),
      handle.done.then((exit): Ending => ({ kind: 'tracer', exit })),
    ]);
    clearInterval(ticker);
    if (durationTimer) clearTimeout(durationTimer);
    await handle.stop();
    const exit = await handle.done;
    decoder.end();
    for (const a of joiner.retry(Date.now(), true)) show(a);
    printer.end();
    totals.malformed = decoder.stats.malformed;
    totals.incomplete = decoder.stats.incomplete;

    if (ending.kind === 'tracer') throw tracerError(exit, node);
    if (ending.reason.startsWith('failure: ')) throw new UserError(ending.reason.slice('failure: '.length));
    result = { totals, reason: ending.reason, cleanedUp: true };
  } catch (e) {
    if (e instanceof ProbeError || e instanceof RenderError) throw new UserError(e.message);
    throw e;
  } finally {
    if (cluster && !(await cluster.cleanup()) && result) result.cleanedUp = false;
  }
  return result!;
}

function tracerError(exit: TracerExit, node: string): UserError {
  const how = exit.code !== null ? `exited with code ${exit.code}` : (exit.reason ?? 'ended');
  const detail = exit.stderr ? `:\n${exit.stderr}` : '';
  return new UserError(`bpftrace on ${node} ${how} before the trace was stopped${detail}`);
}
