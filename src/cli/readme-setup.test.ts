/**
 * The README's first screen says the truth: the Node.js the Quick start asks for is package.json's
 * `engines`, its link commands cover every `bin` of package.json, and the table examples (README.md's
 * first, docs/output.md's 80-column one) carry the header the renderer lays out for the terminal width
 * they name. Edit README.md or docs/output.md when those change.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { LiveTable } from '../output/live.js';

const README = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const OUTPUT_DOC = readFileSync(new URL('../../docs/output.md', import.meta.url), 'utf8');
const PACKAGE = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  engines: { node: string };
  bin: Record<string, string>;
};

/** The text of the section under `## title`, up to the next `## `. */
function section(title: string): string {
  const at = README.indexOf(`\n## ${title}\n`);
  expect(at, `README.md has a section ${title}`).toBeGreaterThan(0);
  const end = README.indexOf('\n## ', at + 1);
  return README.slice(at, end < 0 ? undefined : end);
}

describe('README Quick start', () => {
  const quick = section('Quick start');

  it("asks for the Node.js that package.json's engines asks for", () => {
    const asked = /Node\.js (\d+) or newer/.exec(quick);
    expect(asked, 'the Quick start names a Node.js version: "Node.js N or newer"').not.toBeNull();
    expect(PACKAGE.engines.node).toBe(`>=${asked![1]}`);
  });

  it('links every executable package.json installs, each to its file', () => {
    const links = new Map([...quick.matchAll(/^ln -s "\$PWD\/(\S+)" \/usr\/local\/bin\/(\S+)/gm)].map((m) => [m[2]!, m[1]!]));
    expect(links).toEqual(new Map(Object.entries(PACKAGE.bin)));
  });
});

describe('README table examples', () => {
  it.each<[string, string, string, RegExp]>([
    ['the first example', 'README.md', README, /^```\n\$ kubectl trace-exec [^\n]*# on a (\d+)-column terminal\n([^\n]*)\n/m],
    ['the 80-column example of -o table', 'docs/output.md', OUTPUT_DOC, /At (\d+) columns:\n\n {2}```\n {2}([^\n]*)\n/],
  ])('%s has the header the table has at that width', (_what, file, text, block) => {
    const m = block.exec(text);
    expect(m, `${file} has ${_what}`).not.toBeNull();
    const width = Number(m![1]);
    expect(m![2]).toBe(new LiveTable({ wide: false, width }).header());
  });
});
