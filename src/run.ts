/**
 * One run: scope → (debug pod per node) → per node: probe → program → bpftrace stream → events →
 * join → one merged output, and cleanup on every way out. The CLI (src/cli.ts) turns the result into
 * the exit code.
 */
import { hostname } from 'node:os';
import type { Options } from './cli/options.js';
import type { Log } from './log.js';
import { Interrupted, UserError } from './errors.js';
import { LocalRunner } from './node/local.js';
import { whyLocalCannotTrace } from './node/preflight.js';
import { NodeTrace, type NodeTraceParts } from './node-trace.js';
import { isSelf, makeFilter } from './join/filter.js';
import type { AttributedEvent } from './join/types.js';
import type { ProcessEnd } from './events/types.js';
import { signalName } from './output/signal.js';
import { createPrinter, Summary } from './output/index.js';
import { MarkdownSummary, mdCode } from './output/markdown.js';
import { PathSearchMarker } from './output/path-search.js';
import { Timeline } from './output/timeline.js';
import { writeFileSync } from 'node:fs';
import { openCluster, type ClusterRun } from './kube/session.js';
import { openClusterPods, type ClusterPods } from './kube/cluster-pods.js';
import { GapLog, type Gap } from './reconnect.js';
import { loadBaseline, type BaselineDiff, type DiffResult } from './report/diff.js';
import { renderFindingsMarkdown, renderFindingsText } from './report/findings-output.js';

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

export interface Totals {
  events: number;
  shown: number;
  lost: number;
  unattributed: number;
  malformed: number;
  incomplete: number;
  nodes: number;
  failedNodes: number;
  /** Execs of trace-exec's own debug pod (or, with --local, of its own children): left out unless --include-self. */
  self: number;
  /** --exits: ends of processes exec'd while tracing (before the filters). */
  exits: number;
  /** Stretches whose execs are unknown: a node's exec stream was lost until a new attachment took over (to: null, never). */
  gaps: Gap[];
}

export interface RunResult {
  totals: Totals;
  /** Why the trace stopped: duration, max-events, SIGINT, stdout closed… */
  reason: string;
  /** false when cleanup left objects on the cluster (the commands to remove them were printed). */
  cleanedUp: boolean;
  /** Nodes that could not be traced, or stopped early, with why. */
  failures: UserError[];
  /** Files the run was asked to write at its end (--summary-to) and could not, with why. */
  writeFailures: string[];
  /** --baseline: what is new in this trace, and the --fail-on kinds found; null without it or when the run ended early. */
  diff?: DiffResult | null;
}

/** Debug pods started at once; more nodes wait for a slot. */
const NODE_PARALLELISM = 4;
const CONFIRM_ABOVE = 10;

