/**
 * Whole outputs of a large recorded-like stream (corpus.test-helpers.ts: 3 000 execs of every
 * shape the program prints), decoded, joined and printed as the CLI does — chunks cut anywhere, a
 * 100 ms ticker, pods arriving late, PATH searches marked — must stay byte for byte what they were:
 * the hot path (records → assembler → join → printers) is rewritten for speed, never for output.
 * The golden files were written by the code before that rewrite; UPDATE_GOLDEN=1 rewrites them
 * (only for an intended change of output: review the diff of the unzipped files).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { TraceDecoder } from '../events/decoder.js';
import { Joiner } from '../join/join.js';
import { PodIndex } from '../join/pod-index.js';
import type { AttributedEvent } from '../join/types.js';
import { createPrinter, type OutputFormat } from '../output/index.js';
import { PathSearchMarker, recordClock } from '../output/path-search.js';
import { makeCorpus, random } from './corpus.test-helpers.js';

const golden = (name: string) => new URL(`./golden/${name}.gz`, import.meta.url);

/** The CLI's read path for one node, on a fake clock: every printer is fed the same events. */
function replay(seed: number, execs: number, outputs: { format: OutputFormat; width: number | null }[]): string[] {
  const corpus = makeCorpus(seed, execs);
  let now = corpus.wallMs;
  const index = new PodIndex();
  for (const p of corpus.pods) index.upsert(p);
  const joiner = new Joiner(index, { node: 'worker-1' });
  const texts = outputs.map(() => [] as string[]);
  const printers = outputs.map((o, i) => createPrinter(o.format, { write: (l) => texts[i]!.push(l), width: o.width }));
  const clock = recordClock();
  const marker = new PathSearchMarker((a: AttributedEvent) => {
    for (const p of printers) p.event(a);
  }, clock.schedule);
  const notices: string[] = [];
  const decoder = new TraceDecoder(
    { strlen: corpus.strlen, levels: corpus.levels, argsMax: corpus.argsMax },
    {
      event: (e) => {
        for (const a of joiner.push(e, now)) marker.push(a);
      },
      notice: (n) =>
        notices.push(n.kind === 'started' ? `started ${n.monoNs}` : n.kind === 'lost' ? `lost ${n.count}` : `malformed ${n.reason}`),
    },
    () => now,
  );
  const next = random(seed + 1);
  const { bytes } = corpus;
  let lastTick = now;
  let late = false;
  // The S records (tracing) on their own, before the corpus: its chunk cuts stay where the goldens had them.
  decoder.push('{"type": "printf", "data": "S 1 1000000000\\n"}\n{"type": "printf", "data": "S 2 1000000000\\n"}\n');
  for (let at = 0; at < bytes.length; ) {
    const size = 1 + Math.floor(next() * 8192);
    decoder.push(bytes.subarray(at, at + size));
    at += size;
    now += Math.floor(next() * 40);
    clock.advanceTo(now);
    if (!late && at > bytes.length / 3) {
      late = true;
      for (const p of corpus.latePods) index.upsert(p);
      for (const a of joiner.retry(now)) marker.push(a);
    }
    if (now - lastTick >= 100) {
      lastTick = now;
      decoder.tick();
      for (const a of joiner.retry(now)) marker.push(a);
    }
  }
  decoder.end();
  for (const a of joiner.retry(now, true)) marker.push(a);
  marker.flush();
  for (const p of printers) p.end();
  const s = decoder.stats;
  const trailer = `notices: ${notices.join(', ')}; stats: ${JSON.stringify(s)}`;
  return texts.map((t) => `${[...t, trailer].join('\n')}\n`);
}

const OUTPUTS: { name: string; format: OutputFormat; width: number | null }[] = [
  { name: 'json', format: 'json', width: null },
  { name: 'table-piped', format: 'table', width: null },
  { name: 'wide-piped', format: 'wide', width: null },
  { name: 'table-100', format: 'table', width: 100 },
  { name: 'wide-200', format: 'wide', width: 200 },
  { name: 'summary', format: 'summary', width: null },
];

describe('whole outputs of a large stream stay byte-identical', () => {
  const texts = replay(25, 3000, OUTPUTS);

  it('the stream is large and varied (the corpus did not shrink to nothing)', () => {
    const json = texts[0]!.split('\n').filter((l) => l.startsWith('{'));
    expect(json.length).toBeGreaterThan(3000);
    const lines = json.map((l) => JSON.parse(l) as Record<string, unknown>);
    const count = (f: (r: Record<string, unknown>) => boolean) => lines.filter(f).length;
    expect(count((r) => r.attribution === 'pod')).toBeGreaterThan(500);
    expect(count((r) => r.attribution === 'host')).toBeGreaterThan(500);
    expect(count((r) => r.attribution === 'unattributed')).toBeGreaterThan(100);
    expect(count((r) => r.pathSearch === true)).toBeGreaterThan(100);
    expect(count((r) => r.retval === null)).toBeGreaterThan(10);
    expect(count((r) => r.argsTruncated === true)).toBeGreaterThan(100);
    expect(count((r) => (r.args as string[]).some((a) => /[^\u0000-\u007f]/.test(a)))).toBeGreaterThan(500);
  });

  it.each(OUTPUTS.map((o, i) => [o.name, i] as const))('%s', (name, i) => {
    const file = golden(name);
    if (process.env.UPDATE_GOLDEN === '1') writeFileSync(file, gzipSync(texts[i]!, { level: 9 }));
    if (!existsSync(file))
      expect.fail(`golden file ${fileURLToPath(file)} is missing: run UPDATE_GOLDEN=1 npx vitest run src/trace/output-golden.test.ts`);
    const want = gunzipSync(readFileSync(file)).toString('utf8');
    const got = texts[i]!;
    if (got === want) return;
    // The first line that differs, not a 5 MB diff.
    const a = want.split('\n');
    const b = got.split('\n');
    const at = a.findIndex((l, j) => l !== b[j]);
    expect({ line: at + 1, got: b[at], lines: b.length }).toEqual({ line: at + 1, got: a[at], lines: a.length });
  });
});
