/**
 * The README's CI recipe, run as written: the shell snippet between its ci-recipe markers, with
 * `kubectl` resolving the plugin from PATH against the API stand-in, and its `make e2e` line swapped
 * for a workload that execs in a pod. The artifact must be complete JSON lines and the exit 0.
 */
import { tempDir, removeTempDirs } from '../support/tmp.js';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiServer, type ApiServer } from '../apiserver/index.js';
import { hex32, kernelDescribe } from '../support/kernel.js';
import { expectNothingLeft } from '../support/leftovers.js';
import { addToApi, makeWorkload, removeCgroups } from '../support/workloads.js';
import { gfmTables } from '../support/gfm.js';

const k = kernelDescribe();
const root = fileURLToPath(new URL('../..', import.meta.url));

function kubectlPath(): string | null {
  const r = spawnSync('sh', ['-c', 'command -v kubectl'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

describe.skipIf(k.skip)(`the README's CI recipe${k.reason ? ` (${k.reason})` : ''}`, () => {
  let api: ApiServer;
  const web = makeWorkload('systemd-crio-hybrid', 'e2e', 'web-0', [{ name: 'web' }]);
  beforeAll(async () => {
    if (k.reason) throw new Error(`end-to-end tests must run under CI but cannot: ${k.reason}`);
    if (!kubectlPath()) {
      // A fresh Debian machine: its kubectl (kubernetes-client) runs plugins like any other.
      execFileSync('sh', ['-c', 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq kubernetes-client'], { stdio: 'inherit' });
    }
    api = await startApiServer({ podStartDelayMs: 100 });
    api.addNode('worker-1');
    addToApi(api, web);
  }, 300_000);
  afterAll(async () => {
    await api?.close();
    removeCgroups([web]);
  });

  it('records the e2e step as complete JSON lines, writes the Markdown summary to $GITHUB_STEP_SUMMARY, exits 0, leaves nothing', async () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const block = /<!-- ci-recipe:start -->\n```sh\n([\s\S]*?)```\n<!-- ci-recipe:end -->/.exec(readme);
    expect(block, 'the README has the ci-recipe block').not.toBeNull();
    const tag = `ci-${hex32().slice(0, 8)}`;
    const cg = web.containers[0]!.cgroup.dirs;
    // The one line that differs: the e2e suite is a process in the pod's container cgroup.
    const e2e = `sh -c 'for d in "$@"; do echo $$ > "$d/cgroup.procs"; done; exec /bin/echo ${tag}' sh ${cg.join(' ')}`;
    const script = block![1]!.replace('make e2e', () => e2e); // a function: a replacement string would eat $$
    expect(script).not.toBe(block![1]);

    const dir = tempDir('trace-exec-ci-');
    const bin = join(dir, 'bin');
    execFileSync('mkdir', [bin]);
    symlinkSync(join(root, 'bin', 'trace-exec'), join(bin, 'kubectl-trace_exec'));
    writeFileSync(join(dir, 'recipe.sh'), script, { mode: 0o755 });
    // Not spawnSync: the API stand-in runs in this process and must keep answering meanwhile.
    const r = await execa('sh', ['recipe.sh'], {
      cwd: dir,
      reject: false,
      // As a GitHub Actions step: the summary goes to the step's summary file.
      env: { ...process.env, PATH: `${bin}:${process.env.PATH}`, KUBECONFIG: api.kubeconfigPath, NODE: 'worker-1', GITHUB_STEP_SUMMARY: join(dir, 'step-summary.md') },
      timeout: 180_000,
    });
    expect(r.exitCode, `${r.stdout}\n${r.stderr}\n${readFileSync(join(dir, 'trace-exec.log'), 'utf8')}`).toBe(0);

    const lines = readFileSync(join(dir, 'execs.jsonl'), 'utf8').split('\n').filter((l) => l !== '');
    const events = lines.map((l) => JSON.parse(l) as Record<string, unknown>); // every line is JSON
    const hit = events.find((e) => (e.args as string[])[1] === tag);
    expect(hit, JSON.stringify(hit)).toMatchObject({ namespace: 'e2e', pod: 'web-0', container: 'web' });
    // The step summary renders as tables (GitHub-flavoured Markdown): a namespace table with the pod's row.
    const md = readFileSync(join(dir, 'step-summary.md'), 'utf8');
    const { tables, problems } = gfmTables(md);
    expect(problems, md).toEqual([]);
    expect(md).toMatch(/^### Namespace e2e\n\n\| pod \| container \| execs \|/m);
    const e2eTable = tables.find((t) => md.split('\n')[t.line - 3] === '### Namespace e2e');
    expect(e2eTable?.rows.find((row) => row[0] === 'web-0'), md).toEqual(['web-0', 'web', expect.stringMatching(/^\d+$/), expect.any(String), '0', expect.any(String), expect.any(String), expect.stringContaining('`echo`')]);
    expect(md).toMatch(/Traced on `worker-1` until SIGTERM: \d+ execs traced/);
    expect(existsSync(join(dir, 'execs-summary.md'))).toBe(false); // not the fallback file
    expect(r.stdout).toMatch(/\| web-0 \| web \|/); // the recipe prints the summary
    expect(readFileSync(join(dir, 'trace-exec.log'), 'utf8')).toMatch(/stopped \(SIGTERM\)/);
    await expectNothingLeft(api);
  });
});

afterAll(removeTempDirs);