export async function run(opts: Options, io: Io): Promise<RunResult> {
  const { log } = io;
  let cluster: ClusterRun | null = null;
  const totals: Totals = { events: 0, shown: 0, lost: 0, unattributed: 0, malformed: 0, incomplete: 0, nodes: 0, failedNodes: 0, self: 0, exits: 0, gaps: [] };
  const gaps = new GapLog();
  let stopRequested: (reason: string) => void = () => {};
  const stopped = new Promise<string>((resolve) => (stopRequested = resolve));
  let stopReason: string | null = null;
  void stopped.then((r) => (stopReason = r));
  void io.interrupted.then((why) => stopRequested(why));
  const traces: NodeTrace[] = [];
  const failures: UserError[] = [];
  let result: RunResult | undefined;
  let localPods: ClusterPods | null = null;
  /** Passes on the failed execs still waiting for their next attempt (path-search.ts); idempotent. */
  let flushPathSearches = (): void => {};
  let diff: BaselineDiff | null = null;

  try {
    // Read before anything is created: a baseline that cannot be read ends the run at once.
    if (opts.baseline) diff = await loadBaseline(opts.baseline, makeFilter(opts.namespaces, opts.filters, null), log);
    let nodes: string[];
    if (opts.scope.kind === 'local') {
      const why = whyLocalCannotTrace(process.platform, process.getuid?.() ?? null, process.env.PATH);
      if (why) throw new UserError(why);
      nodes = [hostname()];
      if (opts.scope.cluster) localPods = await openClusterPods(opts.kubeconfig, opts.context, log);
    } else {
      cluster = await openCluster(opts, log, io.interrupted);
      nodes = cluster.nodes;
      for (const refusal of cluster.refused) {
        failures.push(refusal);
        log.error(`${refusal.message}; going on with the other nodes`);
      }
      if (opts.scope.kind === 'all-nodes' && nodes.length > CONFIRM_ABOVE && !opts.yes && io.confirm) {
        if (!(await io.confirm(`trace all ${nodes.length} nodes (one privileged debug pod each)?`))) {
          throw new UserError('not confirmed: nothing traced', 'pass --yes to skip the question, or choose nodes with --node-selector');
        }
      }
      if (cluster.podScope) log.progress(`tracing ${cluster.podScope.describe} on ${nodes.join(', ')}`);
    }
    totals.nodes = nodes.length + failures.length;

    // A nested cluster's execs come from several nodes of one kernel: NODE is worth a column.
    const printer = createPrinter(opts.output, { write: io.out, width: io.width, nodes: nodes.length > 1 || localPods !== null, ancestry: opts.ancestry });
    const digest = !opts.summaryTo ? null : opts.summaryFormat === 'markdown' ? new MarkdownSummary() : new Summary();
    const timeline = opts.timelineTo ? new Timeline() : null;
    const keep = makeFilter(opts.namespaces, opts.filters, cluster?.podScope ?? null);
    const selfPid = opts.scope.kind === 'local' ? process.pid : null;
    const show = (a: AttributedEvent): void => {
      if (a.event.exit) return showEnd(a, a.event.exit);
      totals.events++;
      if (a.unattributed) totals.unattributed++;
      if (isSelf(a, selfPid)) {
        totals.self++;
        if (!opts.includeSelf) return;
      }
      if (!keep(a)) return;
      if (opts.maxEvents !== null && totals.shown >= opts.maxEvents) return;
      totals.shown++;
      printer.event(a);
      digest?.add(a);
      diff?.add(a);
      timeline?.exec(a, { upperLayer: a.event.upperLayer });
      if (opts.maxEvents !== null && totals.shown >= opts.maxEvents) stopRequested('max-events');
    };
    // --exits: a process's end passes the filters of its exec (its pod, container, command; --failed:
    // ended badly); it is not an exec, so it does not count towards --max-events.
    const showEnd = (a: AttributedEvent, end: ProcessEnd): void => {
      totals.exits++;
      if (isSelf(a, selfPid) && !opts.includeSelf) return;
      if (!keep(a)) return;
      if (opts.maxEvents !== null && totals.shown >= opts.maxEvents) return;
      printer.event(a);
      digest?.add(a);
      timeline?.exit(a.node, a.event.pid, a.event.timeMs, { exitCode: end.exitCode, signal: signalName(end.signal) });
    };
    // Before the filters: whether a failed exec was one attempt of a PATH search depends on the exec
    // after it, which --failed, --comm… may leave out. JSON writes the mark, the rest fold on it.
    const marker = new PathSearchMarker(show);
    flushPathSearches = () => marker.flush();
    let attached = 0;
    const hooks = {
      log,
      ancestry: opts.ancestry,
      exits: opts.exits,
      event: (a: AttributedEvent) => marker.push(a),
      lost: (n: number) => (totals.lost += n),
      started: (node: string) => {
        attached++;
        const where = nodes.length === 1 ? node : `${node} (${attached}/${nodes.length})`;
        log.progress(`tracing execs on ${where}${opts.durationMs ? ` for ${opts.durationMs / 1000}s` : ' (Ctrl-C to stop)'}`);
      },
      reconnectTimeoutMs: opts.reconnectTimeoutMs,
      gapOpened: (node: string, fromMs: number) => gaps.open(node, fromMs),
      gapClosed: (node: string, toMs: number) => void gaps.close(node, toMs),
    };

    // Start every node, a few at a time; a node that cannot be traced is reported and the rest go on.
    const queue = [...nodes];
    const startOne = async (): Promise<void> => {
      for (let node = queue.shift(); node !== undefined && stopReason === null; node = queue.shift()) {
        try {
          const pods = localPods;
          const parts: NodeTraceParts = cluster
            ? await cluster.openNode(node)
            : {
                node,
                runner: new LocalRunner(),
                index: pods?.index ?? null,
                nodeFromPod: pods !== null,
                // Without a cluster (--local alone) there are no pods to change.
                ...(pods ? { onPodsChanged: (cb: () => void) => pods.onChange(cb) } : {}),
              };
          const trace = new NodeTrace(parts, hooks);
          traces.push(trace);
          await trace.start();
        } catch (e) {
          if (!(e instanceof UserError) || e instanceof Interrupted || nodes.length === 1) throw e;
          failures.push(e);
          log.error(`${e.message.startsWith(node) || e.message.startsWith(`node ${node} `) ? '' : `${node}: `}${e.message}${e.hint ? ` (hint: ${e.hint})` : ''}; going on with the other nodes`);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(NODE_PARALLELISM, nodes.length) }, startOne));
    if (traces.length === 0 && failures.length > 0) throw new UserError(`no node could be traced: ${failures.map((f) => f.message).join('; ')}`);

    const durationTimer = opts.durationMs ? setTimeout(() => stopRequested('duration'), opts.durationMs) : null;
    // A node that ends by itself is reported; the run goes on while any node still traces.
    let live = traces.length;
    const allEnded = new Promise<string>((resolve) => {
      for (const t of traces) {
        void t.ended.then((err) => {
          if (err) {
            failures.push(err);
            if (traces.length > 1) log.error(`${err.message}; ${live - 1} node(s) still tracing`);
          }
          if (--live === 0) resolve('every node ended');
        });
      }
    });
    const reason = await Promise.race([stopped, allEnded]);
    if (durationTimer) clearTimeout(durationTimer);
    await Promise.all(traces.map((t) => t.stop()));
    flushPathSearches();
    const endMs = Date.now();
    // A run that fails as a whole (below) prints no table header: its output is the error alone.
    if (!(reason === 'every node ended' && failures.length > 0)) printer.end();
    for (const t of traces) {
      totals.malformed += t.stats.malformed;
      totals.incomplete += t.stats.incomplete;
    }
    totals.failedNodes = failures.length;
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
              `Traced on ${nodes.map(mdCode).join(', ')} until ${reason}: ${totals.events} execs traced, ${totals.shown} shown, ` +
                `${totals.lost} lost, ${totals.unattributed} unattributed, ${totals.incomplete} incomplete, ${totals.malformed} malformed lines.`,
            ])
          : digest.render();
      // The diff goes below the summary, in its format (a step summary shows both).
      const withDiff = !diffResult ? text : `${text.trimEnd()}\n\n${digest instanceof MarkdownSummary ? renderFindingsMarkdown(diffResult.findings, diffResult.facts) : renderFindingsText(diffResult.findings, diffResult.facts, null)}`;
      const failed = writeAtEnd('--summary-to', opts.summaryTo, withDiff.endsWith('\n') ? withDiff : `${withDiff}\n`, 'the summary', log);
      if (failed) writeFailures.push(failed);
    }
    if (timeline && opts.timelineTo) {
      if (timeline.dropped > 0) log.warn(`--timeline-to keeps the first ${timeline.size} execs; ${timeline.dropped} later ones are left out of it`);
      const file = timeline.render(endMs, { nodes: nodes.join(','), reason });
      const failed = writeAtEnd('--timeline-to', opts.timelineTo, JSON.stringify(file) + '\n', `the timeline (${timeline.size} execs)`, log);
      if (failed) writeFailures.push(failed);
    }
    totals.gaps = gaps.list();
    if (reason === 'every node ended' && failures.length > 0) {
      if (failures.length === 1) throw failures[0]!;
      throw new UserError(`every node stopped tracing: ${failures.map((f) => f.message).join('; ')}`);
    }
    result = { totals, reason, cleanedUp: true, failures, writeFailures, diff: diffResult };
  } catch (e) {
    // Ctrl-C while the debug pod starts ends the run like Ctrl-C while tracing: cleanup, exit 0.
    if (!(e instanceof Interrupted)) throw e;
    log.progress(e.message);
    result = { totals, reason: e.why, cleanedUp: true, failures: [], writeFailures: [] };
  } finally {
    await Promise.all(traces.map((t) => t.stop()));
    // A run cut short (Ctrl-C while another node's pod starts, an error) still writes what it traced.
    flushPathSearches();
    localPods?.stop();
    if (cluster && !(await cluster.cleanup()) && result) result.cleanedUp = false;
  }
  return result;
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
