/**
 * A GitHub-flavoured Markdown summary (`--summary-to F --summary-format markdown`, `report -o
 * markdown`): totals, a table per namespace (host processes and unmatched pod cgroups each get their
 * own), the failed execs; a drift section when some exec ran a file on overlayfs (`upperLayer`
 * true or false), an exits section when exits were recorded. Written for $GITHUB_STEP_SUMMARY.
 *
 * Keeps the Summary's counters, and at most MAX_LISTED failed execs, drift execs and exit groups'
 * worth of detail: memory does not grow with the trace.
 */
import type { AttributedEvent } from '../join/types.js';
import { containerCell, formatArgs, HOST_NAMESPACE, namespaceCell, podCell, UNKNOWN_NAMESPACE } from './columns.js';
import { errnoName } from './errno.js';
import { folded } from './path-search.js';
import { escapeUnprintable } from './quote.js';
import { endedProcessOf, Summary, type EndedProcess, type SummaryRow } from './summary.js';
import { sessionEnd, sessionPlace, sessionWho } from './sessions.js';

/** Failed execs (and drift execs) listed one by one; more are counted. */
export const MAX_LISTED = 50;
/** Characters of argv shown in a listed exec. */
const ARGS_CHARS = 120;

export type { EndedProcess } from './summary.js';

interface Listed {
  timeMs: number;
  where: string;
  container: string;
  comm: string;
  filename: string;
  args: string;
  error: string;
}

