/**
 * Builds dist/ once before the tests that run the CLI as a user would, and gives the run a directory
 * for the one containerd the real-runtime tests share (test/runtime/shared.ts), removed with all it
 * made when the run ends.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';
import { RUN_PREFIX, stopRunRuntime, sweepDeadRuns } from '../runtime/teardown.js';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const root = fileURLToPath(new URL('../..', import.meta.url));
  execFileSync(
    process.execPath,
    [fileURLToPath(new URL('../../node_modules/typescript/bin/tsc', import.meta.url)), '-p', 'tsconfig.json'],
    {
      cwd: root,
      stdio: 'inherit',
    },
  );
  const swept = await sweepDeadRuns();
  if (swept.length > 0) process.stderr.write(`global setup: left by an earlier run and not removable:\n  ${swept.join('\n  ')}\n`);
  const runtimeDir = mkdtempSync(join(tmpdir(), RUN_PREFIX));
  writeFileSync(join(runtimeDir, 'owner'), String(process.pid));
  project.provide('runtimeDir', runtimeDir);
  return async () => {
    const left = await stopRunRuntime(runtimeDir);
    if (left.length > 0) throw new Error(`the real-runtime test bed left behind:\n  ${left.join('\n  ')}`);
  };
}
