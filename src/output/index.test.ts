import { describe, expect, it } from 'vitest';
import { OUTPUT_FORMATS, createPrinter, isOutputFormat, type OutputFormat } from './index.js';
import { formatJsonLine } from './json.js';
import { LiveTable } from './live.js';
import { PathSearchMarker } from './path-search.js';
import { hostEvent, podEvent, unattributedEvent } from './fixtures.test-helpers.js';

/** As run.ts feeds a printer: through the PATH search marker, flushed before end(). */
function run(format: OutputFormat, events = [podEvent(), hostEvent(), unattributedEvent()], width: number | null = null) {
  const lines: string[] = [];
  const p = createPrinter(format, { write: (l) => lines.push(l), width });
  const marker = new PathSearchMarker((e) => p.event(e));
  const afterEvents: string[][] = [];
  for (const e of events) {
    marker.push(e);
    afterEvents.push([...lines]);
  }
  marker.flush();
  p.end();
  return { lines, afterEvents };
}

describe('OUTPUT_FORMATS', () => {
  it('lists every format', () => {
    expect(OUTPUT_FORMATS).toStrictEqual(['table', 'wide', 'json', 'summary']);
    expect(Object.isFrozen(OUTPUT_FORMATS)).toBe(true);
  });
  it.each([
    { s: 'table', ok: true },
    { s: 'wide', ok: true },
    { s: 'json', ok: true },
    { s: 'summary', ok: true },
    { s: 'yaml', ok: false },
    { s: 'JSON', ok: false },
    { s: '', ok: false },
  ])('isOutputFormat($s) = $ok', ({ s, ok }) => {
    expect(isOutputFormat(s)).toBe(ok);
  });
});

describe('createPrinter', () => {
  // -8 (ENOEXEC) is no PATH search step: its row is not held back.
  const events = [podEvent(), hostEvent({ retval: -8 }), unattributedEvent({ args: ['with space', ''], argsTruncated: true })];

  it.each([false, true])('table/wide (wide=%s): header, then one row per event as it comes', (wide) => {
    const t = new LiveTable({ wide, width: null });
    const { lines, afterEvents } = run(wide ? 'wide' : 'table', events);
    expect(lines).toStrictEqual([t.header(), ...events.map((e) => t.row(e))]);
    expect(afterEvents.map((l) => l.length)).toStrictEqual([2, 3, 4]);
  });

  it.each<[OutputFormat, number]>([
    ['table', 1],
    ['wide', 1],
    ['json', 3],
  ])('%s: a PATH search is %d line(s)', (format, n) => {
    const search = [
      podEvent({ filename: '/usr/local/sbin/curl', retval: -2, args: ['curl', 'x'] }),
      podEvent({ filename: '/usr/local/bin/curl', retval: -2, args: ['curl', 'x'] }),
      podEvent({ filename: '/usr/bin/curl', retval: 0, args: ['curl', 'x'], comm: 'curl' }),
    ];
    const { lines } = run(format, search);
    const rows = format === 'json' ? lines : lines.slice(1);
    expect(rows).toHaveLength(n);
    expect(rows.at(-1)).toMatch(
      format === 'json'
        ? /"filename":"\/usr\/bin\/curl","args":\["curl","x"\],"argsTruncated":false,"retval":0,"error":null/
        : / curl +.*\b0 .*curl x$/,
    );
    if (format !== 'json') expect(rows.join('\n')).not.toContain('ENOENT');
    // JSON keeps every attempt; the failed ones of the search say so.
    if (format === 'json') expect(rows.map((l) => (JSON.parse(l) as { pathSearch?: boolean }).pathSearch)).toEqual([true, true, undefined]);
  });

  it('table: a failed exec held for a PATH search still comes out at the end', () => {
    const { lines } = run('table', [podEvent({ filename: '/nonexistent', retval: -2, args: ['/nonexistent'] })]);
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatch(/ ENOENT +\/nonexistent$/);
  });

  it.each<OutputFormat>(['table', 'wide'])('%s with no events still prints the header, once', (format) => {
    const lines: string[] = [];
    const p = createPrinter(format, { write: (l) => lines.push(l), width: 120 });
    p.end();
    p.end();
    expect(lines).toStrictEqual([new LiveTable({ wide: format === 'wide', width: 120 }).header()]);
  });

  it('table passes the terminal width on', () => {
    const args = ['x', 'y'.repeat(300)];
    const cut = run('table', [podEvent({ args })], 150).lines[1] ?? '';
    const piped = run('table', [podEvent({ args })], null).lines[1] ?? '';
    expect(cut.length).toBe(150);
    expect(cut.endsWith('…')).toBe(true);
    expect(piped.endsWith('y'.repeat(300))).toBe(true);
  });

  it('json: one line per event, nothing else', () => {
    const { lines, afterEvents } = run('json', events, 80);
    expect(lines).toStrictEqual(events.map(formatJsonLine));
    expect(afterEvents.map((l) => l.length)).toStrictEqual([1, 2, 3]);
  });

  // Borders and header: 3 lines; with rows also a separator under the header.
  it.each([
    { n: 0, total: 3 },
    { n: 3, total: 7 },
  ])('summary: nothing until end(), then the table line by line ($n events)', ({ n, total }) => {
    const { lines, afterEvents } = run('summary', events.slice(0, n));
    expect(afterEvents.every((l) => l.length === 0)).toBe(true);
    expect(lines.length).toBe(total);
    expect(lines[1]).toMatch(/^│ NAMESPACE .*│ TOP +│$/);
  });

  it.each<OutputFormat>(['table', 'wide', 'json', 'summary'])('%s: lines carry no newline; events after end() are ignored', (format) => {
    const lines: string[] = [];
    const p = createPrinter(format, { write: (l) => lines.push(l), width: 100 });
    for (const e of events) p.event(e);
    p.end();
    const count = lines.length;
    p.event(podEvent());
    p.end();
    expect(lines.length).toBe(count);
    for (const l of lines) expect(l).not.toMatch(/[\n\r]/);
  });

  it('rejects an unknown format at run time', () => {
    expect(() => createPrinter('yaml' as OutputFormat, { write: () => {}, width: null })).toThrow(/unknown output format "yaml"/);
  });
});
