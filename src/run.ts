/**
 * One run: a source of nodes (this machine, or a cluster's debug pods) → per node a trace (probe →
 * program → bpftrace stream → events → join, src/node-trace.ts) → one sink that counts and shows
 * (src/trace/sink.ts) → the end-of-run files; cleanup on every way out. The CLI
 * (src/cli/trace-command.ts) turns the result into the totals line and the exit code.
 */
import type { RunOptions } from './trace/options.js';
import type { Log } from './log.js';
import { Interrupted, UserError } from './errors.js';
import { NodeTrace } from './node-trace.js';
import { makeFilter } from './join/filter.js';
import { createPrinter, Summary } from './output/index.js';
import { MarkdownSummary, mdCode } from './output/markdown.js';
import { Timeline } from './output/timeline.js';
import { writeFileSync } from 'node:fs';
import type { GapLog, Gap } from './reconnect.js';
import { EventSink, type Counts } from './trace/sink.js';
import { Stop, stopText, type StopReason } from './trace/stop.js';
import type { TraceSource } from './trace/source.js';
import { openLocal } from './trace/local-source.js';
import { loadBaseline, type BaselineDiff, type DiffResult } from './report/diff.js';
import { renderFindingsMarkdown, renderFindingsText } from './report/findings-output.js';
import { nodesInFlight, startNodes } from './node-start.js';
import { perExecNeededBy } from './trace/node-counts.js';

export interface Io {
  /** Writes one line of data to stdout. */
  out(line: string): void;
  log: Log;
  /** Terminal width when stdout is a TTY, else null (never cut piped output). */
  width: number | null;
  /** Resolves when the user interrupts (SIGINT, SIGTERM, SIGHUP) or stdout or stderr goes away. */
  interrupted: Promise<string>;
  /** Asks a yes/no question on the terminal; null when there is no terminal to ask on. */
  confirm: ((question: string) => Promise<boolean>) | null;
  /**
   * Where the --baseline diff goes at the end: stderr (stdout is the exec stream), fitted to its
   * width when it is a terminal. Absent: the log, line by line.
   */
  diffOut?: { write(text: string): void; width: number | null };
}

/** The totals line's numbers, in its JSON order. */
export interface Totals extends Counts {
  nodes: number;
  failedNodes: number;
  /** Stretches whose execs are unknown, as the JSON totals record writes them (to: null, never closed). */
  gaps: Gap[];
}

export interface RunResult {
  totals: Totals;
  /** The run's gaps, for the totals line's words. */
  gaps: GapLog;
  /** Why the trace stopped. */
  reason: StopReason;
  /** false when cleanup left objects on the cluster (the commands to remove them were printed). */
  cleanedUp: boolean;
  /** Nodes that could not be traced, or stopped early, with why. */
  failures: UserError[];
  /** Files the run was asked to write at its end (--summary-to) and could not, with why. */
  writeFailures: string[];
  /** --baseline: what is new in this trace, and the --fail-on kinds found; null without it or when the run ended early. */
  diff?: DiffResult | null;
}

const CONFIRM_ABOVE = 10;

