/**
 * The README stays a first screen (at most 400 lines; the depth is in docs/), and every relative
 * link of README.md and docs/*.md leads somewhere: the file exists and, for `#anchor`, the target
 * has a heading with that GitHub anchor. A moved or renamed heading fails here, not on GitHub.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { removeTempDirs, tempDir } from '../support/tmp.js';
import { brokenLinks } from './links.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const pages = [
  'README.md',
  ...readdirSync(join(root, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .sort()
    .map((f) => `docs/${f}`),
];

describe('README.md and docs/', () => {
  it('the README is at most 400 lines', () => {
    const lines = readFileSync(join(root, 'README.md'), 'utf8').replace(/\n$/, '').split('\n').length;
    expect(lines, 'README.md: move the depth into docs/ and link to it').toBeLessThanOrEqual(400);
  });

  it('there are pages under docs/ to check', () => {
    expect(pages.length).toBeGreaterThan(1);
  });

  it.each(pages)('every relative link of %s resolves', (page) => {
    expect(brokenLinks(root, page)).toEqual([]);
  });
});

describe('brokenLinks', () => {
  afterAll(removeTempDirs);

  it('names a missing file, a missing heading and an anchor into a non-Markdown file; passes the rest', () => {
    const dir = tempDir('trace-exec-links-');
    mkdirSync(join(dir, 'docs'));
    writeFileSync(join(dir, 'bin'), '');
    writeFileSync(join(dir, 'docs', 'ci.md'), '# CI recipe\n\n## A kind cluster\n');
    writeFileSync(
      join(dir, 'README.md'),
      [
        '# trace-exec',
        '## Usage',
        '[ok](#usage) [ok](docs/ci.md) [ok](docs/ci.md#a-kind-cluster) [ok](bin) [web](https://example.com/x.md#nope)',
        '[gone](docs/gone.md) [moved](#reliability) [renamed](docs/ci.md#kind) [odd](bin#x)',
      ].join('\n'),
    );
    writeFileSync(join(dir, 'docs', 'page.md'), '[up](../README.md#usage) [up](../README.md#install)\n');
    expect(brokenLinks(dir, 'README.md')).toEqual([
      'README.md:4: docs/gone.md: no file docs/gone.md',
      'README.md:4: #reliability: README.md has no heading #reliability',
      'README.md:4: docs/ci.md#kind: docs/ci.md has no heading #kind',
      'README.md:4: bin#x: an anchor into bin, which is not a Markdown file',
    ]);
    expect(brokenLinks(dir, 'docs/page.md')).toEqual(['docs/page.md:1: ../README.md#install: README.md has no heading #install']);
  });
});
