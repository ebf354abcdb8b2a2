/**
 * The dead-man switch end to end, with real bpftrace: a client that is SIGKILLed or frozen leaves
 * nothing privileged running for longer than the lease (TRACE_EXEC_LEASE_S, here 6 s instead of
 * 90), and its pod completes, so that `cleanup` removes it without --all. The stand-in's kubelet
 * runs the pod's own command (runContainers), so the pod ends when that command exits.
 */
import { readFileSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startApiServer, type ApiServer, type Pod } from '../apiserver/index.js';
import { kernelDescribe } from '../support/kernel.js';
import { startCli } from '../support/cli.js';
import { startExecLoad } from '../support/load.js';
import { bpftraceProcesses, expectNothingLeft, removePodFiles, running } from '../support/leftovers.js';
import { descendants } from '../support/proc.js';

const k = kernelDescribe();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const LEASE_S = 6; // period 2 s: the pod's main process ends 6–8 s after the last heartbeat
const env = { TRACE_EXEC_LEASE_S: String(LEASE_S) };

let api: ApiServer;

async function waitFor<T>(what: string, get: () => T | undefined | null | false, timeoutMs: number): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = get();
    if (v) return v;
    if (Date.now() > until) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await sleep(100);
  }
}

const debugPod = (): Pod => api.listPods().find((p) => p.metadata?.labels?.['app.kubernetes.io/name'] === 'trace-exec')!;
const phaseOf = (p: Pod) => api.getPod(p.metadata.namespace!, p.metadata.name!)?.status?.phase;

describe.skipIf(k.skip)(`the dead-man switch${k.reason ? ` (${k.reason})` : ''}`, () => {
  let load: { stop(): Promise<void> };
  let pod: Pod | undefined;
  const args = () => ['node/worker-1', '--kubeconfig', api.kubeconfigPath, '-o', 'json'];

  beforeAll(async () => {
    if (k.reason) throw new Error(`end-to-end tests must run under CI but cannot: ${k.reason}`);
    api = await startApiServer({ podStartDelayMs: 100, runContainers: true });
    api.addNode('worker-1');
    load = startExecLoad();
  });
  afterAll(async () => {
    await load?.stop();
    await api?.close();
  });
  afterEach(async () => {
    await expectNothingLeft(api);
    if (pod) removePodFiles([pod.metadata.name!]);
    pod = undefined;
  });

  /** `cleanup` without --all removes a completed pod (and its namespace): nothing of the run is live. */
  async function cleanupFindsIt(p: Pod): Promise<void> {
    const clean = await startCli(['cleanup', '-A', '--kubeconfig', api.kubeconfigPath]).done();
    expect(clean.code, clean.stderr + clean.stdout).toBe(0);
    expect(clean.stdout).toContain(`deleted pod/${p.metadata.name} -n ${p.metadata.namespace} (Succeeded)`);
    expect(clean.stdout).toMatch(/^deleted namespace\/trace-exec-/m);
  }

  it('the client is SIGKILLed: bpftrace stops as its stream ends, the pod completes within the lease, `cleanup` removes it', async () => {
    const cli = startCli(args(), env);
    await cli.waitForStderr(/tracing execs on/, 60_000);
    pod = debugPod();
    expect(phaseOf(pod)).toBe('Running');
    expect(bpftraceProcesses(api).length).toBe(1);
    const t0 = Date.now();
    cli.proc.kill('SIGKILL');
    await cli.done();
    // The stream's end is the end of the tracer's stdin: bpftrace is stopped at once.
    await waitFor('bpftrace stopped', () => bpftraceProcesses(api).length === 0, 5000);
    const stoppedAfter = Date.now() - t0;
    expect(stoppedAfter).toBeLessThan(5000);
    // The pod's main process notices the lease is no longer renewed: Succeeded, within lease + period.
    await waitFor('the pod completed', () => phaseOf(pod!) === 'Succeeded', (LEASE_S + 2 + 4) * 1000);
    const completedAfter = Date.now() - t0;
    expect(completedAfter).toBeGreaterThanOrEqual((LEASE_S - 2) * 1000);
    expect(api.getPod(pod.metadata.namespace!, pod.metadata.name!)?.status?.containerStatuses?.[0]?.state?.terminated).toMatchObject({
      exitCode: 0,
      reason: 'Completed',
    });
    expect(api.execProcesses()).toEqual([]);
    await cleanupFindsIt(pod);
  }, 90_000);

  it('the client freezes (SIGSTOP; the stream stays open, no heartbeat): bpftrace stops after the lease, the pod completes', async () => {
    const cli = startCli(args(), env);
    await cli.waitForStderr(/tracing execs on/, 60_000);
    pod = debugPod();
    const t0 = Date.now();
    cli.proc.kill('SIGSTOP');
    try {
      await waitFor('bpftrace stopped', () => bpftraceProcesses(api).length === 0, (LEASE_S + 5) * 1000);
      // Not by the stream's end (it is still open): by the silence, after the whole lease.
      expect(Date.now() - t0).toBeGreaterThanOrEqual((LEASE_S - 1) * 1000);
      await waitFor('the pod completed', () => phaseOf(pod!) === 'Succeeded', (LEASE_S + 2 + 4) * 1000);
      expect(Date.now() - t0).toBeLessThan((LEASE_S + 2 + 4) * 1000);
    } finally {
      cli.proc.kill('SIGKILL');
      await cli.done();
    }
    await cleanupFindsIt(pod);
  }, 90_000);

  it('a trace that goes on past the lease is not ended by it: the heartbeats renew it', async () => {
    const cli = startCli([...args(), '-d', `${LEASE_S * 2 + 4}s`], env);
    await cli.waitForStderr(/tracing execs on/, 60_000);
    pod = debugPod();
    const r = await cli.done();
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/stopped \(duration\)/);
    expect(r.stderr).not.toMatch(/debug pod ended|no heartbeat/);
  }, 90_000);

  it('--local: the CLI SIGKILLed, bpftrace stops as its stdin ends', async () => {
    const cli = startCli(['--local', '-o', 'json'], env);
    await cli.waitForStderr(/tracing execs on/, 60_000);
    const below = descendants(cli.proc.pid!);
    const tracers = below.filter((p) => p.comm === 'bpftrace').map((p) => p.pid);
    expect(tracers).toHaveLength(1);
    // The tracer command's pid file, in a temporary directory the killed CLI cannot remove.
    const argv = below
      .map((p) => readFileSync(`/proc/${p.pid}/cmdline`, 'utf8').split('\0'))
      .find((a) => a[0] === 'sh' && a[3] === 'trace-exec')!;
    cli.proc.kill('SIGKILL');
    await cli.done();
    await waitFor('bpftrace stopped', () => tracers.every((p) => !running(p)), 5000);
    rmSync(dirname(argv[4]!), { recursive: true, force: true });
  }, 60_000);
});
