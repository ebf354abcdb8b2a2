/**
 * --exits on the cluster path: the built CLI → the API stand-in → its "kubelet" running bpftrace on
 * this machine. Processes in a pod's container cgroup exit 0, exit 3 and are killed; each end is an
 * exit line attributed to the pod as its exec was, and -o table shows it as a row of its own.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiServer, type ApiServer } from '../apiserver/index.js';
import { hex32, kernelDescribe } from '../support/kernel.js';
import { jsonLines, startCli } from '../support/cli.js';
import { expectNothingLeft } from '../support/leftovers.js';
import { addToApi, makeWorkload, removeCgroups, runIn, type Workload } from '../support/workloads.js';

const k = kernelDescribe();

describe.skipIf(k.skip)(`--exits end to end against the API stand-in${k.reason ? ` (${k.reason})` : ''}`, () => {
  let api: ApiServer;
  const workloads: Workload[] = [];
  const tag = `ex-${hex32().slice(0, 10)}`;
  let lines: Record<string, unknown>[] = [];
  let stderr = '';
  const pod = makeWorkload('systemd-crio-hybrid', 'payments', 'api-7d9c6b5f4-x2kqp', [{ name: 'api' }]);

  beforeAll(async () => {
    if (k.reason) throw new Error(`end-to-end tests must run under CI but cannot: ${k.reason}`);
    workloads.push(pod);
    api = await startApiServer({ podStartDelayMs: 200 });
    api.addNode('worker-1');
    api.addNamespace('payments');
    addToApi(api, pod);

    const cli = startCli(['node/worker-1', '--kubeconfig', api.kubeconfigPath, '--exits', '-o', 'json', '-d', '90s']);
    await cli.waitForStderr(/tracing execs on worker-1/, 60_000);
    await Promise.all([
      runIn(pod, 'api', ['/bin/sh', '-c', 'exit 0', `${tag}-zero`]),
      runIn(pod, 'api', ['/bin/sh', '-c', 'exit 3', `${tag}-three`]),
      runIn(pod, 'api', ['/bin/sh', '-c', 'kill -KILL $$', `${tag}-kill`]),
    ]);
    await new Promise((r) => setTimeout(r, 1500));
    cli.proc.kill('SIGINT');
    const r = await cli.done();
    stderr = r.stderr;
    expect(r.code, r.stderr).toBe(0);
    lines = jsonLines(r.stdout);
  }, 180_000);

  afterAll(async () => {
    await api?.close();
    removeCgroups(workloads);
  });

  it.each<[string, number | null, string | null]>([
    ['zero', 0, null],
    ['three', 3, null],
    ['kill', null, 'SIGKILL'],
  ])('%s: its end is one exit line, attributed to the pod like its exec', (t, exitCode, signal) => {
    const exec = lines.findLast((l) => l.type === 'exec' && l.retval === 0 && (l.args as string[]).at(-1) === `${tag}-${t}`);
    expect(exec, stderr).toBeDefined();
    const exits = lines.filter((l) => l.type === 'exit' && l.pid === exec!.pid);
    expect(exits, stderr).toHaveLength(1);
    expect(exits[0]).toMatchObject({
      node: 'worker-1',
      namespace: 'payments',
      pod: 'api-7d9c6b5f4-x2kqp',
      container: 'api',
      containerId: pod.containers[0]!.id,
      comm: 'sh',
      exitCode,
      signal,
    });
    expect(exits[0]!.durationMs as number).toBeGreaterThanOrEqual(0);
    expect(exits[0]!.durationMs as number).toBeLessThan(5000);
    expect(Date.parse(String(exits[0]!.time))).toBeGreaterThanOrEqual(Date.parse(String(exec!.time)));
  });

  it('the totals count the exits apart from the execs', () => {
    const totals = JSON.parse(stderr.split('\n').find((l) => l.startsWith('{"kind":"trace-exec.totals"'))!);
    expect(totals.exits).toBeGreaterThanOrEqual(3);
    expect(totals.shown).toBe(lines.filter((l) => l.type === 'exec').length);
  });

  it('removed everything', async () => {
    await expectNothingLeft(api);
  });
});
