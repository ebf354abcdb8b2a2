/**
 * `kubectl trace-exec report FILE…`: a recording (JSON lines of `-o json`) → the summary a live run
 * would have printed (`-o summary`), a Markdown summary (`-o markdown`), and/or a timeline
 * (`--timeline-to`). No cluster, no root: lines → records (src/report/) → the live run's filter →
 * the live run's renderers (src/output/).
 */
import { writeFileSync } from 'node:fs';
import type { Readable } from 'node:stream';
import type { Log } from './log.js';
import { makeFilter, type Filters } from './join/filter.js';
import type { AttributedEvent } from './join/types.js';
import { MarkdownSummary, mdCode, type EndedProcess } from './output/markdown.js';
import { Summary } from './output/summary.js';
import { endedBadly } from './events/wait-status.js';
import { PathSearchMarker, recordClock } from './output/path-search.js';
import { MAX_TIMELINE_EXECS, Timeline } from './output/timeline.js';
import { checkReadable, readLines } from './report/read.js';
import { parseRecordLine, TOTALS_KIND, totalsShown } from './report/record.js';
import { RecordingCheck, type LineKind, type NotARecording } from './report/recording-check.js';
import { UserError } from './errors.js';
import type { ReportFormat } from './output/index.js';

/** What `report` needs (built from its flags by src/cli/report-options.ts). */
export interface ReportOptions {
  /** Files to read, in order; `-` is stdin. */
  readonly sources: readonly string[];
  readonly output: ReportFormat;
  readonly timelineTo: string | null;
  readonly namespaces: readonly string[] | null;
  /** Pod names (pod/NAME): any of them, in any namespace -n keeps. */
  readonly pods: readonly string[] | null;
  readonly filters: Filters;
  readonly verbose: boolean;
  /** --baseline, --fail-on, --allow: compare instead of summarising; null without --baseline. */
  readonly baseline: BaselineOptions | null;
}
import { loadBaseline, type BaselineOptions, type DiffResult } from './report/diff.js';
import { NO_FACTS, type ExecFacts } from './report/exec-facts.js';
import { renderFindingsMarkdown, renderFindingsText, toJsonFinding } from './report/findings-output.js';
import { entryKept, ProcessEntries } from './report/process-entries.js';

/** Malformed lines named one by one on stderr (all of them with -v); the rest are counted. */
const MALFORMED_SHOWN = 5;

export interface ReportIo {
  /** One line of stdout. */
  out(line: string): void;
  log: Log;
  stdin: Readable;
  /** Terminal columns when stdout is a TTY (the summary is fitted to them), null when piped. */
  width: number | null;
}

export interface ReportCounts {
  lines: number;
  execs: number;
  shown: number;
  exits: number;
  malformed: number;
  /** Lines that are neither: blank, a totals line, a record type this version does not know. */
  skipped: number;
}

export interface ReportResult {
  counts: ReportCounts;
  /** Files it was asked to write and could not, with why. */
  writeFailures: string[];
  /** With --baseline: what is new, and the --fail-on kinds found. */
  diff: DiffResult | null;
}

type TimelineItem = { timeMs: number; exec: AttributedEvent; upperLayer?: boolean | null } | { timeMs: number; exit: EndedProcess };

