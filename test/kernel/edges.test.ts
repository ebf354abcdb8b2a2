/**
 * The first and the last moment of a run, on a busy machine (more busy loops than cores): an exec
 * made as soon as the CLI says "tracing execs on", and a burst of execs made just before it is stopped
 * (SIGTERM), are all in the output, whole.
 *
 * bpftrace (0.17 here) prints attached_probes and runs BEGIN before it attaches its probes, and
 * when SIGINT comes it can leave what its buffers still hold unread. Before the S records
 * (bpf/trace-exec.bt.tmpl) and the stop's settle time (src/node-trace.ts STOP_SETTLE_MS), a run
 * here lost one of these execs in about one run of five.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonLines, startCli } from '../support/cli.js';
import { execIn, hex32, kernelDescribe } from '../support/kernel.js';

const k = kernelDescribe();

describe.skipIf(k.skip)(`a run's first and last execs on a busy machine${k.reason ? ` (${k.reason})` : ''}`, () => {
  const busy: ChildProcess[] = [];

  beforeAll(() => {
    if (k.reason) throw new Error(`real-kernel tests must run under CI but cannot: ${k.reason}`);
    for (let i = 0; i <= availableParallelism(); i++) {
      busy.push(spawn('sh', ['-c', 'while :; do :; done'], { stdio: 'ignore', detached: true }));
    }
  });

  afterAll(async () => {
    for (const b of busy) {
      if (b.exitCode !== null || b.signalCode !== null) continue;
      const gone = new Promise((r) => b.once('exit', r));
      process.kill(-b.pid!, 'SIGKILL');
      await gone;
    }
  });

  it.each([1, 2, 3, 4])(
    'run %i: the exec right after "tracing" and the 21 right before SIGTERM are there',
    async () => {
      const mark = `edge${hex32().slice(0, 8)}`;
      const cli = startCli(['-v', '--local', '-o', 'json', '-d', '60s', '--comm', '^(true|echo|sh)$']);
      await cli.waitForStderr(/tracing execs on/, 45_000);
      await execIn(null, ['/bin/true', `first-${mark}`]);
      // The last ones: a failed exec, then a burst of 20 back to back, and the stop from the same
      // shell right after, as a CI script's `make e2e; kill -TERM "$pid"` does.
      await execIn(null, [`/nx/${mark}`]);
      const t0 = Date.now();
      await execIn(null, [
        '/bin/sh',
        '-c',
        `i=0; while [ $i -lt 20 ]; do i=$((i + 1)); /bin/true last-${mark}-$i; done; kill -TERM ${cli.proc.pid}`,
      ]);
      const { code, signal, stdout, stderr } = await cli.done();
      expect(code, `${signal} after ${Date.now() - t0} ms\n${stderr}`).toBe(0);
      expect(stderr).toMatch(/stopped \(SIGTERM\)/);
      const execs = jsonLines(stdout).filter((e) => e.type === 'exec');
      const find = (filename: string, arg: string | null) =>
        execs.filter((e) => e.filename === filename && (arg === null || (e.args as string[]).includes(arg)));
      expect(find('/bin/true', `first-${mark}`), stderr).toMatchObject([{ retval: 0, args: ['/bin/true', `first-${mark}`] }]);
      expect(find(`/nx/${mark}`, null), stderr).toMatchObject([{ error: 'ENOENT' }]);
      const last = execs.filter((e) => e.filename === '/bin/true' && String((e.args as string[])[1]).startsWith(`last-${mark}-`));
      expect(last.map((e) => (e.args as string[])[1]).sort(), stderr).toEqual(
        Array.from({ length: 20 }, (_, i) => `last-${mark}-${i + 1}`).sort(),
      );
    },
    90_000,
  );
});
