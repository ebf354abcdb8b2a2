/**
 * The GitHub Action (action.yml) run as a runner runs it: `node action/dist/main.js`, a later step
 * that execs in a pod, then `node action/dist/post.js`, with INPUT_*, the GITHUB_* file commands,
 * RUNNER_* and the state main saved (test/action/runner.ts). Against the API stand-in with real
 * bpftrace, the release executable built by `npm run release` and served from 127.0.0.1, and a
 * results-service stand-in that takes the artifact upload as GitHub's does (twirp + blob).
 */
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiServer, type ApiServer } from '../apiserver/index.js';
import { gfmTables } from '../support/gfm.js';
import { hex32, kernelDescribe } from '../support/kernel.js';
import { expectNothingLeft, running } from '../support/leftovers.js';
import { removeTempDirs, tempDir } from '../support/tmp.js';
import { addToApi, makeWorkload, removeCgroups, runIn } from '../support/workloads.js';
import { linuxRelease, serveRelease, type ReleaseFixture, type ReleaseServer } from './release-fixture.js';
import { startResultsService, type ResultsService } from './results-service.js';
import { runStep, type Job } from './runner.js';
import { stopTrace } from '../../action/src/trace.js';

const k = kernelDescribe();
const root = fileURLToPath(new URL('../..', import.meta.url));

