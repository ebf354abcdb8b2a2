/**
 * Preparing a node for tracing: probe what it has (bpftrace version, cgroup layout, perl), render the
 * program for it, and say how each attachment starts bpftrace and decodes its output. Runs once per
 * node; a re-attachment reuses what it found.
 */
import type { Log } from '../log.js';
import { UserError } from '../errors.js';
import { commandNotFound, MissingToolsError, missingToolsMessage, PROBE_COMMAND, parseProbe, ProbeError } from '../node/probe.js';
import { bpftraceCommand, EXEC_KEYS, RenderError, renderProgram, type RenderedProgram } from '../node/render.js';
import type { NodeRunner } from '../node/runner.js';
import { COUNT_EVERY_S, type TracerCommand } from '../node/tracer-command.js';
import type { AssemblerOptions } from '../events/assemble.js';

export interface PreparedNode {
  /** The bpftrace program, staged anew by each attachment. */
  program: string;
  /** How to start bpftrace with the staged program (null: on its command line). */
  tracer(programFile: string | null): TracerCommand;
  /** What each attachment's decoder needs to know about the program. */
  decoding: AssemblerOptions;
  /** --ancestry: the cgroup v1 controller whose paths the /proc snapshot reads. */
  v1Controller: string | null;
  /** The node counts execs rather than sending each (src/trace/node-counts.ts): decode with CountingDecoder. */
  counts: boolean;
}

export interface PrepareOptions {
  ancestry: boolean;
  exits: boolean;
  /** The debug image the node's commands run in (named when a command is missing); null with --local. */
  image: string | null;
  /**
   * Let the node count execs (src/trace/node-counts.ts), when it has perl; selfPid: the client's pid,
   * whose children's execs are sent whole (--local), else 0.
   */
  counts?: { selfPid: number } | null;
}

/** Probes the node and renders its program. Rejects with a UserError that names the node when it cannot. */
export async function prepareNode(node: string, runner: NodeRunner, opts: PrepareOptions, log: Log): Promise<PreparedNode> {
  log.progress(`probing node ${node}`);
  let rendered: RenderedProgram;
  let facts;
  try {
    facts = parseProbe(await runner.run(PROBE_COMMAND));
    rendered = renderProgram(facts, { ancestry: opts.ancestry, exits: opts.exits });
  } catch (e) {
    // A missing command, named with the image contract: reported by the probe, or — for sh, which
    // runs the probe — by the container runtime.
    const missing =
      e instanceof MissingToolsError ? e.missing : e instanceof Error && commandNotFound(e.message) ? [commandNotFound(e.message)!] : null;
    if (missing) throw new UserError(missingToolsMessage(node, missing, opts.image));
    if (e instanceof ProbeError || e instanceof RenderError) throw new UserError(`${node}: ${e.message}`);
    throw e;
  }
  log.debug(
    `${node}: bpftrace ${rendered.bpftrace.join('.')}, kernel ${facts.kernelRelease}, cgroup v2: ${rendered.v2 ? 'yes' : 'no'}, v1 controller: ${rendered.v1Controller ?? 'none'}`,
  );
  if (!facts.perl) {
    log.warn(
      `${node}: the image has no perl: bpftrace's output is sent record by record instead of in batches (more CPU on the node, the API server and here), and a client that goes silent without closing its stream is left to the debug pod's own lease check (see "The debug pod image" in the README)`,
    );
  }
  const batch = facts.perl;
  if (opts.counts && !batch) log.warn(`${node}: without perl the node cannot count execs for -o summary: it sends every exec instead`);
  const counts = opts.counts && batch ? { argsMax: rendered.argsMax, selfPid: opts.counts.selfPid } : null;
  if (counts) log.debug(`${node}: the node counts execs and sends a count per cgroup and command every ${COUNT_EVERY_S} s at most`);
  return {
    program: rendered.program,
    tracer: (programFile) => ({ bpftrace: bpftraceCommand(rendered, programFile), batch, counts }),
    decoding: { strlen: rendered.strlen, levels: rendered.levels, argsMax: rendered.argsMax, exits: opts.exits, maxExecd: EXEC_KEYS },
    v1Controller: rendered.v1Controller,
    counts: counts !== null,
  };
}
