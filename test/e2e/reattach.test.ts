/**
 * Re-attaching after a lost exec stream, end to end with real bpftrace: streams dropped every few
 * seconds and an API server restart mid-trace. Numbered execs run in a pod's kubelet-shaped cgroup
 * all along; every one outside the reported gaps is delivered exactly once, none twice, and never
 * do two tracers of the run trace the node at once.
 */
import { readFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startApiServer, type ApiServer } from '../apiserver/index.js';
import { hex32, kernelDescribe } from '../support/kernel.js';
import { jsonLines, startCli } from '../support/cli.js';
import { bpftracePids, debugPodNames, expectNothingLeft, removePodFiles } from '../support/leftovers.js';
import { addToApi, makeWorkload, removeCgroups, runIn, type Workload } from '../support/workloads.js';

const k = kernelDescribe();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const totalsOf = (stderr: string) => JSON.parse(stderr.split('\n').find((l) => l.startsWith('{"kind":"trace-exec.totals"')) ?? 'null');

interface Gap {
  node: string;
  from: string;
  to: string | null;
}

/** Numbered execs in the pod's container, one after another, each with when it ran (on this machine's clock). */
function numberedExecs(w: Workload, tag: string): { stop(): Promise<{ n: number; startMs: number; endMs: number }[]> } {
  const done: { n: number; startMs: number; endMs: number }[] = [];
  let stopping = false;
  const loop = (async () => {
    for (let n = 0; !stopping; n++) {
      const startMs = Date.now();
      await runIn(w, 'app', ['/bin/true', `${tag}-${n}`]);
      done.push({ n, startMs, endMs: Date.now() });
      await sleep(15);
    }
  })();
  return {
    stop: async () => {
      stopping = true;
      await loop;
      return done;
    },
  };
}

/** The highest number of bpftrace processes of the run seen at once, sampled every 50 ms. */
function watchTracers(api: ApiServer): { stop(): number } {
  let max = 0;
  const timer = setInterval(() => {
    const pids = bpftracePids(api);
    if (pids.length > 1 && process.env.DEBUG_TRACERS)
      for (const p of pids)
        console.log(
          Date.now(),
          p,
          readFileSync(`/proc/${p}/stat`, 'utf8').slice(0, 80),
          readFileSync(`/proc/${p}/cmdline`, 'utf8').slice(0, 100),
        );
    max = Math.max(max, pids.length);
  }, 50);
  return {
    stop: () => {
      clearInterval(timer);
      return max;
    },
  };
}

/**
 * Every exec outside the gaps delivered exactly once; inside a gap (with 1 s either side: bpftrace
 * and the batcher hold records up to ~100 ms, and a gap's start is when data last came) at most once.
 */
function checkDelivery(stdout: string, tag: string, ran: { n: number; startMs: number; endMs: number }[], gaps: Gap[]) {
  const seen = new Map<number, number>();
  for (const e of jsonLines(stdout)) {
    const arg = (e.args as string[])[1] ?? '';
    if (!arg.startsWith(`${tag}-`)) continue;
    const n = Number(arg.slice(tag.length + 1));
    seen.set(n, (seen.get(n) ?? 0) + 1);
    expect(e).toMatchObject({ namespace: 'apps', pod: 'numbered', container: 'app' });
  }
  const windows = gaps.map((g) => [Date.parse(g.from) - 1000, g.to === null ? Infinity : Date.parse(g.to) + 1000] as const);
  const inGap = (r: { startMs: number; endMs: number }) => windows.some(([a, b]) => r.endMs >= a && r.startMs <= b);
  const twice = [...seen].filter(([, c]) => c > 1).map(([n]) => n);
  const missing = ran.filter((r) => !inGap(r) && !seen.has(r.n)).map((r) => r.n);
  const unknown = ran.filter((r) => inGap(r));
  expect(twice, 'delivered twice').toEqual([]);
  expect(missing, `missing outside the gaps ${JSON.stringify(gaps)}`).toEqual([]);
  return { ran: ran.length, delivered: seen.size, inGaps: unknown.length };
}