describe.skipIf(k.skip)(`the GitHub Action, main and post as the runner runs them${k.reason ? ` (${k.reason})` : ''}`, () => {
  let api: ApiServer;
  let rel: ReleaseFixture;
  let server: ReleaseServer;
  let results: ResultsService;
  const web = makeWorkload('systemd-crio-hybrid', 'e2e', 'web-0', [{ name: 'web' }]);

  beforeAll(async () => {
    if (k.reason) throw new Error(`end-to-end tests must run under CI but cannot: ${k.reason}`);
    rel = await linuxRelease(root);
    server = await serveRelease(rel);
    results = await startResultsService();
    api = await startApiServer({ podStartDelayMs: 100 });
    api.addNode('worker-1');
    api.addNode('worker-2');
    api.addNode('worker-3', { ready: false }); // its kubelet starts no pods
    addToApi(api, web);
  }, 300_000);
  const jobs: Job[] = [];
  afterAll(async () => {
    // A trace a failed test left running is stopped while the API is still up, so it cleans up.
    for (const j of jobs) if (j.state.pid && running(Number(j.state.pid))) await stopTrace(Number(j.state.pid), 60);
    await api?.close();
    await server?.close();
    await results?.close();
    removeCgroups([web]);
    removeTempDirs();
  });

  function job(inputs: Record<string, string>): Job {
    const dir = tempDir('trace-exec-action-');
    const temp = join(dir, 'runner-temp');
    execFileSync('mkdir', ['-p', temp]);
    const j: Job = {
      dir,
      temp,
      inputs: { nodes: 'worker-1', kubeconfig: api.kubeconfigPath, 'release-url': server.url, ...inputs },
      env: {
        GITHUB_JOB: 'e2e',
        GITHUB_ACTION_REPOSITORY: 'trace-exec/trace-exec',
        ACTIONS_RUNTIME_TOKEN: results.token,
        ACTIONS_RESULTS_URL: `${results.url}/`,
        GITHUB_WORKSPACE: dir,
      },
      state: {},
      summary: '',
    };
    jobs.push(j);
    return j;
  }

  /** The one artifact named `name` the stand-in took, unpacked: file → bytes. */
  function artifactFiles(name: string): Record<string, Buffer> {
    const found = results.artifacts.filter((a) => a.name === name);
    expect(found, `artifacts named ${name}`).toHaveLength(1);
    const a = found[0]!;
    expect(a.finalized?.hash, 'FinalizeArtifact carries the sha256 of the uploaded bytes').toBe(
      `sha256:${createHash('sha256').update(a.bytes!).digest('hex')}`,
    );
    const dir = tempDir('trace-exec-artifact-');
    writeFileSync(join(dir, 'artifact.zip'), a.bytes!);
    execFileSync('unzip', ['-q', 'artifact.zip', '-d', 'files'], { cwd: dir });
    return Object.fromEntries(readdirSync(join(dir, 'files')).map((f) => [f, readFileSync(join(dir, 'files', f))]));
  }

  it('main installs the release and traces the later steps; post stops it, writes the summary, keeps the recording, leaves nothing', async () => {
    const j = job({ namespace: 'e2e', 'artifact-name': 'execs-ok' });
    const main = await runStep(j, 'main', root);
    expect(main.exitCode, main.stdout).toBe(0);
    expect(main.stdout).toContain(`installed trace-exec ${rel.version} (${rel.archive}, sha256 `);
    expect(server.requests).toContain(`/published/${rel.archive}`);
    const pid = Number(j.state.pid);
    expect(pid, JSON.stringify(j.state)).toBeGreaterThan(0);
    expect(running(pid), 'the trace outlives main').toBe(true);
    expect(main.outputs.recording).toBe(j.state.recording);
    expect(readFileSync(j.state.log!, 'utf8')).toContain('tracing execs on');

    // A later step of the job: the suite execs in a pod.
    const tag = `action-${hex32().slice(0, 8)}`;
    expect(await runIn(web, 'web', ['/bin/echo', tag])).toBe(0);

    const post = await runStep(j, 'post', root);
    expect(post.exitCode, `${post.stdout}\n${post.stderr}`).toBe(0);
    expect(post.errors).toEqual([]);
    expect(running(pid), 'the trace is stopped').toBe(false);
    await expectNothingLeft(api);

    const recording = readFileSync(j.state.recording!);
    const events = recording
      .toString('utf8')
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(events.find((e) => (e.args as string[])[1] === tag)).toMatchObject({
      namespace: 'e2e',
      pod: 'web-0',
      container: 'web',
      node: 'worker-1',
    });
    expect(readFileSync(j.state.log!, 'utf8')).toMatch(/stopped \(SIGTERM\)/);

    // The step summary is the installed release's own `report -o markdown` of the recording.
    const report = await execa(j.state.executable!, ['report', 'execs.jsonl', '-o', 'markdown'], { cwd: dirname(j.state.recording!) });
    expect(j.summary).toContain(report.stdout);
    expect(j.summary).toContain('Recorded in `execs.jsonl`'); // the artifact's name for it, not the runner's temp path
    const { problems } = gfmTables(j.summary);
    expect(problems, j.summary).toEqual([]);
    expect(j.summary).toMatch(/^### Namespace e2e\n\n\| pod \| container \| execs \|/m);
    expect(j.summary).toMatch(/\| web-0 \| web \| \d+ \|.*`echo`/);

    // The artifact holds the recording's bytes and the log.
    const files = artifactFiles('execs-ok');
    expect(Object.keys(files).sort()).toEqual(['execs.jsonl', 'trace-exec.log']);
    expect(files['execs.jsonl']!.equals(recording), 'the artifact has the recording byte for byte').toBe(true);
    expect(files['trace-exec.log']!.toString('utf8')).toMatch(/^\{"kind":"trace-exec\.totals"/m);
  }, 300_000);

  // report --baseline/--fail-on come from the baseline work (issue 24): until the release has them,
  // this part skips, saying so; the rest of the Action is tested above and below.
  it('with baseline and fail-on: post writes the diff to the summary and fails the job on a new executable', async (ctx) => {
    const base = job({ namespace: 'e2e', 'artifact-name': 'execs-base' });
    expect((await runStep(base, 'main', root)).exitCode).toBe(0);
    const help = await execa(base.state.executable!, ['report', '--help'], { reject: false });
    if (!help.stdout.includes('--baseline')) {
      await runStep(base, 'post', root);
      await expectNothingLeft(api);
      ctx.skip('the release has no report --baseline yet');
    }
    expect(await runIn(web, 'web', ['/bin/echo', 'base'])).toBe(0);
    const basePost = await runStep(base, 'post', root);
    expect(basePost.exitCode, basePost.stdout).toBe(0);
    const baseline = join(base.dir, 'baseline.jsonl');
    writeFileSync(baseline, readFileSync(base.state.recording!));

    const j = job({ namespace: 'e2e', 'artifact-name': 'execs-new', baseline, 'fail-on': 'new-exec' });
    expect((await runStep(j, 'main', root)).exitCode).toBe(0);
    expect(await runIn(web, 'web', ['/bin/echo', 'again'])).toBe(0);
    expect(await runIn(web, 'web', ['/bin/true'])).toBe(0); // never ran in web-0 before
    const post = await runStep(j, 'post', root);
    expect(post.exitCode).toBe(1);
    expect(post.errors).toEqual([expect.stringContaining('new against the baseline (fail-on: new-exec)')]);
    const diff = await execa(j.state.executable!, ['report', 'execs.jsonl', '--baseline', baseline, '-o', 'markdown'], {
      reject: false,
      cwd: dirname(j.state.recording!),
    });
    expect(j.summary).toContain(diff.stdout);
    expect(diff.stdout).toMatch(/true/);
    // The recording is kept even when the job fails.
    expect(artifactFiles('execs-new')['execs.jsonl']!.equals(readFileSync(j.state.recording!))).toBe(true);
    await expectNothingLeft(api);
  }, 300_000);

  it('with several nodes, main waits until every one traces: one whose debug pod never starts fails it at start-timeout', async () => {
    const j = job({ nodes: 'worker-1, worker-2, worker-3', 'start-timeout': '10' });
    const main = await runStep(j, 'main', root);
    expect(main.exitCode, main.stdout).toBe(1);
    expect(main.errors).toHaveLength(1);
    expect(main.errors[0]).toMatch(/^trace-exec traced on 2 of 3 nodes only within 10 s \(input start-timeout\); stopped it:\n/);
    expect(main.errors[0]).toMatch(/tracing execs on worker-\d \(2\/3\)/);
    expect(j.state).toEqual({});
    await expectNothingLeft(api); // main stopped the trace and waited for its cleanup
  }, 300_000);

  it('post never signals a pid the trace no longer has (it ended and the pid was reused)', async () => {
    const other = spawn('sleep', ['60'], { stdio: 'ignore' });
    try {
      const j = job({ 'artifact-name': 'execs-reused' });
      writeFileSync(join(j.temp, 'execs.jsonl'), '');
      writeFileSync(join(j.temp, 'trace-exec.log'), 'tracing execs on worker-1\n');
      Object.assign(j.state, {
        pid: String(other.pid),
        started: '1',
        executable: '/nonexistent',
        recording: join(j.temp, 'execs.jsonl'),
        log: join(j.temp, 'trace-exec.log'),
      });
      const post = await runStep(j, 'post', root);
      expect(post.stdout).toContain(`trace-exec (pid ${other.pid}): had already ended`);
      expect(running(other.pid!), 'the other process lives on').toBe(true);
      expect(post.exitCode).toBe(1);
      expect(post.errors).toEqual([expect.stringContaining('trace-exec did not end cleanly (no totals line in its log)')]);
      expect(j.summary).toContain('no execs were recorded');
    } finally {
      other.kill('SIGKILL');
    }
  }, 60_000);

  it('main fails with a clear message when the archive does not match SHA256SUMS, and installs and starts nothing', async () => {
    const j = job({ 'release-url': server.tamperedUrl });
    const main = await runStep(j, 'main', root);
    expect(main.exitCode).toBe(1);
    expect(main.errors).toEqual([
      expect.stringMatching(
        new RegExp(
          `^${rel.archive.replaceAll('.', '\\.')} from ${server.tamperedUrl}/\\S+ has sha256 [0-9a-f]{64}, but ${server.tamperedUrl}/SHA256SUMS says [0-9a-f]{64}: the download is corrupt or was tampered with; nothing was installed$`,
        ),
      ),
    ]);
    expect(existsSync(join(j.temp, 'trace-exec-tool', `trace-exec-${rel.version}-linux-amd64`, 'kubectl-trace_exec'))).toBe(false);
    expect(j.state).toEqual({});
    const post = await runStep(j, 'post', root);
    expect(post.exitCode).toBe(0);
    expect(post.stdout).toContain('no trace was started');
    await expectNothingLeft(api);
  }, 120_000);

  it('main fails within seconds, with trace-exec\'s error, when the trace ends before it traces (node "worker-9" not found)', async () => {
    const j = job({ nodes: 'worker-9' });
    const main = await runStep(j, 'main', root);
    expect(main.exitCode).toBe(1);
    expect(main.seconds, `main took ${main.seconds} s`).toBeLessThan(20);
    expect(main.errors).toHaveLength(1);
    expect(main.errors[0]).toMatch(/^trace-exec exited with 1 before it traced:\n[\s\S]*node "worker-9" not found/);
    expect(j.state).toEqual({});
    await expectNothingLeft(api);
  }, 120_000);
});
