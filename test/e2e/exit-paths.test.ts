/**
 * Every way a run can end, end to end with real bpftrace: after each, no debug pod, no temporary
 * namespace and no bpftrace process is left, and the exit code is the one the README gives.
 */
import { tempDir, removeTempDirs } from '../support/tmp.js';
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startApiServer, type ApiServer } from '../apiserver/index.js';
import { hex32, kernelDescribe } from '../support/kernel.js';
import { CLI, jsonLines, startCli } from '../support/cli.js';
import { startExecLoad } from '../support/load.js';
import { bpftracePids, bpftraceProcesses as bpftraceProcesses_, expectNothingLeft as expectNothingLeft_ } from '../support/leftovers.js';

const k = kernelDescribe();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const bpftraceProcesses = () => bpftraceProcesses_(api);
const expectNothingLeft = () => expectNothingLeft_(api);

const totalsOf = (stderr: string) => JSON.parse(stderr.split('\n').find((l) => l.startsWith('{"kind":"trace-exec.totals"')) ?? 'null');

let api: ApiServer;

describe.skipIf(k.skip)(`every exit path cleans up${k.reason ? ` (${k.reason})` : ''}`, () => {
  let load: { stop(): Promise<void> };
  const args = () => ['node/worker-1', '--kubeconfig', api.kubeconfigPath, '-o', 'json'];

  beforeAll(async () => {
    if (k.reason) throw new Error(`end-to-end tests must run under CI but cannot: ${k.reason}`);
    // Images that lack commands of the contract: their execs see only these directories on PATH.
    const only = (tools: string[]): string => {
      const dir = tempDir('trace-exec-image-path-');
      for (const t of tools) symlinkSync(['/usr/bin', '/bin'].map((d) => join(d, t)).find((p) => existsSync(p))!, join(dir, t));
      return dir;
    };
    api = await startApiServer({
      podStartDelayMs: 100,
      badImages: [/^unpullable/],
      imagePaths: [
        { image: 'registry.example.com/few-tools:1', path: only(['sh', 'uname', 'cat', 'grep']) },
        { image: 'registry.example.com/no-shell:1', path: only([]) },
      ],
    });
    api.addNode('worker-1');
    api.addNode('worker-down', { ready: false });
    load = startExecLoad();
  });
  afterAll(async () => {
    await load?.stop();
    await api?.close();
  });
  afterEach(async () => {
    await expectNothingLeft();
  });

  it('--duration elapsed: exit 0', async () => {
    const r = await startCli([...args(), '-d', '2s']).done();
    expect(r.code, r.stderr).toBe(0);
    expect(totalsOf(r.stderr)).toMatchObject({ reason: 'duration' });
  });

  it('--max-events reached: exactly that many, exit 0', async () => {
    const r = await startCli([...args(), '--max-events', '3']).done();
    expect(r.code, r.stderr).toBe(0);
    expect(jsonLines(r.stdout)).toHaveLength(3);
    expect(totalsOf(r.stderr)).toMatchObject({ reason: 'max-events', shown: 3 });
  });

  it.each(['SIGINT', 'SIGTERM', 'SIGHUP'] as const)('%s: exit 0', async (sig) => {
    const cli = startCli(args());
    await cli.waitForStderr(/tracing execs on/, 60_000);
    cli.proc.kill(sig);
    const r = await cli.done();
    expect(r.code, r.stderr).toBe(0);
    expect(totalsOf(r.stderr)).toMatchObject({ reason: sig });
  });

  it('Ctrl-C while the debug pod is starting: cleans up, exit 0', async () => {
    const cli = startCli(['node/worker-down', '--kubeconfig', api.kubeconfigPath, '--timeout', '60s']);
    await cli.waitForStderr(/worker-down: waiting for the debug pod/, 30_000);
    cli.proc.kill('SIGINT');
    const r = await cli.done();
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/interrupted \(SIGINT\) while waiting for the debug pod/);
  });

  it('a second Ctrl-C while cleaning up does not skip the deletion', async () => {
    const cli = startCli(args());
    await cli.waitForStderr(/tracing execs on/, 60_000);
    cli.proc.kill('SIGINT');
    await sleep(50);
    cli.proc.kill('SIGINT');
    const r = await cli.done();
    expect(r.code, r.stderr).toBe(0);
  });

  it('the stdout reader goes away (| head -5): exit 0', async () => {
    // The shell pipeline a user types, for real.
    const r = await new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
      const sh = spawn(
        'sh',
        [
          '-c',
          `"${process.execPath}" "${CLI}" node/worker-1 --kubeconfig "${api.kubeconfigPath}" -o json 2>"$1"; echo "exit=$?" >>"$1"`,
          'sh',
          join(tmp, 'head.err'),
        ],
        {
          stdio: ['ignore', 'pipe', 'inherit'],
        },
      );
      let out = '';
      let lines = 0;
      sh.stdout!.on('data', (c: Buffer) => {
        out += c.toString();
        lines = out.split('\n').length - 1;
        if (lines >= 5) sh.stdout!.destroy(); // what head does after its 5th line
      });
      sh.on('exit', (code) => resolve({ code, out, err: '' }));
    });
    const err = execFileSync('cat', [join(tmp, 'head.err')], { encoding: 'utf8' });
    expect(r.out.split('\n').length).toBeGreaterThanOrEqual(5);
    expect(err).toMatch(/exit=0/);
    expect(err).toMatch(/stopped \(stdout closed\)/);
  });

  /**
   * A shell pipeline, for real: `{ trace-exec ARGS; echo exit=$? >FILE; } REDIRECTS | head -N`.
   * Resolves with what head printed, the CLI's exit code and how long the pipeline took.
   */
  const pipeline = async (cliArgs: string, redirects: string, lines: number) => {
    const exitFile = join(tmp, `exit-${hex32()}`);
    const started = Date.now();
    const shown = await new Promise<string>((resolve) => {
      const sh = spawn(
        'sh',
        ['-c', `{ "${process.execPath}" "${CLI}" ${cliArgs}; echo "exit=$?" >"$1"; } ${redirects} | head -${lines}`, 'sh', exitFile],
        {
          stdio: ['ignore', 'pipe', 'inherit'],
        },
      );
      let out = '';
      sh.stdout!.on('data', (c: Buffer) => (out += c.toString()));
      sh.on('close', () => resolve(out));
    });
    return { shown, exit: readFileSync(exitFile, 'utf8').trim(), tookMs: Date.now() - started };
  };

  it('the stderr reader goes away early (2>&1 | head -3): stops, cleans up, exit 0', async () => {
    const r = await pipeline(`node/worker-1 --kubeconfig "${api.kubeconfigPath}" -d 60s`, '2>&1', 3);
    expect(r.shown.split('\n').filter(Boolean), r.shown).toHaveLength(3);
    expect(r.exit).toBe('exit=0');
    expect(r.tookMs).toBeLessThan(30_000); // stopped, not at --duration
  });

  it('only stderr goes away early (2>&1 >FILE | head -3): stops, cleans up, exit 0; FILE holds whole JSON lines', async () => {
    const out = join(tmp, `out-${hex32()}`);
    const r = await pipeline(`node/worker-1 --kubeconfig "${api.kubeconfigPath}" -o json -d 60s`, `2>&1 >"${out}"`, 3);
    expect(r.shown, r.shown).toMatch(/^trace-exec: creating debug pod /);
    expect(r.exit).toBe('exit=0');
    expect(r.tookMs).toBeLessThan(30_000);
    for (const l of jsonLines(readFileSync(out, 'utf8'))) expect(l).toHaveProperty('comm');
  });

  it('stderr goes away late (at the totals line): cleanup completes, exit 0, the data is complete', async () => {
    const out = join(tmp, `out-${hex32()}`);
    // Four lines: creating, pulling, probing, tracing; the next (the totals) finds the pipe closed.
    const r = await pipeline(`node/worker-1 --kubeconfig "${api.kubeconfigPath}" -o json -d 4s`, `2>&1 >"${out}"`, 4);
    expect(r.shown, r.shown).toMatch(/tracing execs on worker-1 for 4s\n$/);
    expect(r.exit).toBe('exit=0');
    expect(jsonLines(readFileSync(out, 'utf8')).length).toBeGreaterThan(0);
  });

  it('the exec stream drops (bpftrace killed on the node): says so, exit 1', async () => {
    const cli = startCli(args());
    await cli.waitForStderr(/tracing execs on/, 60_000);
    // bpftrace itself, below the tracer command's shell (src/node/tracer-command.ts).
    const [bpf] = bpftracePids(api);
    expect(bpf).toBeDefined();
    process.kill(bpf!, 'SIGKILL');
    const r = await cli.done();
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/error: bpftrace on worker-1 (exited with code \d+|.*) before the trace was stopped/);
  });

  it('bpftrace fails to compile: shows its error, exit 1', async () => {
    // A bpftrace that reports a version (so the probe passes) and then fails as a compile error does.
    const fake = tempDir('trace-exec-fakebin-');
    writeFileSync(
      join(fake, 'bpftrace'),
      '#!/bin/sh\nif [ "$1" = --version ]; then echo "bpftrace v0.17.0"; exit 0; fi\necho "stdin:12:3-40: ERROR: Unknown struct/union: \'struct kernfs_node\'" >&2\nexit 1\n',
    );
    chmodSync(join(fake, 'bpftrace'), 0o755);
    const path = process.env.PATH;
    process.env.PATH = `${fake}:${path}`; // the stand-in's kubelet spawns with this process's environment
    try {
      const r = await startCli([...args(), '-d', '30s']).done();
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(
        /bpftrace on worker-1 exited with code 1 before the trace was stopped:\nstdin:12:3-40: ERROR: Unknown struct\/union: 'struct kernfs_node'/,
      );
    } finally {
      process.env.PATH = path;
    }
  });

  it('the API answers 5xx while cleaning up: retries, then prints the exact delete commands, exit 1; `cleanup` removes them', async () => {
    const cli = startCli(args());
    await cli.waitForStderr(/tracing execs on/, 60_000);
    api.failNext(1000, 503, (method) => method === 'DELETE');
    cli.proc.kill('SIGINT');
    const r = await cli.done();
    api.failNext(0);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /could not remove what trace-exec created; remove it with:\n {2}kubectl delete pod -n trace-exec-\w+ trace-exec-worker-1-\w+\n {2}kubectl delete namespace trace-exec-\w+/,
    );
    // bpftrace itself was stopped before the deletions were tried.
    for (let i = 0; i < 50 && bpftraceProcesses().length > 0; i++) await sleep(100);
    expect(bpftraceProcesses()).toEqual([]);

    const dry = await startCli(['cleanup', '-A', '--dry-run', '--all', '--kubeconfig', api.kubeconfigPath]).done();
    expect(dry.code, dry.stderr + dry.stdout).toBe(0);
    expect(dry.stdout).toMatch(/^would delete pod\/trace-exec-worker-1-\w+ -n trace-exec-\w+ \(\w+\)$/m);
    expect(dry.stdout).toMatch(/^would delete namespace\/trace-exec-\w+/m);
    expect(api.listPods().some((p) => p.metadata?.labels?.['app.kubernetes.io/name'] === 'trace-exec')).toBe(true);

    const clean = await startCli(['cleanup', '-A', '--all', '--kubeconfig', api.kubeconfigPath]).done();
    expect(clean.code, clean.stderr + clean.stdout).toBe(0);
    expect(clean.stdout).toMatch(/^deleted pod\/trace-exec-worker-1-/m);
    expect(clean.stdout).toMatch(/^deleted namespace\/trace-exec-/m);
  });

  it('the client is SIGKILLed: bpftrace stops with the stream (dead-man switch); the pod ends at its activeDeadlineSeconds at the latest', async () => {
    const cli = startCli(args());
    await cli.waitForStderr(/tracing execs on/, 60_000);
    cli.proc.kill('SIGKILL');
    await cli.done();
    const pod = api.listPods().find((p) => p.metadata?.labels?.['app.kubernetes.io/name'] === 'trace-exec')!;
    expect(pod.spec?.activeDeadlineSeconds).toBeGreaterThan(0);
    // The end of the stream is the end of the tracer's stdin: bpftrace stops (test/e2e/deadman.test.ts
    // has the pod's own end, with the kubelet running its main command).
    for (let i = 0; i < 50 && bpftraceProcesses().length > 0; i++) await sleep(100);
    expect(bpftraceProcesses()).toEqual([]);
    // The deadline is the last line of defence. Bring it forward (the field may be lowered on a live pod) instead of waiting hours.
    api.updatePod(pod.metadata!.namespace!, pod.metadata!.name!, (p) => {
      p.spec!.activeDeadlineSeconds = 1;
    });
    for (let i = 0; i < 50 && api.getPod(pod.metadata!.namespace!, pod.metadata!.name!)?.status?.phase !== 'Failed'; i++) await sleep(100);
    expect(api.getPod(pod.metadata!.namespace!, pod.metadata!.name!)?.status).toMatchObject({
      phase: 'Failed',
      reason: 'DeadlineExceeded',
    });
    for (let i = 0; i < 50 && bpftraceProcesses().length > 0; i++) await sleep(100);
    expect(bpftraceProcesses()).toEqual([]);
    // The leftovers of a killed client are what `cleanup` is for.
    const clean = await startCli(['cleanup', '-A', '--kubeconfig', api.kubeconfigPath]).done();
    expect(clean.code, clean.stderr + clean.stdout).toBe(0);
    expect(clean.stdout).toMatch(/^deleted pod\/trace-exec-worker-1-\w+ -n trace-exec-\w+ \(Failed\)$/m);
    // A real pod's /tmp goes with it; the stand-in's "containers" share this machine's /tmp.
    for (const ext of ['pid.1', 'bt', 'lease']) rmSync(`/tmp/${pod.metadata!.name}.${ext}`, { force: true });
  });

  it('an image that cannot be pulled: says so with a hint, cleans up, exit 1; a hostile image string goes nowhere near a shell', async () => {
    const marker = join(tmpdir(), `trace-exec-pwned-${hex32()}`);
    const r = await startCli([...args(), '--image', 'unpullable$(touch${IFS}' + marker + ')']).done();
    expect(r.code).toBe(1);
    expect(r.stderr, r.stderr).toMatch(/error: the node cannot pull the debug image unpullable.* \((ErrImagePull|ImagePullBackOff)/);
    expect(r.stderr).toMatch(/hint: pass --image with an image that contains bpftrace/);
    expect(existsSync(marker)).toBe(false);
  });

  it.each([
    [
      'Pod Security admission',
      'pods "trace-exec-worker-1-x" is forbidden: violates PodSecurity "baseline:latest": privileged (container "trace-exec" must not set securityContext.privileged=true), host namespaces (hostPID=true)',
      /Pod Security admission rejected the privileged debug pod in namespace trace-exec-\w+[\s\S]*hint: allow privileged pods there: kubectl label namespace trace-exec-\w+ pod-security.kubernetes.io\/enforce=privileged --overwrite/,
    ],
    [
      'an OpenShift SCC',
      'pods "trace-exec-worker-1-x" is forbidden: unable to validate against any security context constraint: [provider "restricted-v2": Forbidden: not usable by user or serviceaccount]',
      /no SecurityContextConstraint admits the privileged debug pod[\s\S]*hint: grant it: oc adm policy add-scc-to-user privileged -z default -n trace-exec-\w+/,
    ],
  ])('the pod is rejected by %s: the exact command that fixes it, exit 1', async (_what, message, expected) => {
    api.failNext(1, 403, (method, path) => method === 'POST' && /\/pods$/.test(path), message);
    const r = await startCli([...args(), '-d', '30s']).done();
    expect(r.code).toBe(1);
    expect(r.stderr, r.stderr).toMatch(expected);
  });

  it.each<[string, string, string]>([
    [
      'an image with only sh, uname, cat and grep',
      'registry.example.com/few-tools:1',
      '`sleep`, `touch`, `rm`, `env`, `head`, `mount`, `bpftrace`',
    ],
    ['an image without sh (the runtime says so)', 'registry.example.com/no-shell:1', '`sh`'],
  ])('%s: one line naming every missing command and the image contract, exit 1', async (_what, image, missing) => {
    const r = await startCli([...args(), '--image', image, '-d', '30s']).done();
    expect(r.code).toBe(1);
    const errors = r.stderr.split('\n').filter((l) => l.startsWith('trace-exec: error:'));
    expect(errors, r.stderr).toEqual([
      `trace-exec: error: worker-1: the debug image ${image} has no ${missing}: pass --image with an image that has every command of the contract (README "The debug pod image", "The image contract")`,
    ]);
    expect(jsonLines(r.stdout)).toEqual([]);
  });

  it('--timeout waiting for Running (node NotReady, but a kubelet took the pod up): warns, waits out --timeout, fails naming the condition, exit 1', async () => {
    const cli = startCli(['node/worker-down', '--kubeconfig', api.kubeconfigPath, '--timeout', '8s']);
    await cli.waitForStderr(/worker-down: waiting for the debug pod/, 30_000);
    // A kubelet that works although its node is NotReady (a hostNetwork pod needs no CNI): a slow pull.
    const pod = api.listPods().find((p) => p.spec?.nodeName === 'worker-down')!;
    api.updatePod(pod.metadata.namespace!, pod.metadata.name!, (p) => {
      p.status = {
        phase: 'Pending',
        containerStatuses: [
          {
            name: 'trace-exec',
            image: 'i',
            imageID: '',
            ready: false,
            restartCount: 0,
            state: { waiting: { reason: 'ContainerCreating' } },
          },
        ],
      };
    });
    const r = await cli.done();
    expect(r.code).toBe(1);
    expect(r.stderr, r.stderr).toMatch(/warning: node worker-down is NotReady/);
    expect(r.stderr).not.toMatch(/giving up/);
    expect(r.stderr).toMatch(
      /was not Running after --timeout 8s \(last: pulling image .*; node worker-down is NotReady \(KubeletNotReady: /,
    );
  });

  it('node/NAME NotReady and never taken up: gives up after a quarter of --timeout, naming the condition, exit 1', async () => {
    const started = Date.now();
    const r = await startCli(['node/worker-down', '--kubeconfig', api.kubeconfigPath, '--timeout', '24s']).done();
    const took = Date.now() - started;
    expect(r.code).toBe(1);
    expect(r.stderr, r.stderr).toMatch(
      /warning: node worker-down is NotReady \(KubeletNotReady: .*\): its debug pod may not start \(given up after 6s /,
    );
    expect(r.stderr).toMatch(
      /error: node worker-down is NotReady \(KubeletNotReady: container runtime network not ready: .*cni plugin not initialized\), and its kubelet has not taken up the debug pod trace-exec-\w+\/\S+ in [6-9]s: giving up on it before --timeout 24s/,
    );
    expect(r.stderr).toMatch(/hint: check the node with: kubectl describe node worker-down; trace it once it is Ready/);
    expect(took).toBeGreaterThan(6_000);
    expect(took).toBeLessThan(16_000);
  });

  it('node/NAME NotReady, then Ready while the pod waits: the run goes on and traces', async () => {
    api.addNode('worker-late', { ready: false });
    const cli = startCli(['node/worker-late', '--kubeconfig', api.kubeconfigPath, '-o', 'json', '--timeout', '60s']);
    await cli.waitForStderr(/worker-late: waiting for the debug pod/, 30_000);
    await sleep(3_000);
    api.addNode('worker-late', { ready: true });
    await cli.waitForStderr(/tracing execs on worker-late/, 60_000);
    cli.proc.kill('SIGINT');
    const r = await cli.done();
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/giving up/);
  });
});

const tmp = tempDir('trace-exec-exit-');

afterAll(removeTempDirs);
