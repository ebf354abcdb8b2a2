/**
 * The README's flag tables say what --help says: the same flags, the same short aliases, a value
 * placeholder exactly for the flags that take a value. Edit README.md when a flag changes in
 * src/cli/flags.ts (the tables follow the `<!-- main-flags`, `<!-- cleanup-flags` and `<!-- report-flags` markers).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildParser, type HelpText } from './parse.js';
import { CLEANUP_FLAGS, MAIN_FLAGS, REPORT_FLAGS, type FlagSpec } from './flags.js';

const README = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const HELP: HelpText = { command: 'kubectl trace-exec', usage: 'usage', examples: [], version: 'v', wrap: 200 };

/** `-n --namespace value` for each flag of --help, sorted. */
async function fromHelp(specs: readonly FlagSpec[], positionals: boolean, version = positionals): Promise<string[]> {
  const help = await buildParser([], specs, version ? HELP : { ...HELP, version: null }, positionals).getHelp();
  return [...help.matchAll(/^ {2}(?:-(\w), )? *--([\w-]+) .*\[(\w+)\]$/gm)]
    .map((m) => `${m[1] ? `-${m[1]} ` : ''}--${m[2]}${m[3] !== 'boolean' ? ' value' : ''}`)
    .sort();
}

/** The same from the README table after `marker`: each `code span` of the first column is a flag. */
function fromReadme(marker: string): string[] {
  const at = README.indexOf(marker);
  expect(at, `README.md has the marker ${marker}`).toBeGreaterThan(0);
  const rows = README.slice(at).split('\n').slice(1);
  const table = rows.slice(
    2,
    rows.findIndex((l) => l.trim() === ''),
  ); // after the header and |---|
  return table
    .flatMap((row) => [...row.split('|')[1]!.matchAll(/`([^`]+)`/g)].map((m) => m[1]!))
    .map((span) => {
      const m = /^(?:-(\w), )?--([\w-]+)( .+)?$/.exec(span);
      expect(m, `a flag in README.md: ${span}`).not.toBeNull();
      return `${m![1] ? `-${m![1]} ` : ''}--${m![2]}${m![3] ? ' value' : ''}`;
    })
    .sort();
}

describe('README flag tables agree with --help', () => {
  it('trace-exec', async () => {
    expect(fromReadme('<!-- main-flags'), 'README.md main flag table vs --help (src/cli/flags.ts)').toEqual(
      await fromHelp(MAIN_FLAGS, true),
    );
  });

  it('trace-exec cleanup', async () => {
    expect(fromReadme('<!-- cleanup-flags'), 'README.md cleanup flag table vs cleanup --help').toEqual(
      await fromHelp(CLEANUP_FLAGS, false),
    );
  });

  it('trace-exec report', async () => {
    expect(fromReadme('<!-- report-flags'), 'README.md report flag table vs report --help').toEqual(
      await fromHelp(REPORT_FLAGS, true, false),
    );
  });

  it('the reading above finds every flag (so that the comparison can fail)', async () => {
    expect(await fromHelp(MAIN_FLAGS, true)).toHaveLength(MAIN_FLAGS.length);
    expect(await fromHelp(CLEANUP_FLAGS, false)).toHaveLength(CLEANUP_FLAGS.length);
    expect(await fromHelp(REPORT_FLAGS, true, false)).toHaveLength(REPORT_FLAGS.length);
  });
});
