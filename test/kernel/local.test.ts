/**
 * Real kernel, real bpftrace, real cgroups: the CLI in --local mode traces execs that these tests
 * run inside kubelet-shaped cgroup directories, and each must decode to exactly its pod / container.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestCgroup, execIn, removeAll, hex32, hex64, kernelDescribe, uuid } from '../support/kernel.js';
import { jsonLines, startCli, type CliRun } from '../support/cli.js';
import { tempDir, removeTempDirs } from '../support/tmp.js';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const k = kernelDescribe();

/**
 * perl, through raw system calls: mmap a file (never touching the page) and execve the filename and
 * argv[0] that are in it. x86-64 and arm64 numbers.
 */
const SYS = process.arch === 'arm64' ? { mmap: 222, execve: 221 } : { mmap: 9, execve: 59 };
const UNTOUCHED_EXEC = [
  `open(my $fh, '<', $ARGV[0]) or die "open: $!";`,
  `my $page = syscall(${SYS.mmap}, 0, 4096, 1, 2, fileno($fh), 0);`,
  `die "mmap: $!" if $page == -1;`,
  `my $argv = pack('Q2', $page + 2048, 0);`,
  `syscall(${SYS.execve}, $page, $argv, 0);`,
  `die "execve: $!";`,
].join(' ');

/**
 * python3: a thread other than the main one execs (Go's syscall.Exec from a goroutine does the same).
 * The kernel then gives the exec'ing thread the leader's pid as its tid, so the exec's entry and its
 * return are seen under two tids.
 */
const THREAD_EXEC = `import os, sys, threading, time
threading.Thread(target=lambda: os.execv('/bin/echo', ['/bin/echo', sys.argv[1]])).start()
time.sleep(10)`;

/** A 4 KiB file: "/bin/true" at 0 and argv0 at 2048, NUL-terminated. */
function untouchedFile(argv0: string): string {
  const dir = tempDir('trace-exec-untouched-');
  const file = join(dir, 'page');
  const page = Buffer.alloc(4096);
  page.write('/bin/true\0', 0);
  page.write(`${argv0}\0`, 2048);
  writeFileSync(file, page);
  return file;
}

interface Case {
  name: string;
  hierarchies: ('v1' | 'v2')[];
  path: (uid: string, id: string) => string;
  uid: () => string;
  /** The podUid the event must carry (static pods: the hash as is). */
  expectUid: (uid: string) => string;
  runtime: string | null;
}

const CASES: Case[] = [
  {
    name: 'systemd driver, CRI-O, burstable, hybrid (v1 and v2)',
    hierarchies: ['v1', 'v2'],
    path: (u, id) => `kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${u.replaceAll('-', '_')}.slice/crio-${id}.scope`,
    uid: uuid,
    expectUid: (u) => u,
    runtime: 'crio',
  },
  {
    name: 'cgroupfs driver, containerd, besteffort, v1 only',
    hierarchies: ['v1'],
    path: (u, id) => `kubepods/besteffort/pod${u}/${id}`,
    uid: uuid,
    expectUid: (u) => u,
    runtime: null,
  },
  {
    name: 'systemd driver, containerd with crun /container, guaranteed, v2 only',
    hierarchies: ['v2'],
    path: (u, id) => `kubepods.slice/kubepods-pod${u.replaceAll('-', '_')}.slice/cri-containerd-${id}.scope/container`,
    uid: uuid,
    expectUid: (u) => u,
    runtime: 'containerd',
  },
  {
    name: 'static pod under a kubelet cgroup-root prefix (kind), hybrid',
    hierarchies: ['v1', 'v2'],
    path: (h, id) =>
      `kubelet.slice/kubelet-kubepods.slice/kubelet-kubepods-besteffort.slice/kubelet-kubepods-besteffort-pod${h}.slice/cri-containerd-${id}.scope`,
    uid: hex32,
    expectUid: (h) => h,
    runtime: 'containerd',
  },
];

