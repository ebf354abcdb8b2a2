/**
 * The README's CI recipe, run as written: the shell snippet between its ci-recipe markers, with
 * `kubectl` resolving the plugin from PATH against the API stand-in, and its `make e2e` line swapped
 * for a workload that execs in a pod. The artifact must be complete JSON lines and the exit 0.
 * Also: the recipe and the workflow's first step fail within seconds when the trace ends before it
 * traces (a node that does not exist), and the kind variant (--local --kubeconfig) gives records
 * with namespaces that the README's jq line selects.
 */
import { tempDir, removeTempDirs } from '../support/tmp.js';
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
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
  // The kind variant: a node container on the runner, the namespace its jq line selects.
  const app = makeWorkload('kind-node', 'my-app', 'app-0', [{ name: 'app' }], 'kind-worker');
  beforeAll(async () => {
    if (k.reason) throw new Error(`end-to-end tests must run under CI but cannot: ${k.reason}`);
    if (!kubectlPath()) {
      // A fresh Debian machine: its kubectl (kubernetes-client) runs plugins like any other.
      execFileSync('sh', ['-c', 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq kubernetes-client'], {
        stdio: 'inherit',
      });
    }
    api = await startApiServer({ podStartDelayMs: 100 });
    api.addNode('worker-1');
    api.addNode('kind-worker');
    api.addNamespace('my-app');
    addToApi(api, web);
    addToApi(api, app);
  }, 300_000);
  afterAll(async () => {
    await api?.close();
    removeCgroups([web, app]);
  });

  /** A directory with `kubectl-trace_exec` on a PATH of its own, as an installed plugin. */
  function workdir(): { dir: string; bin: string } {
    const dir = tempDir('trace-exec-ci-');
    const bin = join(dir, 'bin');
    execFileSync('mkdir', [bin]);
    symlinkSync(join(root, 'bin', 'trace-exec'), join(bin, 'kubectl-trace_exec'));
    return { dir, bin };
  }

  /** A script as a CI step runs it; the API stand-in runs in this process, so not spawnSync. */
  async function runStep(shell: string, script: string, dir: string, bin: string, env: Record<string, string>) {
    writeFileSync(join(dir, 'step.sh'), script, { mode: 0o755 });
    const started = Date.now();
    const r = await execa(shell, ['step.sh'], {
      cwd: dir,
      reject: false,
      env: { ...process.env, PATH: `${bin}:${process.env.PATH}`, KUBECONFIG: api.kubeconfigPath, ...env },
      timeout: 180_000,
    });
    return { ...r, seconds: (Date.now() - started) / 1000 };
  }

  it.each<[string, string]>([
    ['the shell recipe', 'sh'],
    ["the workflow's first step", 'bash'],
  ])(
    '%s fails within seconds, showing why, when the trace ends before it traces (node "worker-9" not found)',
    async (what, shell) => {
      const readme = readFileSync(join(root, 'README.md'), 'utf8');
      let script: string;
      if (shell === 'sh') {
        // The e2e line must not run: it leaves a file behind if it does.
        script = block(readme, 'ci-recipe').replace('make e2e', 'touch e2e-ran');
      } else {
        // GitHub runs a `run: |` step with `bash -e`.
        const ci = readFileSync(join(root, 'docs', 'ci.md'), 'utf8');
        const step = /- name: Start recording execs on the node\n {8}run: \|\n((?: {10}.*\n)+)/.exec(ci);
        expect(step, "docs/ci.md has the workflow's first step").not.toBeNull();
        script = `set -e\n${step![1]!.replace(/^ {10}/gm, '')}`;
      }
      const { dir, bin } = workdir();
      const r = await runStep(shell, script, dir, bin, { NODE: 'worker-9', GITHUB_STEP_SUMMARY: join(dir, 'step-summary.md') });
      expect(r.exitCode, `${what}: ${r.stdout}\n${r.stderr}`).not.toBe(0);
      expect(r.seconds, `${what} took ${r.seconds} s`).toBeLessThan(20);
      expect(r.stdout).toContain('node "worker-9" not found');
      expect(existsSync(join(dir, 'e2e-ran'))).toBe(false);
      await expectNothingLeft(api);
    },
    200_000,
  );

  it('the kind variant (--local --kubeconfig) records namespaces, and the suggested jq line lists what ran in my-app', async () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const kind = block(readme, 'ci-recipe-kind').trim();
    const recipe = block(readme, 'ci-recipe');
    const first = /^kubectl trace-exec node\/.*&$/m.exec(recipe);
    expect(first, "the recipe's first command").not.toBeNull();
    const tag = `kind-${hex32().slice(0, 8)}`;
    const cg = app.containers[0]!.cgroup.dirs;
    const e2e = `sh -c 'for d in "$@"; do echo $$ > "$d/cgroup.procs"; done; exec /bin/echo ${tag}' sh ${cg.join(' ')}`;
    const script = recipe.replace(first![0], () => kind).replace('make e2e', () => e2e);
    const { dir, bin } = workdir();
    // The runner's user is root here: its sudo only has to pass the command on (-E keeps the environment).
    writeFileSync(join(bin, 'sudo'), '#!/bin/sh\n[ "$1" = -E ] && shift\nexec "$@"\n', { mode: 0o755 });
    const home = join(dir, 'home');
    execFileSync('mkdir', ['-p', join(home, '.kube')]);
    copyFileSync(api.kubeconfigPath, join(home, '.kube', 'config'));
    const r = await runStep('sh', script, dir, bin, {
      HOME: home,
      KUBECONFIG: '/nonexistent/kubeconfig',
      GITHUB_STEP_SUMMARY: join(dir, 'step-summary.md'),
    });
    expect(r.exitCode, `${r.stdout}\n${r.stderr}\n${readFileSync(join(dir, 'trace-exec.log'), 'utf8')}`).toBe(0);
    const events = readFileSync(join(dir, 'execs.jsonl'), 'utf8')
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(events.find((e) => (e.args as string[])[1] === tag)).toMatchObject({
      namespace: 'my-app',
      pod: 'app-0',
      container: 'app',
      node: 'kind-worker',
    });
    const jq = await execa('sh', ['-c', block(readme, 'ci-recipe-jq')], { cwd: dir, reject: false });
    expect(jq.exitCode, jq.stderr).toBe(0);
    expect(jq.stdout.split('\n')).toContain(`/bin/echo ${tag}`);
    await expectNothingLeft(api);
  }, 200_000);

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
      env: {
        ...process.env,
        PATH: `${bin}:${process.env.PATH}`,
        KUBECONFIG: api.kubeconfigPath,
        NODE: 'worker-1',
        GITHUB_STEP_SUMMARY: join(dir, 'step-summary.md'),
      },
      timeout: 180_000,
    });
    expect(r.exitCode, `${r.stdout}\n${r.stderr}\n${readFileSync(join(dir, 'trace-exec.log'), 'utf8')}`).toBe(0);

    const lines = readFileSync(join(dir, 'execs.jsonl'), 'utf8')
      .split('\n')
      .filter((l) => l !== '');
    const events = lines.map((l) => JSON.parse(l) as Record<string, unknown>); // every line is JSON
    const hit = events.find((e) => (e.args as string[])[1] === tag);
    expect(hit, JSON.stringify(hit)).toMatchObject({ namespace: 'e2e', pod: 'web-0', container: 'web' });
    // The step summary renders as tables (GitHub-flavoured Markdown): a namespace table with the pod's row.
    const md = readFileSync(join(dir, 'step-summary.md'), 'utf8');
    const { tables, problems } = gfmTables(md);
    expect(problems, md).toEqual([]);
    expect(md).toMatch(/^### Namespace e2e\n\n\| pod \| container \| execs \|/m);
    const e2eTable = tables.find((t) => md.split('\n')[t.line - 3] === '### Namespace e2e');
    expect(
      e2eTable?.rows.find((row) => row[0] === 'web-0'),
      md,
    ).toEqual([
      'web-0',
      'web',
      expect.stringMatching(/^\d+$/),
      expect.any(String),
      '0',
      expect.any(String),
      expect.any(String),
      expect.stringContaining('`echo`'),
    ]);
    expect(md).toMatch(/Traced on `worker-1` until SIGTERM: \d+ execs traced/);
    expect(existsSync(join(dir, 'execs-summary.md'))).toBe(false); // not the fallback file
    expect(r.stdout).toMatch(/\| web-0 \| web \|/); // the recipe prints the summary
    expect(readFileSync(join(dir, 'trace-exec.log'), 'utf8')).toMatch(/stopped \(SIGTERM\)/);
    await expectNothingLeft(api);
  });
});

/** The sh code block between `<!-- NAME:start -->` and `<!-- NAME:end -->` in the README. */
function block(readme: string, name: string): string {
  const m = new RegExp(`<!-- ${name}:start -->\\n\`\`\`sh\\n([\\s\\S]*?)\`\`\`\\n<!-- ${name}:end -->`).exec(readme);
  if (!m) throw new Error(`the README has no ${name} block`);
  return m[1]!;
}

afterAll(removeTempDirs);
