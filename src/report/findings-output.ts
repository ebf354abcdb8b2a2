/**
 * A baseline diff's findings (src/report/baseline.ts) as the terminal's boxed table (fitted to its
 * width as the summary is: src/output/box.ts), GitHub-flavoured Markdown (a step summary), or JSON
 * lines (one finding a line; JsonFinding is the format). Pure.
 */
import { renderBox, type BoxColumn, type BoxLayout } from '../output/box.js';
import { mdCode, mdText } from '../output/markdown.js';
import { formatArgs } from '../output/columns.js';
import { wrapToWidth } from '../output/width.js';
import { SHOWN_ORDER, type Finding, type FindingKind } from './baseline.js';

/** What the comparison read, for the line above the findings. */
export interface DiffFacts {
  /** The baseline's sources, as given. */
  readonly baseline: readonly string[];
  readonly baselineExecs: number;
  /** What was compared with it: the recordings given, or `this trace`. */
  readonly compared: readonly string[];
  readonly comparedExecs: number;
  /** Findings left out by --allow. */
  readonly allowed: number;
}

/** One line of `report --baseline -o json`. Field order is part of the format. */
export interface JsonFinding {
  type: 'finding';
  kind: FindingKind;
  namespace: string | null;
  /** `deploy/web`…; `*` as the kind when only a pod name told it (see docs/report.md); `<host>`, `<unattributed>`. */
  workload: string;
  container: string | null;
  entry: string | null;
  /** The executable that ran (exe, else the filename); for new-failure the file name tried. */
  executable: string;
  /** Execs of the compared recording this finding stands for. */
  count: number;
  /** Distinct exec sessions among them (session findings, where the recording says). */
  sessions: number | null;
  /** The first one: when, its argv, where, its errno name (new-failure). */
  first: string;
  args: string[];
  node: string;
  pod: string | null;
  error: string | null;
}

export function toJsonFinding(f: Finding): JsonFinding {
  return {
    type: 'finding',
    kind: f.kind,
    namespace: f.namespace,
    workload: f.workload,
    container: f.container,
    entry: f.entry,
    executable: f.executable,
    count: f.count,
    sessions: f.sessions,
    first: new Date(f.firstMs).toISOString(),
    args: [...f.args],
    node: f.node,
    pod: f.pod,
    error: f.error,
  };
}

/** What each kind says, in the tables. */
const KIND_TEXT: Record<FindingKind, string> = {
  session: 'new in an exec session',
  drift: 'new drift',
  'new-exec': 'new executable',
  'new-failure': 'new failure',
};

const clock = (ms: number): string => new Date(ms).toISOString().slice(11, 19);
const example = (f: Finding): string => formatArgs(f.args, false) + (f.error ? `  (${f.error})` : '');
const counted = (f: Finding): string => `${f.count}${f.sessions !== null ? ` in ${f.sessions} session${f.sessions === 1 ? '' : 's'}` : ''}`;
const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

function headline(findings: readonly Finding[], facts: DiffFacts): string {
  const against = `${facts.compared.join(', ')} (${plural(facts.comparedExecs, 'exec')}) against the baseline ${facts.baseline.join(', ')} (${plural(facts.baselineExecs, 'exec')})`;
  const allowed = facts.allowed > 0 ? `; ${facts.allowed} more left out by --allow` : '';
  if (findings.length === 0) return `Baseline diff: nothing new in ${against}${allowed}.`;
  const byKind = SHOWN_ORDER.map((k) => [k, findings.filter((f) => f.kind === k).length] as const)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${n} ${k}`);
  return `Baseline diff: ${plural(findings.length, 'finding')} (${byKind.join(', ')}) in ${against}${allowed}:`;
}

const cell = (head: string, min: number, preferred: number): BoxColumn => ({ head, align: 'left', cut: 'middle', min, preferred });
const COLUMNS: readonly BoxColumn[] = [
  { head: 'FINDING', align: 'left', cut: 'never' },
  cell('NAMESPACE', 9, 14),
  cell('WORKLOAD', 10, 24),
  cell('CONTAINER', 9, 14),
  cell('EXECUTABLE', 16, 24),
  { head: 'COUNT', align: 'right', cut: 'never' },
  { head: 'FIRST', align: 'left', cut: 'never' },
  // An argv cut much shorter says nothing.
  { head: 'EXAMPLE', align: 'left', cut: 'middle', min: 20, preferred: 24 },
];
// Who and what stay longest (at 80 columns: FINDING WORKLOAD EXECUTABLE EXAMPLE); the first time and the container go first.
const FIT: BoxLayout = { drop: ['FIRST', 'CONTAINER', 'NAMESPACE', 'COUNT'] };

/**
 * At most this many findings are drawn in the text table: a baseline that does not match at all
 * (another cluster, the wrong file) finds every exec new, and a table of thousands says no more.
 */
export const MAX_TEXT_FINDINGS = 200;

/** The terminal's text: a headline, then (when any) the findings' table. */
export function renderFindingsText(findings: readonly Finding[], facts: DiffFacts, width: number | null): string {
  const head = wrapToWidth(headline(findings, facts), width);
  if (findings.length === 0) return head;
  const rows = findings
    .slice(0, MAX_TEXT_FINDINGS)
    .map((f) => [f.kind, f.namespace ?? '-', f.workload, f.container ?? '-', f.executable, counted(f), clock(f.firstMs), example(f)]);
  const more =
    findings.length > MAX_TEXT_FINDINGS
      ? `\n${wrapToWidth(`…and ${findings.length - MAX_TEXT_FINDINGS} more (-o json lists them all).`, width)}`
      : '';
  return `${head}\n${renderBox(COLUMNS, rows, width, FIT)}${more}`;
}

/** At most this many findings are listed in Markdown (a step summary has a size limit); the JSON lines have all. */
export const MAX_MARKDOWN_FINDINGS = 100;

export function renderFindingsMarkdown(findings: readonly Finding[], facts: DiffFacts): string {
  const out = ['## trace-exec baseline diff', '', mdText(headline(findings, facts))];
  if (findings.length === 0) return out.join('\n') + '\n';
  out.push(
    '',
    '| finding | namespace | workload | container | executable | count | first (UTC) | example |',
    '|---|---|---|---|---|---:|---|---|',
  );
  for (const f of findings.slice(0, MAX_MARKDOWN_FINDINGS)) {
    out.push(
      `| ${KIND_TEXT[f.kind]} (\`${f.kind}\`) | ${mdText(f.namespace ?? '-')} | ${mdCode(f.workload)} | ${mdText(f.container ?? '-')} | ${mdCode(f.executable)} | ${counted(f)} | ${clock(f.firstMs)} | ${mdCode(example(f))} |`,
    );
  }
  if (findings.length > MAX_MARKDOWN_FINDINGS)
    out.push('', `…and ${findings.length - MAX_MARKDOWN_FINDINGS} more (-o json lists them all).`);
  return out.join('\n') + '\n';
}