describe.skipIf(k.skip)(`--local on the real kernel${k.reason ? ` (${k.reason})` : ''}`, () => {
  let cli: CliRun;
  const cgroups: TestCgroup[] = [];
  const marker = `te-${hex32().slice(0, 12)}`;
  const planned: { c: Case; uid: string; id: string; tag: string }[] = CASES.map((c, i) => ({
    c,
    uid: c.uid(),
    id: hex64(),
    tag: `${marker}-${i}`,
  }));
  const longArgs = Array.from({ length: 40 }, (_, i) => (i === 3 ? 'x'.repeat(300) : `arg${i}`));
  let events: Record<string, unknown>[] = [];

  beforeAll(async () => {
    if (k.reason) throw new Error(`real-kernel tests must run under CI but cannot: ${k.reason}`);
    cli = startCli(['--local', '-o', 'json', '-d', '60s']);
    await cli.waitForStderr(/tracing execs on/, 45_000);
    for (const p of planned) {
      const cg = new TestCgroup(p.c.path(p.uid, p.id), p.c.hierarchies);
      cgroups.push(cg);
      await execIn(cg, ['/bin/echo', p.tag, 'with space', '', 'grüße ✓']);
    }
    await execIn(null, ['/bin/echo', `${marker}-long`, ...longArgs]);
    await execIn(null, [`/nonexistent/${marker}-missing`]);
    // An exec whose filename and argv sit in a page the process never touched: BPF cannot read them
    // at entry (it cannot fault pages in); the program reads them again from the new program.
    await execIn(null, ['perl', '-e', UNTOUCHED_EXEC, untouchedFile(`${marker}-untouched`)]);
    await execIn(null, ['/usr/bin/python3', '-c', THREAD_EXEC, `${marker}-thread`]);
    // Give the last records time to arrive, then stop the CLI as a user would (Ctrl-C).
    await new Promise((r) => setTimeout(r, 1500));
    cli.proc.kill('SIGINT');
    const r = await cli.done();
    expect(r.code, r.stderr).toBe(0);
    events = jsonLines(r.stdout);
  }, 120_000);

  afterAll(() => {
    if (cli && cli.proc.exitCode === null) cli.proc.kill('SIGKILL');
    // Newest first: later cgroups may sit inside directories an earlier one created.
    removeAll(cgroups);
    removeTempDirs();
  });

  it.each(CASES.map((c, i) => [c.name, i] as const))('%s', (_name, i) => {
    const p = planned[i]!;
    const hits = events.filter((e) => (e.args as string[])[1] === p.tag);
    expect(hits, `exactly one event for ${p.tag}`).toHaveLength(1);
    const e = hits[0]!;
    expect(e.attribution).toBe('unattributed'); // --local has no API: pod names are unknown, ids are not
    expect(e.podUid).toBe(p.c.expectUid(p.uid));
    expect(e.containerId).toBe(p.id);
    expect(e.args).toEqual(['/bin/echo', p.tag, 'with space', '', 'grüße ✓']);
    expect(e.argsTruncated).toBe(false);
    expect(e.retval).toBe(0);
    expect(e.comm).toBe('echo');
    expect(e.filename).toBe('/bin/echo');
    expect(e.cgroup).toContain(p.id);
  });

  it('carries long argv and says where it was cut', () => {
    const e = events.find((x) => (x.args as string[])[1] === `${marker}-long`);
    expect(e).toBeDefined();
    const args = e!.args as string[];
    expect(args).toHaveLength(32); // ARGS_MAX
    expect(args.slice(0, 3)).toEqual(['/bin/echo', `${marker}-long`, 'arg0']);
    expect(args[5]).toBe('x'.repeat(199)); // cut at the string size…
    expect(e!.argsTruncated).toBe(true); // …and said so
  });

  it('a successful exec whose strings could not be read at entry comes out complete all the same', () => {
    const e = events.find((x) => (x.args as string[])[0] === `${marker}-untouched`);
    expect(e, 'the exec of an untouched page').toBeDefined();
    expect(e).toMatchObject({ filename: '/bin/true', args: [`${marker}-untouched`], argsTruncated: false, retval: 0, comm: 'true' });
  });

  it('an exec by a thread other than the main one: complete, with its return value', () => {
    const python = events.find((x) => (x.args as string[])[2] === THREAD_EXEC);
    const e = events.find((x) => (x.args as string[])[1] === `${marker}-thread`);
    expect(python, 'the python exec').toBeDefined();
    expect(e, "the thread's exec").toMatchObject({
      filename: '/bin/echo',
      args: ['/bin/echo', `${marker}-thread`],
      retval: 0,
      comm: 'echo',
      pid: python!.pid,
    });
  });

  it('reports failed execs with their error', () => {
    const e = events.find((x) => String(x.filename).includes(`${marker}-missing`));
    expect(e).toBeDefined();
    expect(e!.retval).toBe(-2); // ENOENT
    expect(e!.comm).toBe('sh'); // the exec failed: still the shell
    expect(e!.attribution).toBe('host');
  });

  it('shows host processes as host, with the pid and parent', () => {
    const host = events.filter((e) => e.attribution === 'host');
    expect(host.length).toBeGreaterThan(0);
    for (const e of events) {
      expect(typeof e.pid).toBe('number');
      expect(typeof e.ppid).toBe('number');
      expect(e.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    }
  });
});