describe.skipIf(k.skip)(`re-attaching after a lost exec stream${k.reason ? ` (${k.reason})` : ''}`, () => {
  let api: ApiServer;
  let w: Workload;
  const args = () => ['node/worker-1', '--kubeconfig', api.kubeconfigPath, '-o', 'json', '-n', 'apps'];

  beforeAll(async () => {
    if (k.reason) throw new Error(`end-to-end tests must run under CI but cannot: ${k.reason}`);
    api = await startApiServer({ podStartDelayMs: 100 });
    api.addNode('worker-1');
    w = makeWorkload('systemd-crio-hybrid', 'apps', 'numbered', [{ name: 'app' }]);
    addToApi(api, w);
  });
  afterAll(async () => {
    await api?.close();
    if (w) removeCgroups([w]);
    removePodFiles(pods);
  });
  afterEach(async () => {
    await expectNothingLeft(api);
  });
  const pods: string[] = [];
  /** startCli, remembering the debug pods the run creates (for their files in /tmp). */
  const start = (argv: string[]) => {
    const cli = startCli(argv);
    void cli.done().then((r) => pods.push(...debugPodNames(r.stderr)));
    return cli;
  };

  it('streams dropped every 3 s: each loss is one closed gap, every exec outside the gaps exactly once, exit 0', async () => {
    const tag = `ra-${hex32().slice(0, 8)}`;
    const cli = start(args());
    await cli.waitForStderr(/tracing execs on worker-1/, 60_000);
    const tracers = watchTracers(api);
    const gen = numberedExecs(w, tag);
    let drops = 0;
    for (let i = 0; i < 4; i++) {
      // Each drop hits an attached trace (not a re-attachment still under way: that is the same gap).
      await cli.waitForStderr(new RegExp(`(re-attached[^]*){${i}}`), 30_000);
      await sleep(3000);
      if (api.dropExecStreams() > 0) drops++;
    }
    // The last re-attachment may take longer than 3 s on a loaded machine: stop once it took over.
    await cli.waitForStderr(/(re-attached[\s\S]*){4}/, 30_000);
    await sleep(1000);
    const ran = await gen.stop();
    await sleep(500);
    cli.proc.kill('SIGINT');
    const r = await cli.done();
    expect(tracers.stop(), 'bpftrace processes at once').toBe(1);
    expect(r.code, r.stderr).toBe(0);
    expect(drops).toBe(4);
    const totals = totalsOf(r.stderr);
    expect(totals.gaps, r.stderr).toHaveLength(4);
    for (const g of totals.gaps as Gap[]) {
      expect(g.node).toBe('worker-1');
      expect(g.to).not.toBeNull();
      expect(Date.parse(g.to!) - Date.parse(g.from)).toBeLessThan(10_000);
    }
    expect(r.stderr.match(/worker-1: the exec stream was lost/g)).toHaveLength(4);
    expect(r.stderr.match(/worker-1: re-attached; execs from \S+ to \S+ UTC \([\d.]+ s\) are unknown/g)).toHaveLength(4);
    expect(r.stderr).toMatch(/stopped \(SIGINT\): .*, 4 gaps \([\d.]+ s\) without execs/);
    const d = checkDelivery(r.stdout, tag, ran, totals.gaps);
    expect(d.ran).toBeGreaterThan(100);
    expect(d.delivered).toBeGreaterThan(d.ran - d.inGaps - 1);
  }, 120_000);

  it('-o summary (the node counts): streams dropped twice, no exec counted twice, none outside the gaps missing', async () => {
    const tag = `rc-${hex32().slice(0, 8)}`;
    const cli = start(['node/worker-1', '--kubeconfig', api.kubeconfigPath, '-o', 'summary', '-n', 'apps', '-v']);
    await cli.waitForStderr(/tracing execs on worker-1/, 60_000);
    const gen = numberedExecs(w, tag);
    for (let i = 0; i < 2; i++) {
      await cli.waitForStderr(new RegExp(`(re-attached[^]*){${i}}`), 30_000);
      // Longer than a counting period (2 s): counts came before each drop, and more after it.
      await sleep(4500);
      api.dropExecStreams();
    }
    await cli.waitForStderr(/(re-attached[\s\S]*){2}/, 30_000);
    await sleep(3000);
    const ran = await gen.stop();
    await sleep(500);
    cli.proc.kill('SIGINT');
    const r = await cli.done();
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/worker-1: the node counts execs/);
    // The summary has no totals record: the gaps as the re-attachments said them (UTC clock times of today).
    const day = new Date().toISOString().slice(0, 10);
    const gaps: Gap[] = [...r.stderr.matchAll(/re-attached; execs from (\S+) to (\S+) UTC/g)].map((m) => ({
      node: 'worker-1',
      from: `${day}T${m[1]}Z`,
      to: `${day}T${m[2]}Z`,
    }));
    expect(gaps).toHaveLength(2);
    const row = r.stdout.split('\n').find((l) => l.includes('numbered'));
    const execs = Number(row?.split('│')[4]);
    // As checkDelivery's windows: a gap starts when data last came (a count), with 1 s either side.
    const windows = gaps.map((g) => [Date.parse(g.from) - 1000, Date.parse(g.to!) + 1000] as const);
    const outside = ran.filter((x) => !windows.some(([a, b]) => x.endMs >= a && x.startMs <= b)).length;
    // Execs well inside a gap (1 s from either end) ran while no attachment's data reached the client.
    const inside = ran.filter((x) =>
      gaps.some((g) => x.startMs >= Date.parse(g.from) + 1000 && x.endMs <= Date.parse(g.to!) - 1000),
    ).length;
    expect(inside).toBeGreaterThan(20);
    expect(execs, `${r.stdout}\n${JSON.stringify(gaps)}`).toBeLessThanOrEqual(ran.length - inside);
    expect(execs, `${r.stdout}\n${JSON.stringify(gaps)}`).toBeGreaterThanOrEqual(outside);
    expect(outside).toBeGreaterThan(50);
  }, 120_000);

  it('the API server restarts mid-trace (3 s down): re-attached, the pod watch resumes, exit 0', async () => {
    const tag = `rs-${hex32().slice(0, 8)}`;
    const cli = start(args());
    await cli.waitForStderr(/tracing execs on worker-1/, 60_000);
    const tracers = watchTracers(api);
    const gen = numberedExecs(w, tag);
    await sleep(2000);
    await api.restart(3000);
    await cli.waitForStderr(/re-attached/, 30_000);
    // A pod that appears after the restart is attributed: the watch is back too.
    const late = makeWorkload('cgroupfs-containerd-v1', 'apps', 'after-restart', [{ name: 'c' }]);
    addToApi(api, late);
    await sleep(1000);
    await runIn(late, 'c', ['/bin/echo', `late-${tag}`]);
    await sleep(2000);
    const ran = await gen.stop();
    await sleep(500);
    cli.proc.kill('SIGINT');
    const r = await cli.done();
    removeCgroups([late]);
    api.deletePodRecord('apps', 'after-restart');
    expect(tracers.stop(), r.stderr).toBe(1);
    expect(r.code, r.stderr).toBe(0);
    const totals = totalsOf(r.stderr);
    expect(totals.gaps, r.stderr).toHaveLength(1);
    const [g] = totals.gaps as Gap[];
    // The gap covers the time the port was closed.
    expect(Date.parse(g!.to!) - Date.parse(g!.from), r.stderr).toBeGreaterThanOrEqual(2500);
    expect(
      jsonLines(r.stdout).find((e) => (e.args as string[])[1] === `late-${tag}`),
      r.stderr,
    ).toMatchObject({ pod: 'after-restart', container: 'c' });
    checkDelivery(r.stdout, tag, ran, totals.gaps);
  }, 120_000);

  it('the API server stays away longer than --reconnect-timeout: that node ends, the gap stays open, exit 1', async () => {
    const cli = start([...args(), '--reconnect-timeout', '3s']);
    await cli.waitForStderr(/tracing execs on worker-1/, 60_000);
    await api.restart(7000);
    const r = await cli.done();
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /worker-1: the exec stream was lost at \S+ UTC and could not be re-established within --reconnect-timeout 3\.0 s \(last: /,
    );
    // (The run ended by itself: no totals line; the tracer stopped with its stream, see deadman.test.ts.)
    for (let i = 0; i < 50 && bpftracePids(api).length > 0; i++) await sleep(100);
    expect(bpftracePids(api)).toEqual([]);
  }, 60_000);

  it('the debug pod is gone when the stream drops: says so, that node ends, exit 1', async () => {
    const cli = start(args());
    await cli.waitForStderr(/tracing execs on worker-1/, 60_000);
    const pod = api.listPods().find((p) => p.metadata?.labels?.['app.kubernetes.io/name'] === 'trace-exec')!;
    api.deletePodRecord(pod.metadata.namespace!, pod.metadata.name!);
    const r = await cli.done();
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/the debug pod trace-exec-\w+\/trace-exec-worker-1-\w+ was deleted/);
  }, 60_000);

  it('--reconnect-timeout 0: a lost stream ends the node as before, exit 1', async () => {
    const cli = start([...args(), '--reconnect-timeout', '0']);
    await cli.waitForStderr(/tracing execs on worker-1/, 60_000);
    api.dropExecStreams();
    const r = await cli.done();
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /bpftrace on worker-1 the exec stream closed without a status \(WebSocket code 1006\) before the trace was stopped/,
    );
  }, 60_000);
});
