/**
 * The exec context (issue 23) on the real kernel: the built CLI traces with --local -o json while
 * this test execs marked commands in a kubelet-shaped cgroup, and each line must say what the
 * kernel held: a script's exe is its interpreter, `cd DIR && ./tool` has cwd DIR, a memfd exec and an
 * exec of an unlinked file are flagged, `script` gives a pts and `setsid` none, a loginuid written
 * in a child shows with its new session. A fake container (its own pid namespace, its first
 * process moved into its cgroup, like runc's init) tells its init tree from a process entered with
 * nsenter (like runc exec) and from one moved in from the host's pid namespace (hostPID: not known).
 * inInitTree and sessionLeaderPid are not in -o json (the client turns them into `entry`): a second
 * tracer, the rendered program decoded in this process, gives the ExecEvents.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestCgroup, execIn, hex32, hex64, kernelDescribe, removeAll, uuid } from '../support/kernel.js';
import { jsonLines, startCli, type CliRun } from '../support/cli.js';
import { removeTempDirs, tempDir } from '../support/tmp.js';
import { PROBE_COMMAND, parseProbe } from '../../src/node/probe.js';
import { bpftraceCommand, renderProgram } from '../../src/node/render.js';
import { TraceDecoder } from '../../src/events/decoder.js';
import type { ExecEvent } from '../../src/events/types.js';

const k = kernelDescribe();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const PYTHON = '/usr/bin/python3';
/** The commands that run the marked ones (their argv ends with the same marker). */
const WRAPPER = /(^|\/)(sh|python3|setsid|script|unshare|nsenter)$/;

/** An exec of /proc/self/fd/N of a file python made: a memfd (memfd) or one it unlinked (path). */
function pyExecFd(what: { memfd: string } | { path: string }, argv: string[]): string[] {
  const open =
    'memfd' in what
      ? `fd = os.memfd_create(${JSON.stringify(what.memfd)}); os.write(fd, open("/bin/true", "rb").read())`
      : `fd = os.open(${JSON.stringify(what.path)}, os.O_RDONLY); os.unlink(${JSON.stringify(what.path)})`;
  return [PYTHON, '-c', `import os, sys\n${open}\nos.execve(f"/proc/self/fd/{fd}", sys.argv[1:], {})`, ...argv];
}

