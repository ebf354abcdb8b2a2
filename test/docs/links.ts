/** Which relative links of a Markdown page in a checkout lead nowhere: no such file, or no such heading. */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { anchors, relativeLinks } from './markdown.js';

/** One line per broken link of `page` (a path below `root`); empty when every link resolves. */
export function brokenLinks(root: string, page: string): string[] {
  const md = readFileSync(join(root, page), 'utf8');
  const broken: string[] = [];
  for (const { line, target } of relativeLinks(md)) {
    const hash = target.indexOf('#');
    const path = hash < 0 ? target : target.slice(0, hash);
    const anchor = hash < 0 ? '' : target.slice(hash + 1);
    const file = path === '' ? join(root, page) : join(root, dirname(page), decodeURI(path));
    const where = `${page}:${line}: ${target}`;
    if (!existsSync(file)) {
      broken.push(`${where}: no file ${relative(root, file)}`);
      continue;
    }
    if (anchor === '') continue;
    if (!statSync(file).isFile() || !file.endsWith('.md')) {
      broken.push(`${where}: an anchor into ${relative(root, file)}, which is not a Markdown file`);
      continue;
    }
    if (!anchors(readFileSync(file, 'utf8')).has(decodeURIComponent(anchor)))
      broken.push(`${where}: ${relative(root, file)} has no heading #${anchor}`);
  }
  return broken;
}
