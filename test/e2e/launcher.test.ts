/**
 * bin/trace-exec, the launcher of a checkout or an npm install (kubectl-trace_exec links to it):
 * it starts Node with the V8 flags of its NODE_FLAGS line — the young-generation size that keeps
 * RSS down under a busy stream (docs/benchmark.md, Memory) — which the standalone executables carry
 * as execArgv (test/release/release.test.ts checks those).
 */
import { execFile } from 'node:child_process';
import { symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { launcherNodeFlags } from '../../.ci/release/node-flags.ts';
import { removeTempDirs, tempDir } from '../support/tmp.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const LAUNCHER = join(ROOT, 'bin/trace-exec');

/** Runs a command to its end; its exit code and output, also when it fails. */
async function run(file: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await promisify(execFile)(file, args, { env: { ...process.env, FORCE_COLOR: '0' }, timeout: 30_000 });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const x = e as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof x.code === 'number' ? x.code : -1, stdout: x.stdout ?? '', stderr: x.stderr ?? '' };
  }
}

describe('bin/trace-exec', () => {
  it('holds its V8 flags on one NODE_FLAGS line: a young generation of bounded size', () => {
    expect(launcherNodeFlags(ROOT)).toContainEqual(expect.stringMatching(/^--max-semi-space-size=\d+$/));
  });

  it('starts Node with them, also when linked as kubectl-trace_exec (-v says how Node was started)', async () => {
    const dir = tempDir('trace-exec-launcher-');
    try {
      const link = join(dir, 'kubectl-trace_exec');
      symlinkSync(LAUNCHER, link);
      // A kubeconfig that does not exist: the run ends at once, after the debug line.
      const r = await run(link, ['node/worker-1', '-v', '--kubeconfig', join(dir, 'missing')]);
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toContain(`trace-exec: debug: Node ${process.version}, started with ${launcherNodeFlags(ROOT).join(' ')}\n`);
    } finally {
      removeTempDirs();
    }
  });
});