export async function run(opts: RunOptions, io: Io): Promise<RunResult> {
  const { log } = io;
  const stop = new Stop();
  void io.interrupted.then((why) => stop.request({ kind: 'interrupted', why }));
  const traces: NodeTrace[] = [];
  const failures: UserError[] = [];
  let source: TraceSource | null = null;
  let sink: EventSink | null = null;
  let nodeCount = 0;
  let result: RunResult | undefined;
  let interrupted: Interrupted | null = null;
  let cleanedUp = true;
  let diff: BaselineDiff | null = null;

  try {
    // Read before anything is created: a baseline that cannot be read ends the run at once.
    if (opts.baseline) diff = await loadBaseline(opts.baseline, makeFilter(opts.namespaces, opts.filters, null), log);
    if (opts.scope.kind === 'local') {
      source = await openLocal({ cluster: opts.scope.cluster, kubeconfig: opts.kubeconfig, context: opts.context }, log);
    } else {
      // Loaded here, not at the top: the client library alone takes ~0.6 s to load, which --help,
      // --version, a bad command line, --local and report need not pay.
      const { openClusterSource } = await import('./trace/cluster-source.js');
      source = await openClusterSource({ ...opts, scope: opts.scope }, log, io.interrupted);
      for (const refusal of source.refused) {
        failures.push(refusal);
        log.error(`${refusal.message}; going on with the other nodes`);
      }
      if (opts.scope.kind === 'all-nodes' && source.nodes.length > CONFIRM_ABOVE && !opts.yes && io.confirm) {
        if (!(await io.confirm(`trace all ${source.nodes.length} nodes (one privileged debug pod each)?`))) {
          throw new UserError('not confirmed: nothing traced', 'pass --yes to skip the question, or choose nodes with --node-selector');
        }
      }
      if (source.podScope) log.progress(`tracing ${source.podScope.describe} on ${source.nodes.join(', ')}`);
    }
    const { nodes } = source;
    nodeCount = nodes.length + failures.length;

    const printer = createPrinter(opts.output, { write: io.out, width: io.width, nodes: source.manyNodes, ancestry: opts.ancestry });
    const digest = !opts.summaryTo ? null : opts.summaryFormat === 'markdown' ? new MarkdownSummary() : new Summary();
    const timeline = opts.timelineTo ? new Timeline() : null;
    const events = new EventSink({
      keep: makeFilter(opts.namespaces, opts.filters, source.podScope),
      selfPid: source.selfPid,
      includeSelf: opts.includeSelf,
      maxEvents: opts.maxEvents,
      printer,
      digest,
      timeline,
      diff,
      full: () => stop.request({ kind: 'max-events' }),
    });
    sink = events;
    let attached = 0;
    // -o summary and nothing that needs single execs: the nodes count (src/trace/node-counts.ts).
    const perExec = perExecNeededBy(opts);
    if (perExec && opts.output === 'summary') log.debug(`${perExec} needs every exec: the nodes send each one rather than counts`);
    const hooks = {
      counts: perExec === null ? { selfPid: source.selfPid ?? 0 } : null,
      log,
      ancestry: opts.ancestry,
      exits: opts.exits,
      sink: events,
      started: (node: string) => {
        attached++;
        const where = nodes.length === 1 ? node : `${node} (${attached}/${nodes.length})`;
        log.progress(`tracing execs on ${where}${opts.durationMs ? ` for ${opts.durationMs / 1000}s` : ' (Ctrl-C to stop)'}`);
      },
      reconnectTimeoutMs: opts.reconnectTimeoutMs,
    };

    // Start every node under the API request budget, Ready first (src/node-start.ts); a node that
    // cannot be traced is reported and the rest go on.
    const from = source;
    const startOne = async (node: string): Promise<void> => {
      try {
        const trace = new NodeTrace(await from.openNode(node), hooks);
        traces.push(trace);
        await trace.start();
      } catch (e) {
        if (!(e instanceof UserError) || e instanceof Interrupted || nodes.length === 1) throw e;
        failures.push(e);
        log.error(
          `${e.message.startsWith(node) || e.message.startsWith(`node ${node} `) ? '' : `${node}: `}${e.message}${e.hint ? ` (hint: ${e.hint})` : ''}; going on with the other nodes`,
        );
      }
    };
    await startNodes(source.startOrder, nodesInFlight(opts.apiBudget), startOne, () => stop.reason !== null);
    if (traces.length === 0 && failures.length > 0)
      throw new UserError(`no node could be traced: ${failures.map((f) => f.message).join('; ')}`);

    const durationTimer = opts.durationMs ? setTimeout(() => stop.request({ kind: 'duration' }), opts.durationMs) : null;
    // A node that ends by itself is reported; the run goes on while any node still traces.
    let live = traces.length;
    for (const t of traces) {
      void t.ended.then((err) => {
        if (err) {
          failures.push(err);
          if (traces.length > 1) log.error(`${err.message}; ${live - 1} node(s) still tracing`);
        }
        if (--live === 0) stop.request({ kind: 'nodes-ended' });
      });
    }
    const reason = await stop.requested;
    if (durationTimer) clearTimeout(durationTimer);
    await Promise.all(traces.map((t) => t.stop()));
    events.flush();
    const endMs = Date.now();
    // A run whose every node failed ends as a whole (below): its output is the error alone, no table header.
    const failedAsWhole = reason.kind === 'nodes-ended' && failures.length > 0;
    if (!failedAsWhole) printer.end();
    const totals = totalsOf(events, nodeCount, failures.length);
    const writeFailures: string[] = [];
    const diffResult = diff?.result(['this trace']) ?? null;
    if (diffResult) {
      const width = io.diffOut?.width ?? null;
      const text = renderFindingsText(diffResult.findings, diffResult.facts, width);
      if (io.diffOut) io.diffOut.write(`${text}\n`);
      else for (const l of text.split('\n')) log.progress(l);
    }
    if (digest && opts.summaryTo) {
      const text =
        digest instanceof MarkdownSummary
          ? digest.render('trace-exec summary', [
              `Traced on ${nodes.map(mdCode).join(', ')} until ${stopText(reason)}: ${totals.events} execs traced, ${totals.shown} shown, ` +
                `${totals.lost} lost, ${totals.unattributed} unattributed, ${totals.incomplete} incomplete, ${totals.malformed} malformed lines.`,
            ])
          : digest.render();
      // The diff goes below the summary, in its format (a step summary shows both).
      const withDiff = !diffResult
        ? text
        : `${text.trimEnd()}\n\n${digest instanceof MarkdownSummary ? renderFindingsMarkdown(diffResult.findings, diffResult.facts) : renderFindingsText(diffResult.findings, diffResult.facts, null)}`;
      const failed = writeAtEnd('--summary-to', opts.summaryTo, withDiff.endsWith('\n') ? withDiff : `${withDiff}\n`, 'the summary', log);
      if (failed) writeFailures.push(failed);
    }
    if (timeline && opts.timelineTo) {
      if (timeline.dropped > 0)
        log.warn(`--timeline-to keeps the first ${timeline.size} execs; ${timeline.dropped} later ones are left out of it`);
      const file = timeline.render(endMs, { nodes: nodes.join(','), reason: stopText(reason) });
      const failed = writeAtEnd(
        '--timeline-to',
        opts.timelineTo,
        JSON.stringify(file) + '\n',
        `the timeline (${timeline.size} execs)`,
        log,
      );
      if (failed) writeFailures.push(failed);
    }
    if (failedAsWhole) {
      if (failures.length === 1) throw failures[0]!;
      throw new UserError(`every node stopped tracing: ${failures.map((f) => f.message).join('; ')}`);
    }
    result = { totals, gaps: events.gaps, reason, cleanedUp: true, failures, writeFailures, diff: diffResult };
  } catch (e) {
    // Ctrl-C while the debug pod starts ends the run like Ctrl-C while tracing: cleanup, exit 0.
    if (!(e instanceof Interrupted)) throw e;
    log.progress(e.message);
    interrupted = e;
  } finally {
    await Promise.all(traces.map((t) => t.stop()));
    // A run cut short (Ctrl-C while another node's pod starts, an error) still writes what it traced.
    sink?.flush();
    if (source && !(await source.close())) cleanedUp = false;
  }
  if (interrupted) {
    // Counted after the nodes that were tracing stopped: what they still delivered is in.
    const events = sink ?? new EventSink(NO_OUTPUT);
    return {
      totals: totalsOf(events, nodeCount, 0),
      gaps: events.gaps,
      reason: { kind: 'interrupted', why: interrupted.why },
      cleanedUp,
      failures: [],
      writeFailures: [],
    };
  }
  return { ...result!, cleanedUp };
}

/** A sink for a run interrupted before it had one: counts nothing, shows nothing. */
const NO_OUTPUT = {
  keep: () => false,
  selfPid: null,
  includeSelf: false,
  maxEvents: null,
  printer: { event: () => {}, end: () => {} },
  digest: null,
  timeline: null,
  full: () => {},
};

function totalsOf(sink: EventSink, nodes: number, failedNodes: number): Totals {
  const c = sink.counts;
  return {
    events: c.events,
    shown: c.shown,
    lost: c.lost,
    unattributed: c.unattributed,
    malformed: c.malformed,
    incomplete: c.incomplete,
    nodes,
    failedNodes,
    self: c.self,
    exits: c.exits,
    gaps: sink.gaps.list(),
  };
}

/**
 * --summary-to, --timeline-to: files beside the stream, so one run gives both the artifact and a
 * digest. Returns why the write failed, or null.
 */
function writeAtEnd(flag: string, file: string, text: string, what: string, log: Log): string | null {
  try {
    writeFileSync(file, text);
    log.progress(`wrote ${what} to ${file}`);
    return null;
  } catch (e) {
    return `could not write ${flag} ${file}: ${(e as Error).message}`;
  }
}
