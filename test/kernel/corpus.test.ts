/**
 * The corpus on the real kernel: one sample of every form (test/cgroup-corpus/paths.json) made as
 * a real cgroup directory, an exec in each, all traced by ONE `--local` run of the built CLI, and
 * each exec must come out with exactly the attribution the corpus asks for.
 *
 * Ids in the samples are replaced by fresh random ones of the same shape (the same id everywhere it
 * appears), so a run never meets a directory left by another, and the pattern is what is tested.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestCgroup, cgroupRoots, execIn, hex32, kernelDescribe, removeAll } from '../support/kernel.js';
import { jsonLines, startCli, type CliRun } from '../support/cli.js';
import { entries, isPod, samplePaths, type CorpusEntry } from '../cgroup-corpus/corpus.js';

const k = kernelDescribe();

/** The ids the corpus uses: container ids, static pod hashes / ECS task ids, pod uids (either separator). */
// `pod` before a uid ends in a hex digit, so it is allowed explicitly before an id.
const ID =
  /(?<=pod|^|[^0-9a-f])([0-9a-f]{64}|[0-9a-f]{32}|[0-9a-f]{8}([-_])[0-9a-f]{4}\2[0-9a-f]{4}\2[0-9a-f]{4}\2[0-9a-f]{12})(?![0-9a-f])/g;
/** The tracer walks this many path components up from the leaf (LEVELS in src/node/render.ts). */
const LEVELS = 8;

/** Replaces every id by a fresh one of the same shape, consistently across calls. */
function freshIds(): (s: string) => string {
  const seen = new Map<string, string>();
  return (s) =>
    s.replace(ID, (id: string, _whole: string, sep: string | undefined) => {
      const key = id.replaceAll('_', '-');
      let fresh = seen.get(key);
      if (fresh === undefined) {
        fresh = id.length === 64 ? randomBytes(32).toString('hex') : id.length === 32 ? hex32() : randomUUID();
        seen.set(key, fresh);
      }
      return sep === '_' ? fresh.replaceAll('-', '_') : fresh;
    });
}

interface Sample {
  entry: CorpusEntry;
  index: number;
  v2: string;
  v1: string;
  expect: CorpusEntry['expect'];
  tag: string;
}

/**
 * The first entry of each form that can be made here: a path below the root and within the tracer's
 * depth, made below a private parent directory of this run (`trace-exec-corpus-<marker>` in each
 * hierarchy). The decoder is anchored nowhere (a kubelet may sit below a cgroup-root prefix, and the
 * tracer may not reach the top of a deep path), so the parent changes nothing in what it reads; it
 * keeps the samples from depending on which roots this machine happens to have (a real containerd
 * makes `/kubepods/besteffort`, systemd its slices) and never moves a process into a real unit's
 * cgroup.
 */
function pickSamples(marker: string): Sample[] {
  const parent = `trace-exec-corpus-${marker}`;
  const roots = cgroupRoots();
  const picked = new Map<string, Sample>();
  entries.forEach((entry, index) => {
    if (picked.has(entry.form)) return;
    const rename = freshIds();
    const paths = samplePaths(entry.cgroup);
    const v2 = rename(paths.v2);
    const v1 = rename(paths.v1);
    if (v2 === '' || v1 === '') return;
    if ([v2, v1].some((p) => p.split('/').length > LEVELS)) return;
    if (existsSync(join(roots.v2, parent)) || existsSync(join(roots.v1, parent)))
      throw new Error(`${parent} exists already: marker not unique`);
    const expect = JSON.parse(rename(JSON.stringify(entry.expect))) as CorpusEntry['expect'];
    picked.set(entry.form, { entry, index, v2: `${parent}/${v2}`, v1: `${parent}/${v1}`, expect, tag: `${marker}-${picked.size}` });
  });
  return [...picked.values()];
}

describe.skipIf(k.skip)(`the corpus on the real kernel through --local${k.reason ? ` (${k.reason})` : ''}`, () => {
  const marker = `tc-${hex32().slice(0, 12)}`;
  const samples = k.reason ? [] : pickSamples(marker);
  const cgroups: TestCgroup[] = [];
  let cli: CliRun | undefined;
  let events: Record<string, unknown>[] = [];

  beforeAll(async () => {
    if (k.reason) throw new Error(`real-kernel tests must run under CI but cannot: ${k.reason}`);
    cli = startCli(['--local', '-o', 'json', '-d', '90s']);
    await cli.waitForStderr(/tracing execs on/, 45_000);
    for (const s of samples) {
      // Same path in both hierarchies: one directory chain; different paths: one per hierarchy.
      const made = s.v1 === s.v2 ? [new TestCgroup(s.v2, ['v1', 'v2'])] : [new TestCgroup(s.v2, ['v2']), new TestCgroup(s.v1, ['v1'])];
      cgroups.push(...made);
      await execIn(made, ['/bin/echo', s.tag]);
    }
    // Give the last records time to arrive, then stop the CLI as a user would (Ctrl-C).
    await new Promise((r) => setTimeout(r, 1500));
    cli.proc.kill('SIGINT');
    const r = await cli.done();
    expect(r.code, r.stderr).toBe(0);
    events = jsonLines(r.stdout);
  }, 150_000);

  afterAll(() => {
    if (cli && cli.proc.exitCode === null) cli.proc.kill('SIGKILL');
    removeAll(cgroups);
  });

  it('samples every form of the corpus', () => {
    expect(samples.map((s) => s.entry.form).sort()).toEqual([...new Set(entries.map((e) => e.form))].sort());
  });

  it.each(samples.map((s) => [`${s.entry.form} (#${s.index}: ${s.v2 === s.v1 ? s.v2 : `v2 ${s.v2}, v1 ${s.v1}`})`, s] as const))(
    '%s',
    (_name, s) => {
      const hits = events.filter((e) => (e.args as string[])[1] === s.tag);
      expect(hits, `exactly one event for ${s.tag}`).toHaveLength(1);
      const e = hits[0]!;
      expect(
        [s.v2, s.v1].some((p) => String(e.cgroup).endsWith(p)),
        `cgroup ${String(e.cgroup)}`,
      ).toBe(true);
      const x = s.expect;
      if (isPod(x)) {
        expect(e.attribution).toBe('unattributed'); // --local has no API: pod names are unknown, ids are not
        expect({ podUid: e.podUid, containerId: e.containerId, helper: e.helper }).toEqual({
          podUid: x.podUid,
          containerId: x.containerId,
          helper: x.helper,
        });
      } else {
        expect(e.attribution).toBe('host');
        expect(e.podUid).toBeNull();
        expect(e.containerId).toBeNull();
        if ('unreadable' in x) expect(e.unit).toBeNull();
        else if (x.unit !== undefined) expect(e.unit).toBe(x.unit);
      }
    },
  );
});
