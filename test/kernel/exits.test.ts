/**
 * Real kernel, real bpftrace: --exits reports how each process exec'd while tracing ended — exit
 * code, the signal that killed it, how long it ran — once per process (also a multi-threaded one),
 * measured from its last exec, in the kubelet-shaped cgroup it ran in.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestCgroup, execIn, removeAll, hex32, hex64, kernelDescribe, uuid } from '../support/kernel.js';
import { jsonLines, startCli, type CliRun } from '../support/cli.js';
import { removeTempDirs, tempDir } from '../support/tmp.js';
import { traceEventProblems } from '../support/trace-events.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const k = kernelDescribe();

/** A thread that is not the leader ends the process with exit(7) while the leader sleeps. */
const THREADED_EXIT =
  'import os, sys, threading, time\ndef f():\n  time.sleep(0.1)\n  os._exit(7)\nthreading.Thread(target=f).start()\ntime.sleep(5)';

describe.skipIf(k.skip)(`--exits on the real kernel${k.reason ? ` (${k.reason})` : ''}`, () => {
  let cli: CliRun;
  let stderr = '';
  const cgroups: TestCgroup[] = [];
  const marker = `tx-${hex32().slice(0, 12)}`;
  const uid = uuid();
  const id = hex64();
  let lines: Record<string, unknown>[] = [];
  const timelineFile = join(tempDir('trace-exec-exits-'), 'timeline.json');
  const tag = (what: string): string => `${marker}-${what}`;
  const RUNS: [string, string[]][] = [
    ['zero', ['/bin/sh', '-c', 'exit 0', tag('zero')]],
    ['three', ['/bin/sh', '-c', 'exit 3', tag('three')]],
    ['kill', ['/bin/sh', '-c', 'kill -KILL $$', tag('kill')]],
    ['term', ['/bin/sh', '-c', 'kill -TERM $$', tag('term')]],
    ['slow', ['/bin/sh', '-c', 'sleep 0.3', tag('slow')]],
    ['again', ['/bin/sh', '-c', 'exec /bin/sh -c "sleep 0.2; exit 4" again', tag('again')]],
    ['threads', ['python3', '-c', THREADED_EXIT, tag('threads')]],
  ];

  beforeAll(async () => {
    if (k.reason) throw new Error(`real-kernel tests must run under CI but cannot: ${k.reason}`);
    cli = startCli(['--local', '--exits', '-o', 'json', '-d', '60s', '--timeline-to', timelineFile]);
    await cli.waitForStderr(/tracing execs on/, 45_000);
    const cg = new TestCgroup(
      `kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${uid.replaceAll('-', '_')}.slice/cri-containerd-${id}.scope`,
      ['v1', 'v2'],
    );
    cgroups.push(cg);
    await Promise.all(RUNS.map(([, argv]) => execIn(cg, argv)));
    await new Promise((r) => setTimeout(r, 1500));
    cli.proc.kill('SIGINT');
    const r = await cli.done();
    expect(r.code, r.stderr).toBe(0);
    stderr = r.stderr;
    lines = jsonLines(r.stdout);
  }, 120_000);

  afterAll(() => {
    if (cli && cli.proc.exitCode === null) cli.proc.kill('SIGKILL');
    removeAll(cgroups);
    removeTempDirs();
  });

  /**
   * The last successful exec whose argv ends with the run's tag (spawn's PATH search and the waiting
   * shell come before it, in the same pid), and the exit lines of its pid.
   */
  const find = (what: string): { exec: Record<string, unknown>; exits: Record<string, unknown>[] } => {
    const exec = lines.findLast((l) => l.type === 'exec' && l.retval === 0 && (l.args as string[]).at(-1) === tag(what));
    expect(exec, `the exec of ${tag(what)}`).toBeDefined();
    const exits = lines.filter((l) => l.type === 'exit' && l.pid === exec!.pid && String(l.time) >= String(exec!.time));
    return { exec: exec!, exits };
  };

  it.each<[string, number | null, string | null, number, number]>([
    // run, exitCode, signal, durationMs at least, at most
    ['zero', 0, null, 0, 2000],
    ['three', 3, null, 0, 2000],
    ['kill', null, 'SIGKILL', 0, 2000],
    ['term', null, 'SIGTERM', 0, 2000],
    ['slow', 0, null, 280, 3000],
    ['threads', 7, null, 80, 3000],
  ])('%s: one exit line, exitCode %s, signal %s', (what, exitCode, signal, min, max) => {
    const { exec, exits } = find(what);
    expect(exits, JSON.stringify(exits)).toHaveLength(1);
    const x = exits[0]!;
    expect(Object.keys(x)).toEqual([
      'type',
      'time',
      'node',
      'namespace',
      'pod',
      'container',
      'containerId',
      'pid',
      'comm',
      'exitCode',
      'signal',
      'durationMs',
    ]);
    expect(x).toMatchObject({ exitCode, signal, comm: exec.comm, node: exec.node, containerId: id, namespace: null, pod: null });
    expect(x.durationMs as number).toBeGreaterThanOrEqual(min);
    expect(x.durationMs as number).toBeLessThan(max);
    // The end is after the exec by about its duration (the wall clocks of both come from one reference).
    const gap = Date.parse(String(x.time)) - Date.parse(String(exec.time));
    expect(Math.abs(gap - (x.durationMs as number))).toBeLessThan(5);
  });

  it("a process that exec'd again ends once, timed from its last exec", () => {
    const { exec, exits } = find('again');
    const last = lines.filter((l) => l.type === 'exec' && l.pid === exec.pid && (l.args as string[]).at(-1) === 'again');
    expect(last).toHaveLength(1);
    expect(exits).toHaveLength(1);
    expect(exits[0]).toMatchObject({ exitCode: 4, signal: null });
    expect(exits[0]!.durationMs as number).toBeGreaterThanOrEqual(180);
    expect(Date.parse(String(exits[0]!.time)) - Date.parse(String(last[0]!.time))).toBeGreaterThanOrEqual(180);
  });

  it("--timeline-to: a span ends at its process's end, with the exit code or signal", () => {
    const file = JSON.parse(readFileSync(timelineFile, 'utf8')) as {
      traceEvents: { ph: string; ts?: number; dur?: number; args: Record<string, unknown> }[];
    };
    expect(traceEventProblems(file)).toEqual([]);
    for (const [what, exitCode, signal] of [
      ['three', 3, null],
      ['kill', null, 'SIGKILL'],
    ] as const) {
      const { exec, exits } = find(what);
      const span = file.traceEvents.findLast(
        (e) => e.ph === 'X' && e.args.pid === exec.pid && (e.args.argv as string[]).at(-1) === tag(what),
      );
      expect(span, what).toMatchObject({ args: { ended: 'exit', exitCode, signal } });
      expect(Math.abs((span!.ts! + span!.dur!) / 1000 - Date.parse(String(exits[0]!.time)))).toBeLessThan(2);
    }
  });

  it('every exec line says "type": "exec" first; the totals count the exits', () => {
    for (const l of lines) expect(Object.keys(l)[0]).toBe('type');
    expect(lines.filter((l) => l.type === 'exec').length).toBeGreaterThan(RUNS.length);
    expect(stderr).toMatch(/, \d+ exits/);
  });
});
