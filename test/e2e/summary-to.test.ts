/**
 * --summary-to that cannot be written when the run ends (its directory went away while tracing):
 * the run says so and exits 1, so that a CI job does not go green without its summary.
 * (A path that cannot be written from the start is refused before anything runs: bad-input.test.ts.)
 */
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { kernelDescribe } from '../support/kernel.js';
import { startCli, type CliRun } from '../support/cli.js';
import { removeTempDirs, tempDir } from '../support/tmp.js';

const k = kernelDescribe();

describe.skipIf(k.skip)(`--summary-to at the end of a run${k.reason ? ` (${k.reason})` : ''}`, () => {
  let cli: CliRun | null = null;
  afterAll(() => {
    if (cli && cli.proc.exitCode === null) cli.proc.kill('SIGKILL');
    removeTempDirs();
  });

  it('a summary that cannot be written makes the exit code 1 and says so', async () => {
    if (k.reason) throw new Error(`real-kernel tests must run under CI but cannot: ${k.reason}`);
    const dir = tempDir('trace-exec-summary-to-');
    const file = join(dir, 'out', 'summary.txt');
    mkdirSync(join(dir, 'out'));
    cli = startCli(['--local', '-o', 'json', '-d', '60s', '--summary-to', file]);
    await cli.waitForStderr(/tracing execs on/, 45_000);
    expect(existsSync(file)).toBe(false); // the check at the start created nothing
    rmSync(join(dir, 'out'), { recursive: true });
    cli.proc.kill('SIGINT');
    const r = await cli.done();
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(
      new RegExp(`trace-exec: error: could not write --summary-to ${file.replaceAll('/', '\\/')}: ENOENT[^\\n]*; exiting with 1\\n`),
    );
    expect(r.stderr).toMatch(/stopped \(SIGINT\)/); // the totals still came
  }, 90_000);

  it('a summary that can be written: exit 0, the file is there', async () => {
    const dir = tempDir('trace-exec-summary-to-');
    const file = join(dir, 'summary.txt');
    cli = startCli(['--local', '-o', 'json', '-d', '2s', '--summary-to', file]);
    const r = await cli.done();
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(file)).toBe(true);
    expect(r.stderr).toMatch(/wrote the summary to/);
  }, 90_000);
});
