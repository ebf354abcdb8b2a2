import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { removeTempDirs, tempDir } from '../../test/support/tmp.js';
import { checkReadable, readLines, type SourceLine } from './read.js';

afterAll(removeTempDirs);
const dir = tempDir('trace-exec-read-');

async function all(sources: string[], stdin: Readable = Readable.from([])): Promise<SourceLine[]> {
  const out: SourceLine[] = [];
  for await (const l of readLines(sources, stdin)) out.push(l);
  return out;
}

const file = (name: string, content: string | Buffer): string => {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
};

describe('readLines', () => {
  it.each<[string, string | Buffer, string[]]>([
    ['plain lines', 'a\nb\n', ['a', 'b']],
    ['no newline at the end', 'a\nb', ['a', 'b']],
    ['CRLF', 'a\r\nb\r\n', ['a', 'b']],
    ['empty', '', []],
    ['gzip, by its content whatever the name', gzipSync('a\nb\n'), ['a', 'b']],
    [
      'gzip of many lines',
      gzipSync(Array.from({ length: 20_000 }, (_, i) => `line ${i}`).join('\n')),
      Array.from({ length: 20_000 }, (_, i) => `line ${i}`),
    ],
  ])('%s', async (name, content, lines) => {
    const p = file(name.replaceAll(' ', '-'), content);
    const got = await all([p]);
    expect(got.map((l) => l.text)).toEqual(lines);
    expect(got.map((l) => l.lineNo)).toEqual(lines.map((_, i) => i + 1));
    expect(got.every((l) => l.source === p)).toBe(true);
  });

  it('several files one after another, and - for stdin (gzip too)', async () => {
    const a = file('a.jsonl', '1\n2\n');
    const b = file('b.jsonl.gz', gzipSync('3\n'));
    const got = await all([a, '-', b], Readable.from([gzipSync('s1\ns2\n')]));
    expect(got.map((l) => [l.source === '-' ? '-' : l.source.slice(dir.length + 1), l.lineNo, l.text])).toEqual([
      ['a.jsonl', 1, '1'],
      ['a.jsonl', 2, '2'],
      ['-', 1, 's1'],
      ['-', 2, 's2'],
      ['b.jsonl.gz', 1, '3'],
    ]);
  });

  it.each<[string, () => string, RegExp]>([
    ['a file that does not exist', () => join(dir, 'missing.jsonl'), /^cannot read \/.*missing\.jsonl: no such file$/],
    ['a directory', () => dir, /^cannot read \/.*: a directory$/],
    [
      'cut gzip data',
      () => file('cut.gz', gzipSync('a\n'.repeat(1000)).subarray(0, 30)),
      /^cannot read \/.*cut\.gz after line \d+: the gzip data is cut or damaged$/,
    ],
  ])('%s: one error naming it', async (_name, path, message) => {
    await expect(all([path()])).rejects.toThrow(message);
  });

  it('checkReadable: every file before any is read; stdin passes', () => {
    const ok = file('ok.jsonl', 'x\n');
    expect(() => checkReadable([ok, '-'])).not.toThrow();
    expect(() => checkReadable([ok, join(dir, 'missing')])).toThrow(/^cannot read \/.*missing: no such file$/);
    expect(() => checkReadable([dir])).toThrow(/: a directory$/);
  });
});
