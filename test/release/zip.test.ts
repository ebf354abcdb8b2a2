/** The release's zip writer (.ci/release/zip.ts): what unzip reads back, and the same bytes from the same files. */
import { tempDir, removeTempDirs } from '../support/tmp.js';
import { execFileSync } from 'node:child_process';
import { readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { dosDateTime, zipDir } from '../../.ci/release/zip.js';

afterAll(removeTempDirs);

describe('dosDateTime (UTC, 2-second steps, clamped to 1980–2107)', () => {
  const dos = (y: number, mo: number, d: number, h: number, mi: number, s: number) => ({ date: ((y - 1980) << 9) | (mo << 5) | d, time: (h << 11) | (mi << 5) | (s >> 1) });
  it.each<[string, number, { date: number; time: number }]>([
    ['2023-11-14T22:13:20Z', 1700000000, dos(2023, 11, 14, 22, 13, 20)],
    ['an odd second rounds down', 1700000001, dos(2023, 11, 14, 22, 13, 20)],
    ['0 (no SOURCE_DATE_EPOCH, no git): 1980-01-01', 0, dos(1980, 1, 1, 0, 0, 0)],
    ['after 2107: its last day', 5e9, dos(2107, 12, 31, 23, 59, 58)],
  ])('%s', (_what, epoch, expected) => {
    expect(dosDateTime(epoch)).toEqual(expected);
  });
});

describe('zipDir', () => {
  const make = (mtime: number): string => {
    const dir = tempDir('trace-exec-zip-src-');
    writeFileSync(join(dir, 'b.exe'), Buffer.alloc(100_000, 7), { mode: 0o755 });
    writeFileSync(join(dir, 'a.txt'), 'grüße\n'.repeat(100), { mode: 0o644 });
    writeFileSync(join(dir, 'empty'), '');
    for (const f of ['a.txt', 'b.exe', 'empty']) utimesSync(join(dir, f), mtime, mtime);
    return dir;
  };

  it('unzip reads it back: names sorted, contents, modes, the epoch as time', () => {
    const src = make(1234567890);
    const zip = join(tempDir('trace-exec-zip-out-'), 'x.zip');
    zipDir(src, zip, 1700000000);
    expect(execFileSync('unzip', ['-t', zip], { encoding: 'utf8' })).toMatch(/No errors detected in compressed data/);
    const list = execFileSync('zipinfo', [zip], { encoding: 'utf8' }).split('\n').filter((l) => /^[-d]r/.test(l));
    expect(list.map((l) => l.split(/\s+/).filter((_, i) => [0, 3, 6, 7, 8].includes(i)).join(' '))).toEqual([
      '-rw-r--r-- 800 23-Nov-14 22:13 a.txt',
      '-rwxr-xr-x 100000 23-Nov-14 22:13 b.exe',
      '-rw-r--r-- 0 23-Nov-14 22:13 empty',
    ]);
    const out = tempDir('trace-exec-zip-x-');
    execFileSync('unzip', ['-q', zip, '-d', out]);
    expect(readFileSync(join(out, 'a.txt'), 'utf8')).toBe('grüße\n'.repeat(100));
    expect(readFileSync(join(out, 'b.exe')).equals(Buffer.alloc(100_000, 7))).toBe(true);
  });

  it('the same files give the same bytes, whatever their mtimes', () => {
    const a = join(tempDir('trace-exec-zip-out-'), 'a.zip');
    const b = join(tempDir('trace-exec-zip-out-'), 'b.zip');
    zipDir(make(1), a, 1700000000);
    zipDir(make(2000000000), b, 1700000000);
    expect(readFileSync(a).equals(readFileSync(b))).toBe(true);
  });
});
