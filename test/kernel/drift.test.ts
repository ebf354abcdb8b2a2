/**
 * Drift on the real kernel: a real overlayfs mount (lower, upper, work, merged), executables from
 * each of its layers exec'd through the merged mount inside a kubelet-shaped cgroup, traced by the
 * CLI with --local. Each exec must say where its file came from (upperLayer), and --drift must keep
 * exactly the upper-layer ones.
 */
import { chmodSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestCgroup, execIn, hex32, hex64, kernelDescribe, removeAll, uuid } from '../support/kernel.js';
import { jsonLines, startCli, type CliRun } from '../support/cli.js';
import { removeTempDirs } from '../support/tmp.js';
import { mountOverlay, type Overlay } from '../support/overlay.js';

const k = kernelDescribe();

describe.skipIf(k.skip)(`drift (upperLayer, --drift) on real overlayfs mounts${k.reason ? ` (${k.reason})` : ''}`, () => {
  const marker = `te-${hex32().slice(0, 12)}`;
  const cgroups: TestCgroup[] = [];
  let overlay: Overlay | null = null;
  let merged = '';
  let all: Record<string, unknown>[] = [];
  let drift: Record<string, unknown>[] = [];
  const clis: CliRun[] = [];

  /** The executables, each exec'd through the merged mount with the marker as its argument. */
  const EXECS = {
    /** In the lower (image) directory only. */
    image: 'from-image',
    /** Copied into the upper directory before the mount: a layer's own file. */
    upper: 'from-upper',
    /** Copied in through the merged mount after mounting: lands in the upper layer (drift). */
    written: 'written-in',
    /** In the lower directory, then chmod'ed through the merged mount: copied up (changed in the container). */
    changed: 'chmod-ed',
  } as const;
  const tag = (what: string): string => `${marker}-${what}`;

  beforeAll(async () => {
    if (k.reason) throw new Error(`real-kernel tests must run under CI but cannot: ${k.reason}`);
    overlay = mountOverlay({ lower: { [EXECS.image]: true, [EXECS.changed]: false }, upper: { [EXECS.upper]: true } }, 'trace-exec-drift-');
    const mnt = (merged = overlay.merged);
    overlay.writeTrue(EXECS.written);
    chmodSync(join(mnt, EXECS.changed), 0o755);

    // Two traces at once: every exec, and --drift.
    clis.push(startCli(['--local', '-o', 'json', '-d', '60s']), startCli(['--local', '-o', 'json', '--drift', '-d', '60s']));
    await Promise.all(clis.map((c) => c.waitForStderr(/tracing execs on/, 45_000)));
    const cg = new TestCgroup(
      `kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${uuid().replaceAll('-', '_')}.slice/cri-containerd-${hex64()}.scope`,
      ['v1', 'v2'],
    );
    cgroups.push(cg);
    for (const file of Object.values(EXECS)) expect(await execIn(cg, [join(mnt, file), tag(file)])).toBe(0);
    await execIn(cg, ['/bin/true', tag('host-file')]); // not on overlayfs
    await execIn(cg, [join(mnt, 'missing'), tag('missing')]); // a failed exec
    await new Promise((r) => setTimeout(r, 1500));
    const runs = [];
    for (const c of clis) {
      c.proc.kill('SIGINT');
      runs.push(await c.done());
    }
    for (const r of runs) expect(r.code, r.stderr).toBe(0);
    [all, drift] = runs.map((r) => jsonLines(r.stdout)) as [Record<string, unknown>[], Record<string, unknown>[]];
  }, 120_000);

  afterAll(() => {
    for (const c of clis) if (c.proc.exitCode === null) c.proc.kill('SIGKILL');
    const errors: string[] = [];
    try {
      overlay?.unmount();
    } catch (e) {
      errors.push(`could not unmount ${merged}: ${(e as Error).message}`);
    }
    try {
      removeAll(cgroups);
    } catch (e) {
      errors.push((e as Error).message);
    }
    removeTempDirs();
    if (errors.length > 0) throw new Error(errors.join('\n'));
  });

  const find = (events: Record<string, unknown>[], what: string) => events.filter((e) => (e.args as string[])[1] === tag(what));

  it.each([
    ['a file of the lower (image) layer', EXECS.image, false],
    ['a file the upper layer had before the mount', EXECS.upper, true],
    ['a file written through the merged mount after it started (drift)', EXECS.written, true],
    ['an image file changed (chmod) through the merged mount: copied up', EXECS.changed, true],
  ] as const)('%s: upperLayer %s', (_name, file, upperLayer) => {
    const hits = find(all, file);
    expect(hits, `exactly one exec of ${file}`).toHaveLength(1);
    expect(hits[0]).toMatchObject({ filename: join(merged, file), retval: 0, upperLayer, attribution: 'unattributed' });
    expect(hits[0]!.podUid).toEqual(expect.any(String));
  });

  it('a file not on overlayfs, and a failed exec: null', () => {
    expect(find(all, 'host-file').map((e) => e.upperLayer)).toEqual([null]);
    expect(find(all, 'missing').map((e) => [e.retval, e.upperLayer])).toEqual([[-2, null]]);
  });

  it('--drift keeps exactly the execs of upper-layer files', () => {
    const ours = drift.filter((e) => String((e.args as string[])[1]).startsWith(marker));
    expect(ours.map((e) => (e.args as string[])[1]).sort()).toEqual([EXECS.changed, EXECS.upper, EXECS.written].map(tag).sort());
    for (const e of drift) expect(e.upperLayer).toBe(true);
  });
});