describe.skipIf(k.skip)(
  `the exec context (cwd, exe, memfd, deleted, tty, loginuid, init tree) on the real kernel${k.reason ? ` (${k.reason})` : ''}`,
  () => {
    const marker = `te-${hex32().slice(0, 12)}`;
    const tag = (what: string): string => `${marker}-${what}`;
    const cgroups: TestCgroup[] = [];
    const children: ChildProcess[] = [];
    let cli: CliRun | null = null;
    let lines: Record<string, unknown>[] = [];
    const events: ExecEvent[] = [];
    let bpftrace: ChildProcess | null = null;
    let dir = '';
    /** Host pids of the fake container's first process and of the process entered into it. */
    const pids = { init: 0, entered: 0 };

    beforeAll(async () => {
      if (k.reason) throw new Error(`real-kernel tests must run under CI but cannot: ${k.reason}`);
      dir = realpathSync(tempDir('trace-exec-context-'));
      mkdirSync(join(dir, 'x'));
      copyFileSync('/bin/true', join(dir, 'x', 'tool'));
      writeFileSync(join(dir, 'tool.sh'), '#!/bin/sh\nexit 0\n');
      chmodSync(join(dir, 'tool.sh'), 0o755);
      copyFileSync('/bin/true', join(dir, 'doomed'));

      cli = startCli(['--local', '-o', 'json', '-d', '90s']);
      const rendered = renderProgram(parseProbe(execFileSync(PROBE_COMMAND[0]!, PROBE_COMMAND.slice(1), { encoding: 'utf8' })));
      const programFile = join(dir, 'trace-exec.bt');
      writeFileSync(programFile, rendered.program);
      const cmd = bpftraceCommand(rendered, programFile);
      let started = false;
      const decoder = new TraceDecoder(
        { strlen: rendered.strlen, levels: rendered.levels, argsMax: rendered.argsMax },
        {
          event: (e) => events.push(e),
          notice: (n) => (started ||= n.kind === 'started'),
        },
      );
      bpftrace = spawn(cmd[0]!, cmd.slice(1), { stdio: ['ignore', 'pipe', 'ignore'] });
      bpftrace.stdout!.on('data', (c: Buffer) => decoder.push(c));
      const ended = new Promise<void>((r) => bpftrace!.once('exit', () => r(decoder.end())));
      await cli.waitForStderr(/tracing execs on/, 60_000);
      for (let i = 0; !started && i < 1200; i++) await sleep(50);
      expect(started, 'the second tracer started').toBe(true);
      const pod = () =>
        `kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${uuid().replaceAll('-', '_')}.slice/cri-containerd-${hex64()}.scope`;
      const cg = new TestCgroup(pod(), ['v1', 'v2']);
      cgroups.push(cg);
      const tool = join(dir, 'x', 'tool');

      expect(await execIn(cg, [join(dir, 'tool.sh'), tag('script')])).toBe(0);
      expect(await execIn(cg, ['sh', '-c', `cd ${join(dir, 'x')} && exec ./tool ${tag('cwd')}`])).toBe(0);
      expect(await execIn(cg, pyExecFd({ memfd: 'te-payload' }, ['payload', tag('memfd')]))).toBe(0);
      expect(await execIn(cg, pyExecFd({ path: join(dir, 'doomed') }, ['doomed', tag('deleted')]))).toBe(0);
      expect(await execIn(cg, ['script', '-qec', `${tool} ${tag('script-tty')}`, '/dev/null'])).toBe(0);
      expect(await execIn(cg, ['setsid', '-w', tool, tag('setsid')])).toBe(0);
      expect(await execIn(cg, ['sh', '-c', `echo 1000 > /proc/self/loginuid && exec ${tool} ${tag('loginuid')}`])).toBe(0);
      expect(await execIn(cg, [tool, tag('inherited')])).toBe(0);

      // The fake container: unshare forks its first process (pid 1 in a new pid namespace), which
      // moves itself into the container's cgroup (as runc's init is placed) and runs its children.
      const ctr = new TestCgroup(pod(), ['v1', 'v2']);
      cgroups.push(ctr);
      const join0 = ctr.dirs.map((d) => `echo 0 > ${join(d, 'cgroup.procs')}`).join(' && ');
      const stop = join(dir, 'stop');
      const init = spawn(
        'unshare',
        [
          '--pid',
          '--fork',
          'sh',
          '-c',
          `${join0} && ${tool} ${tag('init')} && sh -c '${tool} ${tag('init-child')}' && while [ ! -e ${stop} ]; do sleep 0.05; done`,
        ],
        { stdio: 'ignore' },
      );
      children.push(init);
      for (let i = 0; pids.init === 0 && i < 200; i++) {
        await sleep(25);
        try {
          pids.init = Number(readFileSync(`/proc/${init.pid}/task/${init.pid}/children`, 'utf8').trim().split(' ')[0] || 0);
        } catch {
          /* not yet */
        }
      }
      expect(pids.init, 'the fake container started').toBeGreaterThan(0);
      await sleep(300);
      // Entered like runc exec: into its pid namespace (nsenter forks the entering process), then its cgroup.
      const entered = spawn(
        'nsenter',
        [
          '-t',
          String(pids.init),
          '-p',
          '--',
          'sh',
          '-c',
          `${join0} && echo $$ >/dev/null && ${tool} ${tag('entered')}; sh -c '${tool} ${tag('entered-child')}'`,
        ],
        { stdio: 'ignore' },
      );
      children.push(entered);
      await new Promise((r) => entered.once('exit', r));
      // Moved in from the host's pid namespace (a hostPID container's exec looks like this).
      expect(await execIn(ctr, [tool, tag('hostpid')])).toBe(0);
      writeFileSync(stop, '');
      await new Promise((r) => (init.exitCode !== null ? r(null) : init.once('exit', r)));
      await sleep(1500);
      cli.proc.kill('SIGINT');
      const run = await cli.done();
      expect(run.code, run.stderr).toBe(0);
      lines = jsonLines(run.stdout);
      bpftrace.kill('SIGINT');
      await ended;
    }, 150_000);

    afterAll(() => {
      if (cli && cli.proc.exitCode === null) cli.proc.kill('SIGKILL');
      if (bpftrace && bpftrace.exitCode === null) bpftrace.kill('SIGKILL');
      for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
      removeAll(cgroups);
      removeTempDirs();
    });

    /** The decoded ExecEvent of one marked exec (the second tracer). */
    const event = (what: string): ExecEvent => {
      const hits = events.filter((e) => e.args.at(-1) === tag(what) && e.retval === 0 && !WRAPPER.test(e.filename));
      expect(
        hits.map((e) => e.filename),
        `exactly one exec of ${what}`,
      ).toHaveLength(1);
      return hits[0]!;
    };

    const one = (what: string): Record<string, unknown> => {
      const hits = lines.filter((e) => (e.args as string[]).at(-1) === tag(what) && e.retval === 0 && !WRAPPER.test(String(e.filename)));
      expect(
        hits.map((e) => e.filename),
        `exactly one exec of ${what}`,
      ).toHaveLength(1);
      return hits[0]!;
    };

    it('the second tracer decoded the same execs as the CLI printed', () => {
      expect(event('cwd')).toMatchObject({ cwd: one('cwd').cwd, exe: one('cwd').exe });
    });

    it('a script: exe is its interpreter, filename what was passed', () => {
      expect(one('script')).toMatchObject({
        filename: join(dir, 'tool.sh'),
        exe: realpathSync('/bin/sh'),
        exeFromMemfd: false,
        exeDeleted: false,
      });
    });

    it('cd DIR && ./tool: cwd is DIR, exe the tool', () => {
      expect(one('cwd')).toMatchObject({ filename: './tool', cwd: join(dir, 'x'), cwdTruncated: false, exe: join(dir, 'x', 'tool') });
    });

    it('a memfd exec: exeFromMemfd (and no link: exeDeleted), exe its memfd name', () => {
      expect(one('memfd')).toMatchObject({
        filename: expect.stringMatching(/^\/proc\/self\/fd\/\d+$/),
        exe: '/memfd:te-payload',
        exeFromMemfd: true,
        exeDeleted: true,
      });
    });

    it('an exec of a file unlinked while open: exeDeleted, exe its old path', () => {
      expect(one('deleted')).toMatchObject({ exe: join(dir, 'doomed'), exeFromMemfd: false, exeDeleted: true });
    });

    it('under script: a pts; under setsid: no terminal', () => {
      expect(one('script-tty').tty).toMatch(/^pts\/\d+$/);
      expect(one('setsid').tty).toBeNull();
    });

    it('a loginuid written in a child: that uid and its new session; else what this process has', () => {
      const own = Number(readFileSync('/proc/self/loginuid', 'utf8'));
      const ownSession = Number(readFileSync('/proc/self/sessionid', 'utf8'));
      const set = one('loginuid');
      expect(set.loginUid).toBe(1000);
      expect(set.sessionId).toEqual(expect.any(Number));
      expect(set.sessionId).not.toBe(ownSession);
      expect(one('inherited')).toMatchObject({
        loginUid: own === 4294967295 ? null : own,
        sessionId: ownSession === 4294967295 ? null : ownSession,
      });
    });

    it("the fake container's init tree: its first process (pid 1 in its namespace) and that one's children", () => {
      for (const what of ['init', 'init-child']) expect(event(what), what).toMatchObject({ inInitTree: true, sessionLeaderPid: pids.init });
    });

    it('entered into its pid namespace and cgroup from outside (runc exec): not in the init tree, led by the entered process', () => {
      const [entered, child] = [event('entered'), event('entered-child')];
      expect(entered).toMatchObject({ inInitTree: false });
      expect(entered.sessionLeaderPid).not.toBe(pids.init);
      expect(child).toMatchObject({ inInitTree: false, sessionLeaderPid: entered.sessionLeaderPid });
    });

    it("moved in from the host's pid namespace (hostPID): not known, led by itself", () => {
      const e = event('hostpid');
      expect(e).toMatchObject({ inInitTree: null, sessionLeaderPid: e.pid });
    });
  },
);
