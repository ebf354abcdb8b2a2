/**
 * --ancestry end to end: "which pod's sh spawned this echo?" — each exec carries its parent chain,
 * with the pod or host of each ancestor, from the /proc snapshot and the traced forks.
 */
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiServer, type ApiServer } from '../apiserver/index.js';
import { hex32, kernelDescribe } from '../support/kernel.js';
import { jsonLines, startCli } from '../support/cli.js';
import { expectNothingLeft } from '../support/leftovers.js';
import { addToApi, makeWorkload, removeCgroups, runIn } from '../support/workloads.js';

const k = kernelDescribe();

describe.skipIf(k.skip)(`--ancestry${k.reason ? ` (${k.reason})` : ''}`, () => {
  let api: ApiServer;
  const web = makeWorkload('systemd-crio-hybrid', 'apps', 'web-0', [{ name: 'web' }]);
  beforeAll(async () => {
    if (k.reason) throw new Error(`end-to-end tests must run under CI but cannot: ${k.reason}`);
    api = await startApiServer({ podStartDelayMs: 100 });
    api.addNode('worker-1');
    addToApi(api, web);
  });
  afterAll(async () => {
    await api?.close();
    removeCgroups([web]);
  });

  it('names the pod shell that spawned an exec, and the host process above it', async () => {
    const tag = `a-${hex32().slice(0, 8)}`;
    const cli = startCli(['node/worker-1', '--kubeconfig', api.kubeconfigPath, '-o', 'json', '--ancestry', '-n', 'apps']);
    await cli.waitForStderr(/tracing execs on worker-1/, 60_000);
    // A shell in the pod forks a child that execs echo ("; true" keeps sh from exec'ing directly).
    await runIn(web, 'web', ['/bin/sh', '-c', `/bin/echo ${tag}; true`]);
    await new Promise((r) => setTimeout(r, 1000));
    cli.proc.kill('SIGINT');
    const r = await cli.done();
    expect(r.code, r.stderr).toBe(0);
    const e = jsonLines(r.stdout).find((x) => (x.args as string[])[1] === tag);
    expect(e, r.stderr).toBeDefined();
    const chain = e!.ancestry as { pid: number; comm: string; pod: string | null; host: boolean }[];
    expect(chain[0]).toMatchObject({ pid: e!.ppid, comm: 'sh', pod: 'web-0', host: false });
    // Above the pod's shell: the process that started it on the host (the test runner), from the snapshot.
    expect(chain[1]).toMatchObject({ pid: process.pid, host: true, pod: null });
    await expectNothingLeft(api);
  });

  it('gives the first execs of a run the chain of a shell started before it', async () => {
    // The shell execs a child every 20 ms from before the trace until after it: the execs bpftrace sees
    // while the /proc snapshot is still being read are the first ones shown, and need it as much.
    const tag = `f-${hex32().slice(0, 8)}`;
    const shell = spawn('/bin/sh', ['-c', `while :; do /bin/echo ${tag}; /bin/sleep 0.02; done`], { stdio: 'ignore' });
    try {
      const cli = startCli(['node/worker-1', '--kubeconfig', api.kubeconfigPath, '-o', 'json', '--ancestry']);
      await cli.waitForStderr(/tracing execs on worker-1/, 60_000);
      await new Promise((r) => setTimeout(r, 1000));
      cli.proc.kill('SIGINT');
      const r = await cli.done();
      expect(r.code, r.stderr).toBe(0);
      const children = jsonLines(r.stdout).filter((x) => x.ppid === shell.pid);
      expect(children.length, r.stderr).toBeGreaterThan(10);
      const missing = children.filter((x) => (x.ancestry as { pid: number }[])[0]?.pid !== shell.pid);
      expect(
        missing.map((x) => ({ time: x.time, comm: x.comm, ancestry: x.ancestry })),
        `${missing.length} of ${children.length}`,
      ).toEqual([]);
      expect(children[0]!.ancestry).toEqual(expect.arrayContaining([expect.objectContaining({ pid: shell.pid, comm: 'sh', host: true })]));
      await expectNothingLeft(api);
    } finally {
      shell.kill('SIGKILL');
    }
  });
});
