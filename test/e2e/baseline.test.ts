/**
 * Baselines end to end, on recordings made for real: the built CLI traces the API stand-in's node
 * (bpftrace on this machine) twice. The baseline run: a Deployment's pod runs a few commands. The
 * live run, another pod of that Deployment (another pod-template hash and suffix, other container
 * ids) with `--baseline OLD --fail-on …`: the same commands with other argv (one found by a PATH
 * search through missing directories), plus one new executable, one new failure and one drift —
 * it ends with exit 3 and the diff on stderr. Then `report NEW --baseline OLD` on the recordings and
 * on parts of them: each difference alone is exactly its finding (exit 3 with its --fail-on, 0
 * without); what differs only by pod names, hashes, container ids and argv is nothing new. The
 * session case needs `entry` (issue 23), written into the real lines by hand.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiServer, type ApiServer } from '../apiserver/index.js';
import { CLI, jsonLines, startCli } from '../support/cli.js';
import { gfmTables } from '../support/gfm.js';
import { hex32, kernelDescribe } from '../support/kernel.js';
import { expectNothingLeft } from '../support/leftovers.js';
import { mountOverlay, type Overlay } from '../support/overlay.js';
import { removeTempDirs, tempDir } from '../support/tmp.js';
import { makeWorkload, removeCgroups, runIn, type Workload } from '../support/workloads.js';

const k = kernelDescribe();
const ALL = 'new-exec,new-failure,drift,session';

describe.skipIf(k.skip)(`baseline diffs of real recordings${k.reason ? ` (${k.reason})` : ''}`, () => {
  let api: ApiServer;
  let overlay: Overlay | null = null;
  const tag = `e2e-${hex32().slice(0, 10)}`;
  const dir = tempDir('trace-exec-baseline-');
  const oldFile = join(dir, 'old.jsonl');
  const newFile = join(dir, 'new.jsonl');
  const summaryFile = join(dir, 'summary.md');
  const oldPod = makeWorkload('systemd-crio-hybrid', 'shop', 'web-7d9c5b4f8-x2kqp', [{ name: 'web' }]);
  const newPod = makeWorkload('systemd-crio-hybrid', 'shop', 'web-5c8d9f7b4-vwz9q', [{ name: 'web' }]);
  let oldLines: string[] = [];
  let newLines: string[] = [];
  let live = { code: null as number | null, stdout: '', stderr: '' };

  /** The pod as a Deployment's: owned by its ReplicaSet, which Deployment "web" owns (how workload is read). */
  const addDeploymentPod = (pod: Workload, replicaSet: string): void => {
    const rs = api.addWorkload({
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: {
        namespace: 'shop',
        name: replicaSet,
        ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: 'uid-deploy-web', controller: true }],
      },
      spec: { selector: {}, template: {} },
    });
    const rec = pod.record() as { metadata: Record<string, unknown> };
    const owner = { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: replicaSet, uid: rs.metadata!.uid!, controller: true };
    api.addPod({ ...rec, metadata: { ...rec.metadata, ownerReferences: [owner] } });
  };

  /** Lines of ours (by the tag in argv), optionally without those of some marks. */
  const ours = (lines: string[], without: string[] = []): string[] =>
    lines.filter((l) => l.includes(tag) && !without.some((w) => l.includes(`${tag}-${w}`)));

  const trace = async (extra: string[], work: () => Promise<void>) => {
    const cli = startCli(['node/worker-1', '--kubeconfig', api.kubeconfigPath, '-n', 'shop', '-o', 'json', '-d', '90s', ...extra]);
    await cli.waitForStderr(/tracing execs on worker-1/, 60_000);
    await work();
    await new Promise((r) => setTimeout(r, 1500));
    cli.proc.kill('SIGINT');
    return cli.done();
  };

  beforeAll(async () => {
    if (k.reason) throw new Error(`end-to-end tests must run under CI but cannot: ${k.reason}`);
    overlay = mountOverlay({ lower: { nginx: true } }, 'trace-exec-e2e-baseline-');
    overlay.writeTrue('miner');
    api = await startApiServer({ podStartDelayMs: 200 });
    api.addNode('worker-1');
    api.addNamespace('shop');
    addDeploymentPod(oldPod, 'web-7d9c5b4f8');

    const known = async (pod: Workload, run: string) => {
      await runIn(pod, 'web', [join(overlay!.merged, 'nginx'), `${tag}-${run}-image`]);
      await runIn(pod, 'web', ['/usr/bin/true', `${tag}-${run}-true`]);
    };
    const old = await trace([], async () => {
      await known(oldPod, 'old');
      await runIn(oldPod, 'web', ['/usr/bin/env', 'PATH=/usr/bin', '/usr/bin/true', `${tag}-old-env`]);
    });
    expect(old.code, old.stderr).toBe(0);
    oldLines = ours(old.stdout.split('\n'));
    writeFileSync(oldFile, oldLines.join('\n') + '\n');

    // The next rollout: another pod of the Deployment; the old one is gone.
    api.deletePodRecord('shop', oldPod.name);
    addDeploymentPod(newPod, 'web-5c8d9f7b4');
    live = await trace(['--baseline', oldFile, '--fail-on', ALL, '--summary-to', summaryFile, '--summary-format', 'markdown'], async () => {
      await known(newPod, 'new');
      // env finds true by a PATH search: two failed attempts (ENOENT), folded, then /usr/bin/true.
      await runIn(newPod, 'web', ['/usr/bin/env', `PATH=/nonexistent-${tag}-a:/nonexistent-${tag}-b:/usr/bin`, 'true', `${tag}-new-env`]);
      await runIn(newPod, 'web', ['/usr/bin/id', `${tag}-newexec`]);
      await runIn(newPod, 'web', [`/nonexistent-${tag}/tool`, `${tag}-failure`]);
      await runIn(newPod, 'web', [join(overlay!.merged, 'miner'), `${tag}-drift`]);
    });
    newLines = ours(live.stdout.split('\n'));
    writeFileSync(newFile, newLines.join('\n') + '\n');
  }, 240_000);

  afterAll(async () => {
    await api?.close();
    overlay?.unmount();
    removeCgroups([oldPod, newPod]);
    removeTempDirs();
  });

  const report = async (args: string[]) => {
    const r = await execa(process.execPath, [CLI, 'report', ...args], { reject: false, env: { FORCE_COLOR: '0' } });
    return { code: r.exitCode, stdout: r.stdout, stderr: r.stderr };
  };
  const findings = (stdout: string) => jsonLines(stdout).map((f) => `${f.kind} ${f.workload} ${f.container} ${f.executable}`);
  const file = (name: string, lines: string[]) => {
    const f = join(dir, name);
    writeFileSync(f, lines.join('\n') + '\n');
    return f;
  };
  const MINER = () => join(overlay!.merged, 'miner');

  it('the recordings are real: both pods seen, the PATH search marked, drift seen', () => {
    expect(oldLines.length, live.stderr).toBeGreaterThanOrEqual(4);
    const recs = jsonLines(newLines.join('\n'));
    expect(new Set(jsonLines(oldLines.join('\n')).map((r) => r.pod))).toEqual(new Set(['web-7d9c5b4f8-x2kqp']));
    expect(new Set(recs.map((r) => r.pod))).toEqual(new Set(['web-5c8d9f7b4-vwz9q']));
    // Without the folding these would be two new failures of "true".
    expect(recs.filter((r) => r.pathSearch === true).map((r) => r.filename)).toEqual([
      `/nonexistent-${tag}-a/true`,
      `/nonexistent-${tag}-b/true`,
    ]);
    expect(recs.find((r) => r.filename === MINER())).toMatchObject({ upperLayer: true, retval: 0 });
  });

  it('the live trace with --baseline --fail-on: exit 3, the diff on stderr after the trace, stdout the exec stream only', () => {
    expect(live.code, live.stderr).toBe(3);
    expect(live.stderr).toMatch(
      /Baseline diff: 3 findings \(1 drift, 1 new-exec, 1 new-failure\) in this trace \(\d+ execs\) against the baseline /,
    );
    expect(live.stderr).toContain('trace-exec: error: --fail-on: found new-exec, new-failure, drift against the baseline; exiting with 3');
    for (const l of live.stdout.split('\n').filter((x) => x !== '')) expect(JSON.parse(l)).toHaveProperty('type', 'exec');
    // The diff is said before the totals line, which stays the last line.
    expect(live.stderr.indexOf('Baseline diff:')).toBeLessThan(live.stderr.indexOf('trace-exec: stopped ('));
  });

  it('--summary-to --summary-format markdown: the summary, then the diff, in one step summary', () => {
    const md = readFileSync(summaryFile, 'utf8');
    expect(md.indexOf('## trace-exec summary')).toBe(0);
    expect(md).toContain(
      '\n\n## trace-exec baseline diff\n\nBaseline diff: 3 findings \\(1 drift, 1 new-exec, 1 new-failure\\) in this trace',
    );
    expect(gfmTables(md).problems).toEqual([]);
  });

  it('report NEW --baseline OLD: the same three findings, each once, with its example', async () => {
    const r = await report([newFile, '--baseline', oldFile, '-o', 'json', '--fail-on', ALL]);
    expect(r.code, r.stderr).toBe(3);
    expect(findings(r.stdout)).toEqual([
      `drift deploy/web web ${MINER()}`,
      'new-exec deploy/web web /usr/bin/id',
      `new-failure deploy/web web /nonexistent-${tag}/tool`,
    ]);
    expect(jsonLines(r.stdout)[2]).toMatchObject({
      type: 'finding',
      namespace: 'shop',
      entry: null,
      count: 1,
      args: [`/nonexistent-${tag}/tool`, `${tag}-failure`],
      pod: 'web-5c8d9f7b4-vwz9q',
      error: 'ENOENT',
      node: 'worker-1',
    });
  });

  it.each([
    ['new-exec', 'newexec', '/usr/bin/id'],
    ['new-failure', 'failure', '/nonexistent-TAG/tool'],
    ['drift', 'drift', 'MINER'],
  ])('differing by one %s alone: exactly that finding; exit 3 with that --fail-on, 0 without', async (kind, mark, executable) => {
    const others = ['newexec', 'failure', 'drift'].filter((m) => m !== mark);
    const f = file(`only-${mark}.jsonl`, ours(newLines, others));
    const want = executable.replace('TAG', tag).replace('MINER', MINER());
    const failing = await report([f, '--baseline', oldFile, '-o', 'json', '--fail-on', kind]);
    expect(failing.code, failing.stderr).toBe(3);
    expect(findings(failing.stdout)).toEqual([`${kind} deploy/web web ${want}`]);
    expect((await report([f, '--baseline', oldFile, '-o', 'json'])).code).toBe(0);
    const otherKinds = ALL.split(',')
      .filter((x) => x !== kind)
      .join(',');
    expect((await report([f, '--baseline', oldFile, '--fail-on', otherKinds])).code).toBe(0);
  });

  it('differing by one exec session alone (entry written into the real lines): exactly that finding', async () => {
    const withEntry = (lines: string[], entry: (r: Record<string, unknown>) => string) =>
      lines.map((l) => {
        const r = JSON.parse(l) as Record<string, unknown>;
        return JSON.stringify({
          ...r,
          workload: 'deploy/web',
          entry: entry(r),
          exe: r.retval === 0 ? r.filename : null,
          sessionLeaderPid: r.pid,
        });
      });
    const old = file(
      'old-entry.jsonl',
      withEntry(oldLines, () => 'init'),
    );
    // `kubectl exec deploy/web -- /usr/bin/true`: a known executable, entered another way.
    const known = ours(newLines, ['newexec', 'failure', 'drift']);
    const f = file(
      'only-session.jsonl',
      withEntry(known, (r) => ((r.args as string[]).includes(`${tag}-new-true`) ? 'exec' : 'init')),
    );
    const r = await report([f, '--baseline', old, '-o', 'json', '--fail-on', 'session']);
    expect(r.code, r.stderr).toBe(3);
    expect(jsonLines(r.stdout)).toMatchObject([
      { kind: 'session', workload: 'deploy/web', entry: 'exec', executable: '/usr/bin/true', count: 1, sessions: 1 },
    ]);
    expect((await report([f, '--baseline', old])).code).toBe(0);
  });

  it('differing only by pod names, pod-template hashes, container ids and argv (a PATH search among them): nothing new, exit 0', async () => {
    const f = file('same.jsonl', ours(newLines, ['newexec', 'failure', 'drift']));
    const r = await report([f, '--baseline', oldFile, '--fail-on', ALL]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(
      /^Baseline diff: nothing new in .*same\.jsonl \(\d+ execs\) against the baseline .*old\.jsonl \(\d+ execs\)\.$/,
    );
    // A newer recording (with workload) against the older one (without): still nothing new.
    const newer = file(
      'same-newer.jsonl',
      ours(newLines, ['newexec', 'failure', 'drift']).map((l) => JSON.stringify({ ...JSON.parse(l), workload: 'deploy/web' })),
    );
    expect((await report([newer, '--baseline', oldFile, '--fail-on', ALL])).code).toBe(0);
  });

  it('--allow leaves the known exceptions out: exit 0 when only allowed findings are left', async () => {
    const allow = file('allow.txt', ['# known', 'deploy/web id', `shop/deploy/web /nonexistent-${tag}/*`, `deploy/* ${MINER()}`]);
    const r = await report([newFile, '--baseline', oldFile, '--allow', allow, '--fail-on', ALL]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/nothing new .*; 3 more left out by --allow\.$/);
  });

  it('-o markdown: one GFM table of the findings', async () => {
    const md = await report([newFile, '--baseline', oldFile, '-o', 'markdown']);
    const { tables, problems } = gfmTables(md.stdout);
    expect(problems).toEqual([]);
    expect(tables).toHaveLength(1);
    expect(tables[0]!.rows.map((r) => r[0])).toEqual(['new drift (`drift`)', 'new executable (`new-exec`)', 'new failure (`new-failure`)']);
  });

  it('removed both debug pods', async () => {
    await expectNothingLeft(api);
  });
});
