/**
 * Real kernel, real bpftrace: PATH searches through a directory repeated in PATH
 * (`env PATH=/nonexistent:X:X:/usr/bin …`, X an existing directory without the command), run in a
 * kubelet-shaped cgroup while three --local traces record them: every human output — the table,
 * the table with --failed, the text and Markdown summaries, the timeline, and `report -o
 * summary|markdown` of the JSON recording (with and without its marks) — counts a search once, and
 * JSON keeps every attempt with the folded ones marked `"pathSearch": true`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TestCgroup, execIn, removeAll, hex32, hex64, kernelDescribe, uuid } from '../support/kernel.js';
import { CLI, jsonLines, startCli, type CliRun } from '../support/cli.js';
import { removeTempDirs, tempDir } from '../support/tmp.js';

const k = kernelDescribe();

describe.skipIf(k.skip)(`PATH searches on the real kernel${k.reason ? ` (${k.reason})` : ''}`, () => {
  const cgroups: TestCgroup[] = [];
  const dir = tempDir('trace-exec-path-search-');
  const repeated = join(dir, 'x'); // exists, holds no command: every lookup in it is ENOENT
  const tag = `nope-${hex32().slice(0, 12)}`;
  const uid = uuid();
  const id = hex64();
  const podCell = `pod-uid:${uid.slice(0, 8)}`;
  const files = {
    jsonl: join(dir, 'execs.jsonl'),
    md: join(dir, 'summary.md'),
    timeline: join(dir, 'timeline.json'),
    text: join(dir, 'summary.txt'),
  };
  let recording: Record<string, unknown>[] = [];
  let table = '';
  let failedTable = '';
  const clis: CliRun[] = [];

  beforeAll(async () => {
    if (k.reason) throw new Error(`real-kernel tests must run under CI but cannot: ${k.reason}`);
    mkdirSync(repeated);
    const json = startCli([
      '--local',
      '-o',
      'json',
      '-d',
      '60s',
      '--summary-to',
      files.md,
      '--summary-format',
      'markdown',
      '--timeline-to',
      files.timeline,
    ]);
    const tab = startCli(['--local', '-o', 'table', '-d', '60s', '--summary-to', files.text]);
    const failed = startCli(['--local', '-o', 'table', '--failed', '-d', '60s']);
    clis.push(json, tab, failed);
    await Promise.all(clis.map((c) => c.waitForStderr(/tracing execs on/, 60_000)));
    const cg = new TestCgroup(
      `kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${uid.replaceAll('-', '_')}.slice/cri-containerd-${id}.scope`,
      ['v1', 'v2'],
    );
    cgroups.push(cg);
    const PATH = `PATH=/nonexistent:${repeated}:${repeated}:/usr/bin`;
    await execIn(cg, ['/usr/bin/env', PATH, 'sleep', '0']); // found: 3 misses, then /usr/bin/sleep
    await execIn(cg, ['/usr/bin/env', PATH, tag]); // found nothing: 4 misses
    await execIn(cg, [`/nonexistent/${tag}`]); // a path, no search: one failure
    await new Promise((r) => setTimeout(r, 1500));
    for (const c of clis) c.proc.kill('SIGINT');
    const [j, t, f] = await Promise.all(clis.map((c) => c.done()));
    for (const r of [j!, t!, f!]) expect(r.code, r.stderr).toBe(0);
    writeFileSync(files.jsonl, j!.stdout);
    recording = jsonLines(j!.stdout).filter((l) => l.containerId === id);
    table = t!.stdout;
    failedTable = f!.stdout;
  }, 180_000);

  afterAll(() => {
    for (const c of clis) if (c.proc.exitCode === null) c.proc.kill('SIGKILL');
    removeAll(cgroups);
    removeTempDirs();
  });

  // In the cgroup: env, the sleep search (4), env, the failed search (4), the failed path (1).
  const EXECS = 5;
  const FAILED = 2;
  const rowsOf = (text: string): string[] => text.split('\n').filter((l) => l.includes(podCell));

  it('JSON keeps every attempt and marks the misses of each search, after "error"', () => {
    const summary = recording.map((l) => `${String(l.filename)} ${String(l.error)}${l.pathSearch ? ' pathSearch' : ''}`);
    expect(summary).toEqual([
      '/usr/bin/env null',
      '/nonexistent/sleep ENOENT pathSearch',
      `${repeated}/sleep ENOENT pathSearch`,
      `${repeated}/sleep ENOENT pathSearch`,
      '/usr/bin/sleep null',
      '/usr/bin/env null',
      `/nonexistent/${tag} ENOENT pathSearch`,
      `${repeated}/${tag} ENOENT pathSearch`,
      `${repeated}/${tag} ENOENT pathSearch`,
      `/usr/bin/${tag} ENOENT`,
      `/nonexistent/${tag} ENOENT`,
    ]);
    const marked = recording.find((l) => l.pathSearch)!;
    const keys = Object.keys(marked);
    expect(keys.slice(keys.indexOf('error'), keys.indexOf('error') + 3)).toEqual(['error', 'pathSearch', 'upperLayer']);
  });

  it('the table and the table with --failed: one row per search', () => {
    const rows = rowsOf(table);
    expect(rows, table).toHaveLength(EXECS);
    expect(rows.filter((r) => / ENOENT /.test(r)).map((r) => r.replace(/.* ENOENT +/, ''))).toEqual([tag, `/nonexistent/${tag}`]);
    const failedRows = rowsOf(failedTable);
    expect(failedRows, failedTable).toHaveLength(FAILED);
    expect(failedRows.map((r) => r.replace(/.* ENOENT +/, ''))).toEqual([tag, `/nonexistent/${tag}`]);
  });

  /** EXECS and FAILED of the pod's row in a text summary (cli-table3, compact). */
  const textCounts = (text: string): number[] => {
    const cells =
      rowsOf(text)[0]
        ?.split('│')
        .map((c) => c.trim()) ?? [];
    return [Number(cells[4]), Number(cells[6])];
  };
  /** execs and failed of the pod's row in a Markdown summary. */
  const mdCounts = (md: string): number[] => {
    const cells =
      rowsOf(md)
        .find((l) => l.startsWith('| pod-uid'))
        ?.split(' | ') ?? [];
    return [Number(cells[2]), Number(cells[4])];
  };

  it('--summary-to (text and Markdown) counts each search once', () => {
    expect(textCounts(readFileSync(files.text, 'utf8'))).toEqual([EXECS, FAILED]);
    const md = readFileSync(files.md, 'utf8');
    expect(mdCounts(md), md).toEqual([EXECS, FAILED]);
    expect(md).not.toContain(repeated);
  });

  it('the timeline: a span per exec that ran, an instant per search that found nothing', () => {
    const file = JSON.parse(readFileSync(files.timeline, 'utf8')) as {
      traceEvents: { ph: string; name: string; pid: number; args?: Record<string, unknown> }[];
    };
    // The pod's track group (the shells execIn starts exec'd in the test's own cgroup first).
    const group = file.traceEvents.find((e) => e.name === 'process_name' && String(e.args?.name).includes(podCell))?.pid;
    const ours = file.traceEvents.filter((e) => e.ph !== 'M' && e.pid === group);
    expect(ours.filter((e) => e.ph === 'X')).toHaveLength(EXECS - FAILED);
    expect(ours.filter((e) => e.ph === 'i').map((e) => e.args?.filename)).toEqual([`/usr/bin/${tag}`, `/nonexistent/${tag}`]);
  });

  it.each([false, true])('report -o summary|markdown of the recording (marks stripped: %s) counts the same', async (strip) => {
    const input = strip ? files.jsonl.replace(/\.jsonl$/, '.old.jsonl') : files.jsonl;
    if (strip) writeFileSync(input, readFileSync(files.jsonl, 'utf8').replaceAll('"pathSearch":true,', ''));
    if (strip) expect(readFileSync(input, 'utf8')).not.toContain('pathSearch');
    const summary = await execa(process.execPath, [CLI, 'report', input], { reject: false, env: { FORCE_COLOR: '0' } });
    expect(summary.exitCode, summary.stderr).toBe(0);
    expect(textCounts(summary.stdout)).toEqual([EXECS, FAILED]);
    const md = await execa(process.execPath, [CLI, 'report', '-o', 'markdown', input], { reject: false, env: { FORCE_COLOR: '0' } });
    expect(mdCounts(md.stdout), md.stdout).toEqual([EXECS, FAILED]);
  });
});
