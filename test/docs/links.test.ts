/**
 * The README stays a first screen (at most 400 lines; the depth is in docs/), and every relative
 * link of README.md and docs/*.md leads somewhere: the file exists and, for `#anchor`, the target
 * has a heading with that GitHub anchor. A moved or renamed heading fails here, not on GitHub.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { anchors, relativeLinks } from './markdown.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const pages = ['README.md', ...readdirSync(join(root, 'docs')).filter((f) => f.endsWith('.md')).sort().map((f) => `docs/${f}`)];

/** What is wrong with each link of `page` (empty: all resolve). */
export function brokenLinks(page: string): string[] {
  const md = readFileSync(join(root, page), 'utf8');
  const broken: string[] = [];
  for (const { line, target } of relativeLinks(md)) {
    const [path, anchor] = target.split('#', 2) as [string, string | undefined];
    const file = path === '' ? join(root, page) : join(root, dirname(page), decodeURI(path));
    const where = `${page}:${line}: ${target}`;
    if (!existsSync(file)) {
      broken.push(`${where}: no file ${relative(root, file)}`);
      continue;
    }
    if (anchor === undefined || anchor === '') continue;
    if (!statSync(file).isFile() || !file.endsWith('.md')) {
      broken.push(`${where}: an anchor into ${relative(root, file)}, which is not a Markdown file`);
      continue;
    }
    if (!anchors(readFileSync(file, 'utf8')).has(decodeURIComponent(anchor))) broken.push(`${where}: ${relative(root, file)} has no heading #${anchor}`);
  }
  return broken;
}

describe('README.md and docs/', () => {
  it('the README is at most 400 lines', () => {
    const lines = readFileSync(join(root, 'README.md'), 'utf8').replace(/\n$/, '').split('\n').length;
    expect(lines, 'README.md: move the depth into docs/ and link to it').toBeLessThanOrEqual(400);
  });

  it('there are pages under docs/ to check', () => {
    expect(pages.length).toBeGreaterThan(1);
  });

  it.each(pages)('every relative link of %s resolves', (page) => {
    expect(brokenLinks(page)).toEqual([]);
  });
});