export async function report(opts: ReportOptions, io: ReportIo): Promise<ReportResult> {
  const { log } = io;
  const counts: ReportCounts = { lines: 0, execs: 0, shown: 0, exits: 0, malformed: 0, skipped: 0 };
  const keep = makeFilter(opts.namespaces, opts.filters, null);
  const pods = opts.pods ? new Set(opts.pods) : null;
  const keepExec = (e: AttributedEvent): boolean => keep(e) && (pods === null || (e.pod !== null && pods.has(e.pod)));
  const keepExit = (x: EndedProcess): boolean =>
    exitKept(x, opts, pods, drifted.has(processKey(x.node, x.pid))) && entryKept(entries.entryOf(x.node, x.pid), opts.filters);
  // --sessions, --no-probes: an exit line does not say how its process entered, its exec line does.
  const entries = new ProcessEntries(opts.filters.sessions || opts.filters.noProbes);
  // --drift: exit lines do not say where the file came from, their process's exec line does (read
  // before them, in a recording of one trace): the processes whose last exec was drift, bounded.
  const drifted = new Set<string>();
  const noteExec = (e: AttributedEvent): void => {
    if (!opts.filters.drift || e.event.retval !== 0) return;
    const key = processKey(e.node, e.event.pid);
    drifted.delete(key);
    if (e.event.upperLayer !== true) return;
    if (drifted.size >= MAX_DRIFTED) drifted.delete(drifted.values().next().value!);
    drifted.add(key);
  };
  // --baseline: the comparison replaces the summary. The baseline is another run: its pods have
  // other names, so pod/NAME does not apply to it.
  const diff = opts.baseline ? await loadBaseline(opts.baseline, keep, log, io.stdin) : null;
  const factsOf = new WeakMap<AttributedEvent, ExecFacts>();
  const summary = opts.output === 'summary' && !diff ? new Summary() : null;
  const markdown = opts.output === 'markdown' && !diff ? new MarkdownSummary() : null;
  // Files may come in any order (several nodes, rotated files): the timeline is fed by time at the end.
  const timelineItems: TimelineItem[] | null = opts.timelineTo ? [] : null;
  let timelineDropped = 0;
  const toTimeline = (item: TimelineItem): void => {
    if (!timelineItems) return;
    if (timelineItems.length < MAX_TIMELINE_EXECS) timelineItems.push(item);
    else timelineDropped++;
  };
  let lastMs = -Infinity;
  // As in a live run: the PATH search marker before the filters (see src/output/path-search.ts), on
  // the records' clock. A recording made by this version has the marks already; they are kept.
  // Lines written before `upperLayer` existed (the timeline then leaves it out; the event says null).
  const noLayer = new WeakSet<AttributedEvent>();
  const exec = (e: AttributedEvent): void => {
    noteExec(e);
    entries.exec(e);
    if (!keepExec(e)) return;
    counts.shown++;
    summary?.add(e);
    markdown?.add(e);
    diff?.add(e, factsOf.get(e) ?? NO_FACTS);
    toTimeline({ timeMs: e.event.timeMs, exec: e, ...(noLayer.has(e) ? {} : { upperLayer: e.event.upperLayer }) });
  };
  const clock = recordClock();
  const marker = new PathSearchMarker(exec, clock.schedule);

  const check = new RecordingCheck();
  checkReadable(opts.sources);
  for await (const line of readLines(opts.sources, io.stdin)) {
    counts.lines++;
    const r = parseRecordLine(line.text);
    let warning: string | null = null;
    let what: LineKind = { kind: 'record' };
    switch (r.kind) {
      case 'malformed':
        counts.malformed++;
        what = { kind: 'malformed', reason: r.reason };
        if (opts.verbose || counts.malformed <= MALFORMED_SHOWN)
          warning = `${sourceName(line.source)}:${line.lineNo}: malformed line skipped: ${r.reason}`;
        break;
      case 'skip':
        counts.skipped++;
        what =
          r.why === 'blank'
            ? { kind: 'blank' }
            : r.why === TOTALS_KIND
              ? { kind: 'totals', shown: totalsShown(line.text) }
              : { kind: 'other' };
        if (r.why !== 'blank') log.debug(`${line.source}:${line.lineNo}: skipped (${r.why})`);
        break;
      case 'exec': {
        counts.execs++;
        if (r.event.event.timeMs > lastMs) lastMs = r.event.event.timeMs;
        if (timelineItems && r.upperLayer === undefined) noLayer.add(r.event);
        if (diff) factsOf.set(r.event, r.facts);
        clock.advanceTo(r.event.event.timeMs);
        marker.push(r.event);
        break;
      }
      case 'exit':
        counts.exits++;
        if (r.exit.timeMs > lastMs) lastMs = r.exit.timeMs;
        clock.advanceTo(r.exit.timeMs);
        if (!keepExit(r.exit)) break;
        summary?.exit(r.exit);
        markdown?.exit(r.exit);
        toTimeline({ timeMs: r.exit.timeMs, exit: r.exit });
        break;
    }
    for (const w of check.line(line.source, line.lineNo, line.text, what, warning)) log.warn(w);
  }
  marker.flush();
  const checked = check.end();
  if (checked.notRecordings.length > 0) throw notARecording(checked.notRecordings[0]!);
  for (const w of checked.warnings) log.warn(w);
  if (counts.malformed > MALFORMED_SHOWN && !opts.verbose)
    log.warn(`${counts.malformed - MALFORMED_SHOWN} more malformed lines skipped (-v names each)`);
  if (counts.execs === 0 && counts.lines > 0) log.warn('no exec records in the input: was it written by trace-exec -o json?');

  const sources = opts.sources.map((s) => (s === '-' ? 'stdin' : s));
  if (summary) for (const l of summary.render(io.width).split('\n')) io.out(l);
  if (markdown) {
    const filtered = counts.shown < counts.execs ? `, ${counts.shown} of them kept by the filters` : '';
    const fact =
      `Recorded in ${sources.map(mdCode).join(', ')}: ${counts.execs} execs${filtered}` +
      (counts.exits > 0 ? `, ${counts.exits} exits` : '') +
      (counts.malformed > 0 ? `; ${counts.malformed} malformed lines skipped` : '') +
      '.';
    for (const l of markdown.render('trace-exec summary', [fact]).split('\n')) io.out(l);
  }

  let diffResult: DiffResult | null = null;
  if (diff) {
    diffResult = diff.result(sources);
    const { findings, facts } = diffResult;
    const text =
      opts.output === 'json'
        ? findings.map((f) => JSON.stringify(toJsonFinding(f))).join('\n')
        : opts.output === 'markdown'
          ? renderFindingsMarkdown(findings, facts).trimEnd()
          : renderFindingsText(findings, facts, io.width);
    if (text !== '') for (const l of text.split('\n')) io.out(l);
    if (opts.output === 'json')
      log.progress(`baseline diff: ${findings.length} findings${facts.allowed > 0 ? ` (${facts.allowed} more allowed by --allow)` : ''}`);
  }

  const writeFailures: string[] = [];
  if (timelineItems && opts.timelineTo) {
    const timeline = new Timeline();
    timelineItems.sort((a, b) => a.timeMs - b.timeMs);
    for (const item of timelineItems) {
      if ('exec' in item) timeline.exec(item.exec, 'upperLayer' in item ? { upperLayer: item.upperLayer } : {});
      else timeline.exit(item.exit.node, item.exit.pid, item.exit.timeMs, { exitCode: item.exit.exitCode, signal: item.exit.signal });
    }
    if (timelineDropped > 0)
      log.warn(`--timeline-to keeps the first ${MAX_TIMELINE_EXECS} records read; ${timelineDropped} later ones are left out of it`);
    // A recording does not say when its trace ended: spans still open end at its last record.
    const file = timeline.render(Number.isFinite(lastMs) ? lastMs : 0, {
      sources: sources.join(','),
      ...(timelineDropped > 0 ? { droppedRecords: timelineDropped } : {}),
    });
    try {
      writeFileSync(opts.timelineTo, JSON.stringify(file) + '\n');
      log.progress(`wrote the timeline (${timeline.size} execs) to ${opts.timelineTo}`);
    } catch (e) {
      writeFailures.push(`could not write --timeline-to ${opts.timelineTo}: ${(e as Error).message}`);
    }
  }
  log.progress(
    `report: read ${counts.lines} lines from ${sources.length === 1 ? sources[0] : `${sources.length} files`}: ${counts.execs} execs (${counts.shown} kept by the filters)` +
      `${counts.exits > 0 ? `, ${counts.exits} exits` : ''}, ${counts.malformed} malformed lines skipped`,
  );
  return { counts, writeFailures, diff: diffResult };
}

