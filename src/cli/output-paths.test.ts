import { afterAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { removeTempDirs, tempDir } from '../../test/support/tmp.js';
import { unwritableMessage, whyNotWritable } from './output-paths.js';

const dir = tempDir('trace-exec-output-paths-');
mkdirSync(join(dir, 'sub'));
writeFileSync(join(dir, 'file.txt'), 'x');
afterAll(removeTempDirs);

describe('whyNotWritable', () => {
  it.each<[string, string, RegExp | null]>([
    ['a new file in an existing directory', 'new.txt', null],
    ['an existing file (overwritten at the end)', 'file.txt', null],
    ['a file in a directory that does not exist', 'missing/s.txt', /^the directory .*\/missing does not exist$/],
    ['a file below a file', 'file.txt/s.txt', /file\.txt is not a directory$/],
    ['a directory', 'sub', /sub is a directory$/],
  ])('%s', (_what, rel, why) => {
    const result = whyNotWritable(join(dir, rel));
    if (why === null) expect(result).toBeNull();
    else expect(result).toMatch(why);
  });

  it('creates nothing', () => {
    whyNotWritable(join(dir, 'probe.txt'));
    expect(existsSync(join(dir, 'probe.txt'))).toBe(false);
    expect(readdirSync(dir).sort()).toEqual(['file.txt', 'sub']);
  });

  it('a relative path is taken from the working directory', () => {
    expect(whyNotWritable('no-such-dir-here/s.txt')).toMatch(/no-such-dir-here does not exist/);
  });
});

describe('unwritableMessage: the flag, the path, why, and the fix that fits', () => {
  it.each<[string, string, string | null]>([
    ['a new file', 'new.txt', null],
    [
      'a directory that does not exist',
      'missing/s.txt',
      `--summary-to ${join(dir, 'missing/s.txt')}: the directory ${join(dir, 'missing')} does not exist; create it or choose another path`,
    ],
    // "create it" would be wrong advice here: it exists, as a directory, and a file is wanted.
    [
      'a directory',
      'sub',
      `--summary-to ${join(dir, 'sub')}: ${join(dir, 'sub')} is a directory; give the path of a file, e.g. ${join(dir, 'sub', 'summary.txt')}`,
    ],
  ])('%s', (_what, rel, message) => {
    expect(unwritableMessage('--summary-to', join(dir, rel), 'summary.txt')).toBe(message);
  });
});
