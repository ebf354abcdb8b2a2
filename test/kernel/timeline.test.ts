/**
 * --timeline-to on the real kernel: `--local --timeline-to F -d 3s` writes a trace-event file that
 * the format checker accepts, and in it the processes this test ran: a shell that execs echo in a
 * kubelet-shaped cgroup (one track: the sh span ended by the exec of echo), and a failed exec.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TestCgroup, execIn, hex32, kernelDescribe, removeAll, uuid, hex64 } from '../support/kernel.js';
import { startCli, type CliRun } from '../support/cli.js';
import { removeTempDirs, tempDir } from '../support/tmp.js';
import { traceEventProblems } from '../support/trace-events.js';

const k = kernelDescribe();

interface Ev {
  name: string;
  ph: string;
  pid: number;
  tid?: number;
  ts?: number;
  dur?: number;
  args: Record<string, unknown>;
}

describe.skipIf(k.skip)(`--timeline-to on the real kernel${k.reason ? ` (${k.reason})` : ''}`, () => {
  let cli: CliRun | null = null;
  const cgroups: TestCgroup[] = [];
  afterAll(() => {
    if (cli && cli.proc.exitCode === null) cli.proc.kill('SIGKILL');
    removeAll(cgroups);
    removeTempDirs();
  });

  it('writes a valid trace-event file with the execs the test ran', async () => {
    if (k.reason) throw new Error(`real-kernel tests must run under CI but cannot: ${k.reason}`);
    const file = join(tempDir('trace-exec-timeline-'), 'timeline.json');
    const tag = `tl-${hex32().slice(0, 12)}`;
    const uid = uuid();
    const cg = new TestCgroup(
      `kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod${uid.replaceAll('-', '_')}.slice/cri-containerd-${hex64()}.scope`,
      ['v2'],
    );
    cgroups.push(cg);

    const started = Date.now();
    cli = startCli(['--local', '--timeline-to', file, '-d', '3s']);
    await cli.waitForStderr(/tracing execs on/, 45_000);
    await execIn(cg, ['/bin/echo', tag]);
    await execIn(null, [`/nonexistent/${tag}`]);
    const r = await cli.done();
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(new RegExp(`wrote the timeline \\(\\d+ execs\\) to ${file.replaceAll('/', '\\/')}`));

    const parsed = JSON.parse(readFileSync(file, 'utf8')) as { traceEvents: Ev[]; otherData: Record<string, unknown> };
    expect(traceEventProblems(parsed)).toEqual([]);
    const events = parsed.traceEvents;
    const groupName = new Map(events.filter((e) => e.name === 'process_name').map((e) => [e.pid, e.args.name]));
    const threadName = new Map(events.filter((e) => e.name === 'thread_name').map((e) => [e.tid, e.args.name]));

    // The echo: a complete event in the pod's group (no API with --local: named by its uid), µs times of this run.
    const echo = events.filter((e) => e.ph === 'X' && (e.args.argv as string[])[1] === tag);
    expect(
      echo,
      `one span for the echo; events naming ${tag}: ${JSON.stringify(events.filter((e) => JSON.stringify(e).includes(tag)))}\n${r.stderr}`,
    ).toHaveLength(1);
    const span = echo[0]!;
    expect(span).toMatchObject({
      name: 'echo',
      args: { filename: '/bin/echo', retval: 0, error: null, upperLayer: null, ended: 'end of trace' },
    });
    expect(groupName.get(span.pid)).toBe(`<unknown>/pod-uid:${uid.slice(0, 8)}`);
    expect(span.ts! / 1000).toBeGreaterThanOrEqual(started - 1000);
    expect(span.ts! / 1000).toBeLessThanOrEqual(Date.now());
    expect(threadName.get(span.tid)).toBe(`echo ${String(span.args.pid)}`);
    // The shell it replaced (same pid; it ran in the host cgroup until the test moved it): its span ends where the echo starts.
    const sh = events.find((e) => e.ph === 'X' && e.args.pid === span.args.pid && e.name === 'sh');
    expect(sh, 'the sh before the echo').toMatchObject({ args: { ended: 'next exec' } });
    expect(sh!.ts! + sh!.dur!).toBe(span.ts);
    expect(groupName.get(sh!.pid)).toBe('host');

    // The failed exec: an instant on its shell's track, in the host group.
    const failed = events.find((e) => e.ph === 'i' && String(e.args.filename).includes(tag));
    expect(failed).toMatchObject({ name: `${tag} ENOENT`, args: { retval: -2, error: 'ENOENT' } });
    expect(groupName.get(failed!.pid)).toBe('host');
  }, 90_000);
});
