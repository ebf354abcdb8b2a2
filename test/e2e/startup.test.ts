/**
 * What a process start costs: @kubernetes/client-node alone takes ~0.6 s of CPU to load (of ~0.85 s
 * for `--version`), so the commands that need no API — --help, --version, a bad command line,
 * report, cleanup --help, completing a flag — must not load it. Every TAB of kubectl's completion
 * and every usage error is a process start. Checked on the built CLI with a module-resolution hook
 * (node:module registerHooks) that notes each resolved URL of the client library in a file; the
 * last case, a cleanup against the API stand-in, shows that the hook sees the library when it is
 * loaded.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiServer, type ApiServer } from '../apiserver/index.js';
import { CLI } from '../support/cli.js';
import { removeTempDirs, tempDir } from '../support/tmp.js';

const dir = tempDir('trace-exec-startup-');
const hook = join(dir, 'hook.mjs');
const seen = join(dir, 'seen.txt');
const recording = join(dir, 'rec.jsonl');
let api: ApiServer;

beforeAll(async () => {
  writeFileSync(
    hook,
    [
      "import { registerHooks } from 'node:module';",
      "import { appendFileSync } from 'node:fs';",
      'registerHooks({ resolve(spec, ctx, next) { const r = next(spec, ctx);',
      "  if (r.url.includes('/@kubernetes/client-node/')) appendFileSync(process.env.TRACE_EXEC_TEST_SEEN, r.url + '\\n');",
      '  return r; } });',
    ].join('\n'),
  );
  writeFileSync(recording, '');
  api = await startApiServer();
});
afterAll(async () => {
  await api?.close();
  removeTempDirs();
});

/** Async: the API stand-in answers from this process, so its event loop must keep running. */
function loadsClientLibrary(args: string[]): Promise<{ loaded: boolean; status: number | null; stderr: string }> {
  rmSync(seen, { force: true });
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', hook, CLI, ...args],
      { encoding: 'utf8', env: { ...process.env, TRACE_EXEC_TEST_SEEN: seen, KUBECONFIG: join(dir, 'none.yaml') }, timeout: 30_000 },
      (err, _stdout, stderr) => {
        const status = err ? (typeof err.code === 'number' ? err.code : null) : 0;
        resolve({ loaded: existsSync(seen) && readFileSync(seen, 'utf8').length > 0, status, stderr });
      },
    );
  });
}

describe('commands that need no API do not load the client library', () => {
  it.each([
    ['--version', ['--version'], 0],
    ['--help', ['--help'], 0],
    ['a bad command line', ['node', 'worker-1'], 1],
    ['a bad flag value', ['node/worker-1', '-d', 'soon'], 1],
    ['report of a recording', ['report', recording, '-o', 'summary'], 0],
    ['cleanup --help', ['cleanup', '--help'], 0],
    ['completion bash', ['completion', 'bash'], 0],
    ['completing a flag', ['__complete', '--out'], 0],
  ])('%s', async (_name, args, status) => {
    const r = await loadsClientLibrary(args as string[]);
    expect(r.status, r.stderr).toBe(status);
    expect(r.loaded).toBe(false);
  });

  it('a command that talks to the API loads it (the hook sees it)', async () => {
    const r = await loadsClientLibrary(['cleanup', '-A', '--dry-run', '--kubeconfig', api.kubeconfigPath]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.loaded).toBe(true);
  });
});
