/**
 * How a process got into its container (`entry`, issue 23) on a real node: the API stand-in's CRI
 * kubelet runs a pod in containerd with an exec readiness probe, which it runs through CRI ExecSync
 * every second as a kubelet does; a shell is entered through CRI Exec with a terminal (what
 * `kubectl exec -it` does) and commands are typed into it. trace-exec (the debug pod in containerd,
 * real bpftrace) must tell the workload's own children (init), the probe (probe) and the session
 * (exec, its tty), and list the session's commands in order in the summary's transcript.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiServer, type ApiServer } from '../apiserver/index.js';
import { jsonLines, startCli } from '../support/cli.js';
import { hex32, traceUnavailable } from '../support/kernel.js';
import { debugImageUnavailable, importDebugImage } from './debug-image.js';
import { collect, createPod, openExec, running, waitForPod } from './pods.js';
import { runtimeDescribe, sharedRuntime, type Runtime } from './shared.js';
import { WORKLOAD_IMAGE } from './test-images.js';

const r = runtimeDescribe();
const reason = r.reason ?? traceUnavailable() ?? debugImageUnavailable();
const skip = r.skip || (reason !== null && process.env.CI !== 'true');
const NODE = 'cri-entry';
const sleep = (ms: number) => new Promise((res) => setTimeout(res, ms));

describe.skipIf(skip)(`entry on a real node: init, probe, exec session (containerd through the CRI)${reason ? ` (${reason})` : ''}`, () => {
  let rt: Runtime;
  let api: ApiServer;
  let image = '';
  let dir = '';
  const ns = `ent-${hex32().slice(0, 6)}`;
  const tag = `en-${hex32().slice(0, 8)}`;
  let lines: Record<string, unknown>[] = [];
  let summary = '';
  let stderr = '';

  beforeAll(async () => {
    if (reason) throw new Error(`real-runtime tests must run under CI but cannot: ${reason}`);
    dir = mkdtempSync(join(tmpdir(), 'trace-exec-entry-'));
    rt = await sharedRuntime();
    image = await importDebugImage(rt);
    api = await startApiServer();
    api.addNode(NODE, { runtime: rt });
    await createPod(api, {
      namespace: ns,
      name: 'web',
      node: NODE,
      containers: [
        {
          name: 'app',
          image: WORKLOAD_IMAGE,
          // The workload's own children: /bin/echo every half second.
          command: ['sh', '-c', `while :; do /bin/echo ${tag}-init >/dev/null; sleep 0.5; done`],
          readinessProbe: { exec: { command: ['cat', `/etc/${tag}-probe`] }, periodSeconds: 1 },
        },
      ],
    });
    await waitForPod(api, ns, 'web', running);

    const cli = startCli([
      `node/${NODE}`,
      '--kubeconfig',
      api.kubeconfigPath,
      '--image',
      image,
      '-n',
      ns,
      '--exits',
      '-o',
      'json',
      '-d',
      '120s',
      '--summary-to',
      join(dir, 'summary.txt'),
    ]);
    await cli.waitForStderr(new RegExp(`tracing execs on ${NODE}`), 90_000);
    // kubectl exec -it web -c app -- sh, and three commands typed into it.
    const ws = await openExec(api, ns, 'web', 'app', ['sh'], { stdin: true, tty: true });
    const done = collect(ws);
    const type = async (text: string): Promise<void> => {
      ws.send(Buffer.concat([Buffer.from([0]), Buffer.from(text)]));
      await sleep(700);
    };
    await sleep(1000);
    await type(`/bin/ls /etc/${tag}-none\n`);
    await type(`/bin/echo ${tag}-typed\n`);
    await type(`cd /tmp && /bin/pwd\n`);
    await type('exit\n');
    await done;
    await sleep(3000); // probes run meanwhile, every second
    cli.proc.kill('SIGINT');
    const res = await cli.done();
    expect(res.code, res.stderr).toBe(0);
    stderr = res.stderr;
    lines = jsonLines(res.stdout);
    summary = readFileSync(join(dir, 'summary.txt'), 'utf8');
  }, 600_000);

  afterAll(async () => {
    await api?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  // Complete execs only: one in progress when the tracer attached has no exit record, so none of the
  // facts read at its end (entry null, retval null); that is "not known", not a misclassification.
  const execs = (pred: (args: string[]) => boolean) => lines.filter((l) => l.type === 'exec' && l.retval === 0 && pred(l.args as string[]));

  it('the workload’s own children are init', () => {
    const init = execs((a) => a[1] === `${tag}-init`);
    expect(init.length, stderr).toBeGreaterThan(0);
    for (const e of init) expect(e).toMatchObject({ entry: 'init', tty: null, container: 'app' });
  });

  it('the readiness probe, run by the kubelet through CRI ExecSync, is probe', () => {
    const probes = execs((a) => a.join(' ') === `cat /etc/${tag}-probe`);
    expect(probes.length, stderr).toBeGreaterThanOrEqual(3);
    for (const p of probes) expect(p).toMatchObject({ entry: 'probe', sessionLeaderPid: p.pid, tty: null });
  });

  it('the shell entered through CRI Exec with a terminal is an exec session: its tty, its commands under it', () => {
    const shell = execs((a) => a.length === 1 && a[0] === 'sh').filter((e) => e.entry === 'exec');
    expect(shell, stderr).toHaveLength(1);
    const sh = shell[0]!;
    expect(sh.tty).toMatch(/^pts\/\d+$/);
    const typed = lines.filter((l) => l.type === 'exec' && l.sessionLeaderPid === sh.pid && l.pid !== sh.pid);
    expect(typed.map((l) => (l.args as string[]).join(' '))).toEqual([`/bin/ls /etc/${tag}-none`, `/bin/echo ${tag}-typed`, '/bin/pwd']);
    for (const l of typed) expect(l).toMatchObject({ entry: 'exec', tty: sh.tty, container: 'app' });
    expect(typed[2]).toMatchObject({ cwd: '/tmp' });
    // --exits: the shell's end.
    expect(lines.filter((l) => l.type === 'exit' && l.pid === sh.pid)).toMatchObject([{ exitCode: 0 }]);
  });

  it('the summary’s transcript lists the session with its terminal, its commands in order, and its end', () => {
    const sh = execs((a) => a.length === 1 && a[0] === 'sh').find((e) => e.entry === 'exec')!;
    const at = summary.indexOf(`pid ${String(sh.pid)}, ${String(sh.tty)}`);
    expect(at, summary).toBeGreaterThan(0);
    const block = summary.slice(at).split('\n').slice(0, 5);
    expect(block[0]).toMatch(/ended \d\d:\d\d:\d\d, exit 0$/);
    expect(block.slice(1).map((l) => l.replace(/^ {4}\d\d:\d\d:\d\d {2}/, ''))).toEqual([
      'sh',
      `/bin/ls /etc/${tag}-none`,
      `/bin/echo ${tag}-typed`,
      '/bin/pwd',
    ]);
    // Probes are not sessions.
    expect(summary).not.toMatch(new RegExp(`cat /etc/${tag}-probe`));
  });
});