/** Text in a table cell: control characters visible, Markdown's punctuation and `|` escaped. */
export function mdText(s: string): string {
  return escapeUnprintable(s).replace(/[\\`*_{}[\]<>()#+!|~&]/g, '\\$&');
}

/** A code span in a table cell: backticks inside get a longer fence, `|` is escaped (GFM reads `\|` in a cell as `|`). */
export function mdCode(s: string): string {
  const text = escapeUnprintable(s).replaceAll('|', '\\|');
  if (text === '') return '';
  const longest = Math.max(0, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = '`'.repeat(longest + 1);
  const pad = text.startsWith('`') || text.endsWith('`') || (text.startsWith(' ') && text.endsWith(' ')) ? ' ' : '';
  return `${fence}${pad}${text}${pad}${fence}`;
}

const row = (cells: readonly (string | number)[]): string => `| ${cells.join(' | ')} |`;
const table = (head: readonly string[], align: string, rows: readonly (readonly (string | number)[])[]): string[] => [
  row(head),
  `|${align}|`,
  ...rows.map(row),
];
const clock = (ms: number): string => new Date(ms).toISOString().slice(11, 19);
const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;
const cut = (s: string, n: number): string => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

export class MarkdownSummary {
  private readonly summary = new Summary();
  private execs = 0;
  private failed = 0;
  private firstMs = Infinity;
  private lastMs = -Infinity;
  private readonly nodes = new Set<string>();
  private readonly failedList: Listed[] = [];
  /** Execs of a file on overlayfs, whose layer is known (upperLayer true or false): the drift section then shows. */
  private driftKnown = 0;
  private driftCount = 0;
  private readonly driftList: Listed[] = [];

  /** One exec (upperLayer null: not on overlayfs, or from a recording without the field). */
  add(e: AttributedEvent): void {
    if (e.event.exit) return this.exit(endedProcessOf(e));
    // A PATH search counts once: as the exec that ran, or as its last failure (path-search.ts).
    if (folded(e)) return;
    this.summary.add(e);
    this.execs++;
    const t = e.event.timeMs;
    if (t < this.firstMs) this.firstMs = t;
    if (t > this.lastMs) this.lastMs = t;
    if (this.nodes.size < 100) this.nodes.add(e.node);
    const failed = e.event.retval !== null && e.event.retval < 0;
    if (failed) {
      this.failed++;
      if (this.failedList.length < MAX_LISTED) this.failedList.push(listed(e));
    }
    const upperLayer = e.event.upperLayer;
    if (upperLayer !== null) {
      this.driftKnown++;
      if (upperLayer) {
        this.driftCount++;
        if (this.driftList.length < MAX_LISTED) this.driftList.push(listed(e));
      }
    }
  }

  /** One process that ended. */
  exit(x: EndedProcess): void {
    this.summary.exit(x);
  }

  /**
   * The Markdown text. `title` is the heading; `facts` are lines said under it (where the trace came
   * from, what was lost), each a Markdown paragraph line already.
   */
  render(title = 'trace-exec summary', facts: readonly string[] = []): string {
    const out: string[] = [`## ${mdText(title)}`, ''];
    const rows = this.summary.rows();
    const podRows = rows.filter((r) => r.namespace !== HOST_NAMESPACE && r.namespace !== UNKNOWN_NAMESPACE);
    const hostExecs = rows.filter((r) => r.namespace === HOST_NAMESPACE).reduce((n, r) => n + r.execs, 0);
    const namespaces = [...new Set(podRows.map((r) => r.namespace))].sort();
    const pods = new Set(podRows.map((r) => `${r.namespace}/${r.pod}`)).size;
    let totals = `**${plural(this.execs, 'exec')}**`;
    if (this.execs > 0) {
      totals +=
        `: ${plural(pods, 'pod')} in ${plural(namespaces.length, 'namespace')}, ${hostExecs} on the host` +
        `; **${this.failed} failed**` +
        `; ${new Date(this.firstMs).toISOString().slice(0, 10)} ${clock(this.firstMs)} to ${clock(this.lastMs)} UTC` +
        `; ${this.nodes.size === 1 ? 'node' : 'nodes'} ${[...this.nodes].sort().map(mdCode).join(', ')}`;
    }
    out.push(totals + '.', ...facts.map((f) => `\n${f}`), '');
    if (this.execs === 0) return out.join('\n');

    out.push(...table(['namespace', 'pods', 'execs', 'failed'], '---|--:|--:|--:', namespaceTotals(rows)), '');

    const section = (heading: string, first: string, group: SummaryRow[]): void => {
      if (group.length === 0) return;
      out.push(`### ${heading}`, '');
      out.push(
        ...table(
          [first, 'container', 'execs', 'commands', 'failed', 'first', 'last', 'top commands'],
          '---|---|--:|--:|--:|---|---|---',
          group.map((r) => [
            mdText(r.pod),
            mdText(r.container),
            r.execs,
            r.commands,
            r.failed,
            clock(r.firstMs),
            clock(r.lastMs),
            r.top.map(([c, n]) => `${mdCode(c)}×${n}`).join(' '),
          ]),
        ),
        '',
      );
    };
    for (const ns of namespaces) section(`Namespace ${mdText(ns)}`, 'pod', podRows.filter((r) => r.namespace === ns).sort(byPod));
    section(
      'Host processes',
      'unit',
      rows.filter((r) => r.namespace === HOST_NAMESPACE),
    );
    section(
      'Pod cgroups no pod record matched',
      'pod',
      rows.filter((r) => r.namespace === UNKNOWN_NAMESPACE),
    );

    out.push('### Failed execs', '');
    if (this.failed === 0) out.push('None.', '');
    else out.push(...listedTable(this.failedList, 'error'), ...more(this.failed, this.failedList.length), '');

    if (this.driftKnown > 0) {
      out.push('### Drift: executables not from the image', '');
      if (this.driftCount > 0) {
        out.push(`${plural(this.driftCount, 'exec')} ran a file written into the container after it started (its writable layer):`, '');
        out.push(
          ...table(
            ['pod', 'container', 'drift execs', 'commonest files'],
            '---|---|--:|---',
            this.summary
              .driftRows()
              .map((d) => [
                mdText(d.namespace === HOST_NAMESPACE ? (d.pod === '-' ? 'host' : `host ${d.pod}`) : `${d.namespace}/${d.pod}`),
                mdText(d.container),
                d.execs,
                d.top.map(([f, n]) => `${mdCode(f)}×${n}`).join(' '),
              ]),
          ),
          '',
        );
        out.push(...listedTable(this.driftList, 'retval'), ...more(this.driftCount, this.driftList.length), '');
      } else out.push(`None: all ${plural(this.driftKnown, 'exec')} of a file on overlayfs ran a file of an image layer.`, '');
    }
    const sessions = this.summary.sessions;
    if (sessions.size > 0) {
      out.push('### Exec sessions', '');
      out.push(
        `Processes that entered a container through the runtime's exec (kubectl exec), with the commands run in them in order; those that ran a file from the writable layer first${sessions.dropped > 0 ? ` (${sessions.dropped} more sessions not kept)` : ''}:`,
        '',
      );
      for (const s of sessions.list()) {
        out.push(`#### ${mdText(sessionPlace(s))}${s.drift ? ' — ran a file not from the image' : ''}`, '');
        out.push(`${mdText(sessionWho(s))}; started ${clock(s.startMs)} UTC, ${mdText(sessionEnd(s))}.`, '');
        out.push(
          ...table(
            ['time (UTC)', 'command', 'result', 'cwd'],
            '---|---|---|---',
            s.commands.map((c) => [
              clock(c.timeMs),
              `${c.drift ? '**drift** ' : ''}${mdCode(c.argv)}`,
              c.error ? mdText(c.error) : 'ran',
              c.cwd === null ? '-' : mdCode(c.cwd),
            ]),
          ),
        );
        if (s.more > 0) out.push('', `…and ${s.more} more commands (the JSON lines have them all).`);
        out.push('');
      }
    }
    const exitsSeen = this.summary.exitsSeen;
    if (exitsSeen > 0) {
      out.push('### Exits', '');
      const bad = this.summary.exitRows();
      if (bad.length === 0) out.push(`All ${plural(exitsSeen, 'process', 'processes')} that ended exited with 0.`, '');
      else {
        out.push(`Processes that exited non-zero or by a signal (of ${exitsSeen} that ended):`, '');
        out.push(
          ...table(
            ['namespace', 'pod', 'ended', 'non-zero or signal', 'commonest commands'],
            '---|---|--:|--:|---',
            bad.map((g) => [mdText(g.namespace), mdText(g.pod), g.ended, g.bad, g.top.map(([c, n]) => `${mdCode(c)}×${n}`).join(' ')]),
          ),
          '',
        );
      }
    }
    return out.join('\n');
  }
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
const byPod = (a: SummaryRow, b: SummaryRow): number => cmp(a.pod, b.pod) || cmp(a.container, b.container);

function listed(e: AttributedEvent): Listed {
  const ns = namespaceCell(e);
  return {
    timeMs: e.event.timeMs,
    where: ns !== HOST_NAMESPACE ? `${ns}/${podCell(e)}` : podCell(e) === '-' ? 'host' : `host ${podCell(e)}`,
    container: containerCell(e),
    comm: e.event.comm,
    filename: e.event.filename,
    args: cut(formatArgs(e.event.args, e.event.argsTruncated), ARGS_CHARS),
    error: errnoName(e.event.retval) ?? String(e.event.retval ?? '-'),
  };
}

function listedTable(list: readonly Listed[], last: 'error' | 'retval'): string[] {
  return table(
    ['time (UTC)', 'pod', 'container', 'file', 'argv', last === 'error' ? 'error' : 'result'],
    '---|---|---|---|---|---',
    list.map((l) => [
      clock(l.timeMs),
      mdText(l.where),
      mdText(l.container),
      mdCode(l.filename),
      mdCode(l.args),
      l.error === '0' ? 'ran' : mdText(l.error),
    ]),
  );
}

function more(total: number, shown: number): string[] {
  return total > shown ? ['', `…and ${total - shown} more (the JSON lines have them all).`] : [];
}

/** One row per namespace (then host, then unmatched): pods, execs, failed. */
function namespaceTotals(rows: readonly SummaryRow[]): (string | number)[][] {
  const by = new Map<string, { pods: Set<string>; execs: number; failed: number }>();
  for (const r of rows) {
    const t = by.get(r.namespace) ?? { pods: new Set(), execs: 0, failed: 0 };
    t.pods.add(r.pod);
    t.execs += r.execs;
    t.failed += r.failed;
    by.set(r.namespace, t);
  }
  const rank = (ns: string): number => (ns === HOST_NAMESPACE ? 1 : ns === UNKNOWN_NAMESPACE ? 2 : 0);
  return [...by]
    .sort(([a], [b]) => rank(a) - rank(b) || cmp(a, b))
    .map(([ns, t]) => [
      ns === HOST_NAMESPACE ? 'host processes' : ns === UNKNOWN_NAMESPACE ? 'unmatched pod cgroups' : mdText(ns),
      ns === HOST_NAMESPACE ? '-' : t.pods.size,
      t.execs,
      t.failed,
    ]);
}