const sourceName = (source: string): string => (source === '-' ? 'stdin' : source);

function notARecording(n: NotARecording): UserError {
  // JSON.parse's own words ("Unexpected token 't', \"trace-exec: \"... is not valid JSON") add nothing here.
  const first = n.firstMalformed ? ` (line ${n.firstMalformed.lineNo}: ${n.firstMalformed.reason.replace(/ \(.*\)$/, '')})` : '';
  return new UserError(
    `${sourceName(n.source)} is not a recording: none of its ${n.lines} lines is an exec or exit record of trace-exec -o json${first}`,
    n.looksLikeStderr
      ? "it looks like trace-exec's stderr (diagnostics); the recording is what -o json writes to stdout (-o json > execs.jsonl)"
      : 'give the file written by -o json (-o json > execs.jsonl)',
  );
}

/**
 * The filters, for a process that ended: its pod, namespace, container and command as for an exec;
 * --failed keeps processes that exited non-zero or by a signal; --host those in no pod; --drift
 * those whose last exec, read before, ran a file from the writable layer (an exit record does not
 * say where its executable came from).
 */
function exitKept(x: EndedProcess, o: ReportOptions, pods: ReadonlySet<string> | null, drifted: boolean): boolean {
  const f = o.filters;
  if (o.namespaces && (x.namespace === null || !o.namespaces.includes(x.namespace))) return false;
  if (pods && (x.pod === null || !pods.has(x.pod))) return false;
  if (f.container && (x.container === null || !f.container.includes(x.container))) return false;
  if (f.comm && !f.comm.some((re) => re.test(x.comm))) return false;
  if (f.failed && !endedBadly(x)) return false;
  if (f.host && x.pod !== null) return false;
  if (f.drift && !drifted) return false;
  return true;
}

/** Processes remembered for --drift's exit lines (as the live client remembers execs for --exits). */
const MAX_DRIFTED = 65_536;

const processKey = (node: string, pid: number): string => `${node}\0${pid}`;
