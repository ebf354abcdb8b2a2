/**
 * Every human output counts a PATH search once, on the one definition of path-search.ts: the table,
 * the table with --failed, the summary, the Markdown summary and the timeline agree; JSON keeps
 * every attempt and marks the folded ones.
 */
import { describe, expect, it } from 'vitest';
import { makeFilter } from '../join/filter.js';
import type { AttributedEvent } from '../join/types.js';
import { NO_FILTERS, podEvent, T0 } from './fixtures.test-helpers.js';
import { createPrinter, type OutputFormat } from './index.js';
import { MarkdownSummary } from './markdown.js';
import { PathSearchMarker } from './path-search.js';
import { Summary } from './summary.js';
import { Timeline } from './timeline.js';

const ex = (pid: number, filename: string, retval: number, args: string[], dt = 0): AttributedEvent =>
  podEvent({ pid, tid: pid, filename, retval, args, comm: retval === 0 ? args[0]! : 'env', timeMs: T0 + dt });

// PATH=/nonexistent:/tmp/x:/tmp/x:/usr/bin
const recording: AttributedEvent[] = [
  // found: one successful exec
  ex(1, '/nonexistent/sleep', -2, ['sleep', '0']),
  ex(1, '/tmp/x/sleep', -2, ['sleep', '0']),
  ex(1, '/tmp/x/sleep', -2, ['sleep', '0']),
  ex(1, '/usr/bin/sleep', 0, ['sleep', '0']),
  // found nothing: one failure naming the command
  ex(2, '/nonexistent/nope', -2, ['nope'], 1),
  ex(2, '/tmp/x/nope', -2, ['nope'], 1),
  ex(2, '/tmp/x/nope', -2, ['nope'], 1),
  ex(2, '/usr/bin/nope', -2, ['nope'], 1),
  // no search: a failed exec of a path, and a plain exec
  ex(3, '/nonexistent', -2, ['/nonexistent'], 2),
  ex(4, '/usr/bin/true', 0, ['true'], 3),
];

/** The recording as run.ts passes it on: marked, then filtered. */
function outputs(failed: boolean) {
  const keep = makeFilter(null, { ...NO_FILTERS, failed }, null);
  const lines: Record<OutputFormat, string[]> = { table: [], wide: [], json: [], summary: [] };
  const printers = (['table', 'json'] as const).map((f) => createPrinter(f, { write: (l) => lines[f].push(l), width: null }));
  const summary = new Summary();
  const markdown = new MarkdownSummary();
  const timeline = new Timeline();
  const marker = new PathSearchMarker((e) => {
    if (!keep(e)) return;
    for (const p of printers) p.event(e);
    summary.add(e);
    markdown.add(e);
    timeline.exec(e);
  });
  for (const e of recording) marker.push(e);
  marker.flush();
  for (const p of printers) p.end();
  const instants = timeline.render(T0 + 10).traceEvents.filter((t) => t.ph !== 'M');
  return { lines, summary: summary.rows(), markdown: markdown.render(), instants };
}

describe('a PATH search through a repeated directory is counted once in every human output', () => {
  it.each([false, true])('--failed %s', (failed) => {
    const o = outputs(failed);
    const execs = failed ? 2 : 4;
    expect(o.lines.table.slice(1)).toHaveLength(execs);
    expect(o.lines.table.filter((l) => / ENOENT /.test(l)).map((l) => l.replace(/.* ENOENT +/, ''))).toEqual(['nope', '/nonexistent']);
    expect(o.summary.map((r) => [r.execs, r.failed])).toEqual([[execs, 2]]);
    expect(o.markdown).toContain(`**${execs} execs**`);
    expect(o.markdown).toContain('**2 failed**');
    expect(o.markdown).toMatch(/`\/usr\/bin\/nope` \| `nope` \| ENOENT/);
    expect(o.markdown).not.toContain('/tmp/x/nope');
    expect(o.instants.map((t) => t.ph).sort()).toEqual(failed ? ['i', 'i'] : ['X', 'X', 'i', 'i']);
    // JSON: every attempt (the failed ones with --failed), the folded ones marked.
    const json = o.lines.json.map((l) => JSON.parse(l) as { filename: string; pathSearch?: true });
    expect(json).toHaveLength(failed ? 8 : 10);
    expect(json.filter((j) => j.pathSearch).map((j) => j.filename)).toEqual([
      '/nonexistent/sleep',
      '/tmp/x/sleep',
      '/tmp/x/sleep',
      '/nonexistent/nope',
      '/tmp/x/nope',
      '/tmp/x/nope',
    ]);
  });
});
