/**
 * `--baseline OLD… [--fail-on KINDS] [--allow FILE]`, for `report` and for a live trace: reads the
 * baseline recording into a Profile (with the PATH search folding and the filters of the run, read
 * on the records' clock like `report`), then takes the execs being compared one by one and says
 * at the end what is new (src/report/baseline.ts) and whether the exit code is 3.
 */
import { readFileSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { UserError } from '../errors.js';
import type { AttributedEvent } from '../join/types.js';
import type { Log } from '../log.js';
import { folded, PathSearchMarker, recordClock } from '../output/path-search.js';
import { allowed, AllowListError, parseAllowList, type AllowRule } from './allow-list.js';
import { Findings, Profile, type Finding, type FindingKind } from './baseline.js';
import { execFactsOfEvent, NO_FACTS, type ExecFacts } from './exec-facts.js';
import type { DiffFacts } from './findings-output.js';
import { checkReadable, readLines } from './read.js';
import { parseRecordLine } from './record.js';
import { RecordingCheck } from './recording-check.js';
import { sightingOf } from './sighting.js';

export interface BaselineOptions {
  /** The baseline's recordings (-o json lines, .gz too). */
  readonly sources: readonly string[];
  /** Kinds of finding that make the exit code 3. */
  readonly failOn: readonly FindingKind[];
  /** The allow-list file, or null. */
  readonly allow: string | null;
}

/** The exit code of a run whose comparison found a kind it was told to fail on. */
export const EXIT_FINDINGS = 3;

export interface DiffResult {
  /** What is new, --allow applied. */
  readonly findings: readonly Finding[];
  readonly facts: DiffFacts;
  /** The --fail-on kinds among the findings (empty: exit 0 as far as the diff goes). */
  readonly failing: readonly FindingKind[];
}

export class BaselineDiff {
  private readonly findings: Findings;
  private compared = 0;

  constructor(
    private readonly opts: BaselineOptions,
    private readonly baselineExecs: number,
    profile: Profile,
    private readonly rules: readonly AllowRule[],
  ) {
    this.findings = new Findings(profile);
  }

  /** One exec being compared, after the filters; a folded PATH search attempt is not one. */
  add(e: AttributedEvent, facts: ExecFacts = execFactsOfEvent(e)): void {
    if (e.event.exit || folded(e)) return;
    this.compared++;
    this.findings.add(sightingOf(e, facts));
  }

  result(compared: readonly string[]): DiffResult {
    const all = this.findings.list();
    const findings = all.filter((f) => !allowed(this.rules, f));
    return {
      findings,
      facts: {
        baseline: this.opts.sources.map(named),
        baselineExecs: this.baselineExecs,
        compared,
        comparedExecs: this.compared,
        allowed: all.length - findings.length,
      },
      failing: this.opts.failOn.filter((k) => findings.some((f) => f.kind === k)),
    };
  }
}

const named = (s: string): string => (s === '-' ? 'stdin' : s);

/**
 * Reads the baseline and the allow-list: a BaselineDiff ready for the execs to compare. `keep` is
 * the run's filter; errors (a file that cannot be read, is not a recording, a bad allow rule) are
 * UserErrors naming the flag.
 */
export async function loadBaseline(
  opts: BaselineOptions,
  keep: (e: AttributedEvent) => boolean,
  log: Log,
  stdin: Readable = process.stdin,
): Promise<BaselineDiff> {
  const rules = opts.allow === null ? [] : readAllowList(opts.allow);
  try {
    checkReadable(opts.sources);
  } catch (e) {
    if (e instanceof UserError)
      throw new UserError(`--baseline: ${e.message}`, 'give the recording of an earlier run (-o json > baseline.jsonl)');
    throw e;
  }
  const profile = new Profile();
  let execs = 0;
  let malformed = 0;
  const facts = new WeakMap<AttributedEvent, ExecFacts>();
  const clock = recordClock();
  const marker = new PathSearchMarker((e) => {
    if (folded(e) || !keep(e)) return;
    execs++;
    profile.add(sightingOf(e, facts.get(e) ?? NO_FACTS));
  }, clock.schedule);
  const check = new RecordingCheck();
  for await (const line of readLines(opts.sources, stdin)) {
    const r = parseRecordLine(line.text);
    if (r.kind === 'malformed') malformed++;
    if (r.kind === 'exec') {
      facts.set(r.event, r.facts);
      clock.advanceTo(r.event.event.timeMs);
      marker.push(r.event);
    } else if (r.kind === 'exit') clock.advanceTo(r.exit.timeMs);
    check.line(
      line.source,
      line.lineNo,
      line.text,
      r.kind === 'malformed' ? { kind: 'malformed', reason: r.reason } : r.kind === 'skip' ? { kind: 'other' } : { kind: 'record' },
      null,
    );
  }
  marker.flush();
  const bad = check.end().notRecordings[0];
  if (bad)
    throw new UserError(
      `--baseline: ${named(bad.source)} is not a recording: none of its ${bad.lines} lines is an exec record of trace-exec -o json`,
      'give the file written by -o json of an earlier run',
    );
  if (malformed > 0) log.warn(`--baseline: ${malformed} malformed lines skipped`);
  log.progress(
    `baseline: ${execs} execs read from ${opts.sources.map(named).join(', ')}${rules.length > 0 ? `, ${rules.length} --allow rules` : ''}`,
  );
  return new BaselineDiff(opts, execs, profile, rules);
}

function readAllowList(file: string): AllowRule[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UserError(
      `--allow ${file}: cannot read it: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'a directory' : (e as Error).message}`,
      'one rule a line: WORKLOAD [EXECUTABLE], e.g. "deploy/web /bin/sh" (docs/report.md)',
    );
  }
  try {
    return parseAllowList(text, file);
  } catch (e) {
    if (e instanceof AllowListError) throw new UserError(`--allow ${e.message}`);
    throw e;
  }
}
