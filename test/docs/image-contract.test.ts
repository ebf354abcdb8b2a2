/**
 * The image contract is written twice — in short in the README ("The debug pod image"), with the
 * reason for each command in docs/debug-image.md — and checked once, by the node probe
 * (REQUIRED_TOOLS, plus `sh` that runs the probe, `bpftrace` and the optional `perl`). All three
 * name the same commands.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { REQUIRED_TOOLS } from '../../src/node/probe.js';

const read = (path: string): string => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');
const probed = [...REQUIRED_TOOLS, 'sh', 'bpftrace', 'perl'].sort();

/** The `command` spans of the paragraph that starts with **The image contract.** */
function fromReadme(): string[] {
  const readme = read('README.md');
  const at = readme.indexOf('**The image contract.**');
  expect(at, 'README.md has the paragraph **The image contract.**').toBeGreaterThan(0);
  const paragraph = readme.slice(at, readme.indexOf('\n\n', at));
  const before = paragraph.slice(0, paragraph.indexOf(' on its `PATH`'));
  return [...before.matchAll(/`([a-z0-9]+)`/g)].map((m) => m[1]!).sort();
}

/** The `command` spans of the first column of the table headed `| command | why it is needed |`. */
function fromDoc(): string[] {
  const doc = read('docs/debug-image.md');
  const at = doc.indexOf('| command | why it is needed |');
  expect(at, 'docs/debug-image.md has the contract table').toBeGreaterThan(0);
  const rows = doc.slice(at).split('\n').slice(2);
  return rows
    .slice(
      0,
      rows.findIndex((l) => !l.startsWith('|')),
    )
    .flatMap((row) => [...row.split('|')[1]!.matchAll(/`([a-z0-9]+)`/g)].map((m) => m[1]!))
    .sort();
}

describe('the image contract', () => {
  it("the README's short list names the commands the probe checks", () => {
    expect(fromReadme()).toEqual(probed);
  });

  it("docs/debug-image.md's table names the commands the probe checks", () => {
    expect(fromDoc()).toEqual(probed);
  });
});
