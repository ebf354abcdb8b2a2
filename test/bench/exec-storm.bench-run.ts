/**
 * `npm run bench`: is trace-exec lossless at the node's maximum exec rate, and what does an event
 * cost on the client? Everything is measured side by side in this one run (the machine is small and
 * shared, so only ratios and per-event costs are comparable; absolute times are noise):
 *
 *  1. an exec storm (N × vfork+execve /bin/true, N = BENCH_EXECS, default 20000) in a kubelet-shaped
 *     cgroup of pod bench/storm-0, untraced (before and after) and traced;
 *  2. the full path: the built CLI against the API stand-in, stdout to a file, while the storm runs
 *     twice: delivered/generated, lost, storm slowdown, the CLI's CPU per event and peak RSS, the
 *     stand-in's and bpftrace's CPU, startup time;
 *  3. bpftrace alone (no client) recording the storm to a file: the kernel/bpftrace share of the
 *     slowdown, BPF program run time per exec (kernel.bpf_stats_enabled, restored afterwards);
 *  4. the client ceiling without the kernel: the recording replayed through dist/ in a fresh process,
 *     stage by stage;
 *  5. memory: 10k / 100k / 1M replayed execs, one fresh process each.
 *
 * No timing is asserted; the run asserts that it completed. Prints a table, writes
 * bench-results/bench-<timestamp>.json.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, fstatSync, mkdirSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, release, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { startApiServer, type ApiServer } from '../apiserver/index.js';
import { CLI } from '../support/cli.js';
import { traceUnavailable } from '../support/kernel.js';
import { addToApi, makeWorkload, removeCgroups, type Workload } from '../support/workloads.js';
import { bpfProgStats, comm, cpuMicros, pidsNamed, statusKb, ticksPerSecond } from './procstat.js';
import { prepareStorm, startIn, type RunningStorm, type Storm } from './storm.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const DIST = join(ROOT, 'dist');
const CHILD = fileURLToPath(new URL('./client-path.mjs', import.meta.url));
const NODE = 'worker-1';
const NAMESPACE = 'bench';
const POD = 'storm-0';
const CONTAINER = 'storm';
const FILENAME = '/bin/true';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const round = (x: number | null | undefined, d = 2): number | null => (x === null || x === undefined || !Number.isFinite(x) ? null : Number(x.toFixed(d)));

/** Polls cond every intervalMs until it is true; throws with what(timeout) after timeoutMs. */
async function waitFor(cond: () => boolean, timeoutMs: number, what: () => string, intervalMs = 25): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(what());
    await sleep(intervalMs);
  }
}

/** Waits for a child to exit; SIGKILLs it after graceMs. */
async function waitExit(child: ChildProcess, graceMs: number): Promise<{ code: number | null; signal: string | null; killed: boolean }> {
  if (child.exitCode !== null || child.signalCode !== null) return { code: child.exitCode, signal: child.signalCode, killed: false };
  let killed = false;
  const timer = setTimeout(() => {
    killed = true;
    child.kill('SIGKILL');
  }, graceMs);
  const [code, signal] = (await new Promise((r) => child.once('exit', (c, s) => r([c, s])))) as [number | null, string | null];
  clearTimeout(timer);
  return { code, signal, killed };
}

/** Counts the storm's execs in a growing JSON-lines file, reading only what was added. */
class OutputCounter {
  private offset = 0;
  private partial = '';
  private readonly buf = Buffer.alloc(1 << 20);
  count = 0;
  lines = 0;
  lastGrowth = performance.now();
  constructor(private readonly file: string) {}
  poll(): void {
    const fd = openSync(this.file, 'r');
    try {
      if (fstatSync(fd).size <= this.offset) return;
      for (;;) {
        const n = readSync(fd, this.buf, 0, this.buf.length, this.offset);
        if (n <= 0) break;
        this.offset += n;
        this.lastGrowth = performance.now();
        const parts = (this.partial + this.buf.toString('utf8', 0, n)).split('\n');
        this.partial = parts.pop() ?? '';
        for (const l of parts) {
          this.lines++;
          if (isStormLine(l)) this.count++;
        }
      }
    } finally {
      closeSync(fd);
    }
  }
}

// JSON key order is part of the output format (src/output/json.ts): namespace, pod… filename.
const isStormLine = (l: string): boolean =>
  l.includes(`"namespace":"${NAMESPACE}","pod":"${POD}","container":"${CONTAINER}"`) && l.includes(`"filename":"${FILENAME}"`);

/** Waits until the counter reaches `expected`, or stops growing for quietMs, or timeoutMs passed. */
async function drain(c: OutputCounter, expected: number, since: number, timeoutMs = 120_000, quietMs = 4000): Promise<{ count: number; lagMs: number; complete: boolean }> {
  const t0 = performance.now();
  for (;;) {
    c.poll();
    const now = performance.now();
    if (c.count >= expected || now - c.lastGrowth > quietMs || now - t0 > timeoutMs) break;
    await sleep(100);
  }
  return { count: c.count, lagMs: Math.max(0, c.lastGrowth - since), complete: c.count >= expected };
}

interface StormRun {
  label: string;
  ms: number;
  perExecUs: number;
}

describe('benchmark: exec storm through trace-exec', () => {
  const cleanups: { what: string; fn: () => unknown }[] = [];
  afterAll(async () => {
    for (const { what, fn } of cleanups.reverse()) {
      try {
        await fn();
      } catch (e) {
        console.error(`bench cleanup (${what}) failed: ${(e as Error).message}`);
      }
    }
  }, 120_000);

  it('measures the storm, the full path, the client ceiling and memory', async () => {
    const unavailable = traceUnavailable();
    if (unavailable) throw new Error(`npm run bench traces for real and needs root, bpftrace and tracefs: ${unavailable}`);

    const tmp = mkdtempSync(join(tmpdir(), 'trace-exec-bench-'));
    cleanups.push({ what: 'temp dir', fn: () => rmSync(tmp, { recursive: true, force: true }) });
    const running = new Set<RunningStorm>();
    cleanups.push({ what: 'storms', fn: () => running.forEach((s) => s.kill()) });

    const storm: Storm = prepareStorm(process.env.BENCH_NO_CC === '1');
    cleanups.push({ what: 'storm binary', fn: () => storm.dispose() });
    const N = Number(process.env.BENCH_EXECS ?? (storm.kind === 'cc' ? 20_000 : 5_000));
    if (!Number.isInteger(N) || N <= 0) throw new Error(`BENCH_EXECS must be a positive integer, got ${process.env.BENCH_EXECS}`);
    const otherBpftrace = pidsNamed('bpftrace');
    const machine = {
      nproc: availableParallelism(),
      cpu: cpus()[0]?.model ?? null,
      kernel: release(),
      bpftrace: execFileSync('bpftrace', ['--version'], { encoding: 'utf8' }).trim(),
      node: process.version,
      clkTck: ticksPerSecond(),
      execs: N,
      storm: storm.kind,
      compiler: storm.compiler,
      stormFallbackReason: storm.fallbackReason,
      loadavgAtStart: loadavg(),
      otherBpftraceAtStart: otherBpftrace.length,
      bpfStatsEnabledBefore: readFileSync('/proc/sys/kernel/bpf_stats_enabled', 'utf8').trim(),
    };
    console.log(
      `bench: N=${N} execs per storm, storm=${storm.kind === 'cc' ? `C vfork+execve (${storm.compiler})` : `Node spawnSync fallback — MUCH slower per exec (${storm.fallbackReason})`}, ` +
        `${machine.nproc} CPUs, kernel ${machine.kernel}, ${machine.bpftrace}, load ${machine.loadavgAtStart.map((x) => x.toFixed(2)).join(' ')}` +
        (otherBpftrace.length ? `, ${otherBpftrace.length} other bpftrace running (noise)` : ''),
    );

    const workload: Workload = makeWorkload('systemd-crio-hybrid', NAMESPACE, POD, [{ name: CONTAINER }], NODE);
    cleanups.push({ what: 'storm cgroups', fn: () => removeCgroups([workload]) });
    const cg = workload.containers[0]!.cgroup;

    const runStorm = async (label: string, n = N): Promise<StormRun> => {
      const s = await startIn(cg, storm.argv(n));
      running.add(s);
      const { code, ms } = await s.done;
      running.delete(s);
      if (code !== 0) throw new Error(`storm ${label} exited with ${code}`);
      return { label, ms, perExecUs: (ms * 1000) / n };
    };

    // ---- 1. untraced storm (warm the page cache first) -----------------------------------------
    await runStorm('warm-up', Math.min(500, N));
    const untraced: StormRun[] = [await runStorm('untraced #1')];

    // ---- 2. the full path ----------------------------------------------------------------------
    const api: ApiServer = await startApiServer({ podStartDelayMs: 300 });
    cleanups.push({ what: 'API stand-in', fn: () => api.close() });
    api.addNode(NODE);
    addToApi(api, workload);

    const outFile = join(tmp, 'cli-stdout.jsonl');
    const outFd = openSync(outFile, 'w');
    const tSpawn = performance.now();
    const cli = spawn(process.execPath, [CLI, `node/${NODE}`, '--kubeconfig', api.kubeconfigPath, '-o', 'json', '-n', NAMESPACE, '-d', '15m'], {
      stdio: ['ignore', outFd, 'pipe'],
      env: { ...process.env, FORCE_COLOR: '0' },
    });
    closeSync(outFd);
    cleanups.push({
      what: 'CLI',
      fn: async () => {
        if (cli.exitCode === null && cli.signalCode === null) {
          cli.kill('SIGINT');
          await waitExit(cli, 20_000);
        }
      },
    });
    const stderrLines: { t: number; line: string }[] = [];
    let stderrText = '';
    let stderrPartial = '';
    cli.stderr!.on('data', (c: Buffer) => {
      const t = performance.now();
      stderrText += c.toString();
      const parts = (stderrPartial + c.toString()).split('\n');
      stderrPartial = parts.pop() ?? '';
      for (const line of parts) stderrLines.push({ t: t - tSpawn, line });
    });
    const seen = (re: RegExp) => stderrLines.find((l) => re.test(l.line));
    await waitFor(
      () => !!seen(/tracing execs on/) || cli.exitCode !== null,
      120_000,
      () => `the CLI did not start tracing within 120 s:\n${stderrText}`,
    );
    if (!seen(/tracing execs on/)) throw new Error(`the CLI exited (${cli.exitCode}) before tracing:\n${stderrText}`);

    const bpftracePid = (): number | null => api.execProcesses().find((p) => p.command.includes('bpftrace') && comm(p.pid) === 'bpftrace')?.pid ?? null;
    await waitFor(() => bpftracePid() !== null, 5000, () => 'no bpftrace process among the stand-in kubelet execs', 50);
    const btPid = bpftracePid()!;
    const counter = new OutputCounter(outFile);
    const before = { cli: cpuMicros(cli.pid!)!, bpftrace: cpuMicros(btPid)!, standIn: process.cpuUsage(), t: performance.now() };

    const traced: StormRun[] = [];
    const drains: { count: number; lagMs: number; complete: boolean }[] = [];
    for (let i = 1; i <= 2; i++) {
      const r = await runStorm(`traced #${i}`);
      traced.push(r);
      drains.push(await drain(counter, i * N, performance.now()));
    }
    const after = {
      cli: cpuMicros(cli.pid!)!,
      bpftrace: cpuMicros(btPid),
      standIn: process.cpuUsage(before.standIn),
      t: performance.now(),
      cliHwmKb: statusKb(cli.pid!, 'VmHWM'),
      cliRssKb: statusKb(cli.pid!, 'VmRSS'),
    };
    cli.kill('SIGINT');
    const cliExit = await waitExit(cli, 60_000);
    await sleep(50); // the last stderr chunk
    const totalsLine = stderrText.split('\n').find((l) => l.startsWith('{"kind":"trace-exec.totals"'));
    const totals = totalsLine ? (JSON.parse(totalsLine) as Record<string, number | string>) : null;
    counter.poll();

    // Every line of the output: the storm's execs, distinct, attributed.
    const out = readFileSync(outFile, 'utf8').split('\n').filter(Boolean);
    const stormEvents = out.filter(isStormLine).map((l) => JSON.parse(l) as { pid: number; time: string; retval: number | null; attribution: string; containerId: string | null });
    const distinct = new Set(stormEvents.map((e) => `${e.pid}@${e.time}`)).size;
    const fullPath = {
      generated: 2 * N,
      delivered: stormEvents.length,
      distinct,
      deliveredRatio: stormEvents.length / (2 * N),
      deliveredPerStorm: drains.map((d, i) => d.count - (i === 0 ? 0 : drains[i - 1]!.count)),
      withRetval0: stormEvents.filter((e) => e.retval === 0).length,
      withContainerId: stormEvents.filter((e) => e.containerId === workload.containers[0]!.id).length,
      outputLines: out.length,
      drainLagMs: drains.map((d) => d.lagMs),
      drainComplete: drains.map((d) => d.complete),
      totals,
      cliExit,
      cliCpuUs: after.cli - before.cli,
      cliCpuUsPerEvent: (after.cli - before.cli) / Math.max(1, stormEvents.length),
      cliCpuUsPerDecodedEvent: totals && typeof totals.events === 'number' ? (after.cli - before.cli) / totals.events : null,
      cliPeakRssMB: after.cliHwmKb !== null ? after.cliHwmKb / 1024 : null,
      cliRssAtEndMB: after.cliRssKb !== null ? after.cliRssKb / 1024 : null,
      bpftraceCpuUsPerEvent: after.bpftrace !== null ? (after.bpftrace - before.bpftrace) / Math.max(1, stormEvents.length) : null,
      standInCpuUsPerEvent: (after.standIn.user + after.standIn.system) / Math.max(1, stormEvents.length),
      windowMs: after.t - before.t,
      stderr: stderrLines.map((l) => `${(l.t / 1000).toFixed(3)}s ${l.line}`),
      startup: {
        creatingPodS: (seen(/creating debug pod/)?.t ?? NaN) / 1000,
        probingNodeS: (seen(/probing node/)?.t ?? NaN) / 1000,
        tracingS: (seen(/tracing execs on/)?.t ?? NaN) / 1000,
        runningToAttachedS: ((seen(/tracing execs on/)?.t ?? NaN) - (seen(/probing node/)?.t ?? NaN)) / 1000,
      },
    };
    await api.close(); // the stand-in stops before the next untraced storm

    // ---- 3. untraced again, then bpftrace alone recording the storm ----------------------------
    untraced.push(await runStorm('untraced #2'));

    const probe = (await import(pathToFileURL(join(DIST, 'node/probe.js')).href)) as typeof import('../../src/node/probe.js');
    const render = (await import(pathToFileURL(join(DIST, 'node/render.js')).href)) as typeof import('../../src/node/render.js');
    const facts = probe.parseProbe(execFileSync(probe.PROBE_COMMAND[0]!, probe.PROBE_COMMAND.slice(1), { encoding: 'utf8' }));
    const rendered = render.renderProgram(facts);
    const programFile = join(tmp, 'trace-exec.bt');
    writeFileSync(programFile, rendered.program);
    const recording = join(tmp, 'recording.jsonl');
    const statsBefore = machine.bpfStatsEnabledBefore;
    let statsOn = false;
    try {
      writeFileSync('/proc/sys/kernel/bpf_stats_enabled', '1');
      statsOn = true;
      cleanups.push({ what: 'kernel.bpf_stats_enabled', fn: () => writeFileSync('/proc/sys/kernel/bpf_stats_enabled', statsBefore) });
    } catch {
      /* BPF run times are then not reported */
    }
    const cmd = render.bpftraceCommand(rendered, programFile);
    const recFd = openSync(recording, 'w');
    const tBt = performance.now();
    const bt = spawn(cmd[0]!, cmd.slice(1), { stdio: ['ignore', recFd, 'pipe'] });
    closeSync(recFd);
    cleanups.push({
      what: 'recording bpftrace',
      fn: async () => {
        if (bt.exitCode === null && bt.signalCode === null) {
          bt.kill('SIGINT');
          await waitExit(bt, 10_000);
        }
      },
    });
    let btStderr = '';
    bt.stderr!.on('data', (c: Buffer) => (btStderr += c.toString()));
    const recordingHas = (s: string) => existsSync(recording) && readFileSync(recording, 'utf8').includes(s);
    await waitFor(() => recordingHas('"B ') || bt.exitCode !== null, 120_000, () => `bpftrace did not start within 120 s: ${btStderr}`, 20);
    if (bt.exitCode !== null) throw new Error(`bpftrace exited (${bt.exitCode}): ${btStderr}`);
    const btStartupS = (performance.now() - tBt) / 1000;
    const rec0 = { cpu: cpuMicros(bt.pid!)!, bpf: bpfProgStats(bt.pid!) };
    const alone = await runStorm('bpftrace alone');
    // Until the recording stops growing: bpftrace has written out what the storm produced.
    let recSize = -1;
    let recSince = performance.now();
    await waitFor(
      () => {
        const size = statSync(recording).size;
        if (size !== recSize) {
          recSize = size;
          recSince = performance.now();
        }
        return performance.now() - recSince > 1500;
      },
      60_000,
      () => 'the recording did not stop growing',
      100,
    );
    const rec1 = { cpu: cpuMicros(bt.pid!)!, bpf: bpfProgStats(bt.pid!) };
    bt.kill('SIGINT');
    const btExit = await waitExit(bt, 15_000);
    if (statsOn) writeFileSync('/proc/sys/kernel/bpf_stats_enabled', statsBefore);
    const recText = readFileSync(recording, 'utf8');
    const recLost = [...recText.matchAll(/"type": "lost_events", "data": \{"events": (\d+)\}/g)].reduce((s, m) => s + Number(m[1]), 0);
    const bpfRunNs = rec1.bpf.runTimeNs - rec0.bpf.runTimeNs;
    const bpfRuns = rec1.bpf.runCnt - rec0.bpf.runCnt;
    const bpftraceAlone = {
      startupS: btStartupS,
      probes: Number(/"probes": (\d+)/.exec(recText)?.[1] ?? NaN),
      programs: rec1.bpf.progs,
      stormMs: alone.ms,
      lost: recLost,
      bytes: recText.length,
      cpuUsPerExec: (rec1.cpu - rec0.cpu) / N,
      bpfStats: statsOn,
      bpfRunTimeUsPerExec: statsOn ? bpfRunNs / 1000 / N : null,
      bpfRunsPerExec: statsOn ? bpfRuns / N : null,
      bpfNsPerRun: statsOn && bpfRuns ? bpfRunNs / bpfRuns : null,
      exit: btExit,
    };

    // ---- 4/5. the client without the kernel, in fresh processes --------------------------------
    const child = (mode: 'ceiling' | 'memory', events: number): Record<string, unknown> => {
      const cfgFile = join(tmp, `client-${mode}-${events}.json`);
      writeFileSync(
        cfgFile,
        JSON.stringify({
          mode,
          events,
          recording,
          dist: DIST,
          strlen: rendered.strlen,
          levels: rendered.levels,
          node: NODE,
          namespaces: [NAMESPACE],
          filename: FILENAME,
          tmpDir: tmp,
          pod: { uid: workload.uid, namespace: NAMESPACE, name: POD, containerId: workload.containers[0]!.id, containerName: CONTAINER },
        }),
      );
      const stdout = execFileSync(process.execPath, ['--expose-gc', CHILD, cfgFile], { encoding: 'utf8', timeout: 300_000, maxBuffer: 16 << 20 });
      return JSON.parse(stdout.trim().split('\n').pop()!) as Record<string, unknown>;
    };
    const ceilingEvents = Number(process.env.BENCH_CEILING_EVENTS ?? 200_000);
    const ceiling = child('ceiling', ceilingEvents) as { stages: { stage: string; eventsPerSec: number; cpuUsPerEvent: number; storm?: number; events: number }[]; perCopy: number };
    const memorySizes = (process.env.BENCH_MEMORY_SIZES ?? '10000,100000,1000000').split(',').map(Number);
    const memory = memorySizes.map((n) => child('memory', n)) as { events: number; storm: number; rssMB: number; heapUsedMB: number; heapUsedAfterGcMB: number; rssAfterGcMB: number; vmHwmMB: number; baselineRssMB: number; cpuUsPerEvent: number; wallMs: number; waiting: unknown; cgroupPaths: number }[];

    // ---- report ----------------------------------------------------------------------------------
    const bestUntraced = Math.min(...untraced.map((s) => s.ms));
    const bestTraced = Math.min(...traced.map((s) => s.ms));
    const full = ceiling.stages.find((s) => s.stage === '+ json printer')!;
    const perLine = ceiling.stages.find((s) => s.stage.startsWith('+ writeSync per line'))!;
    const rss = memory.map((m) => m.rssMB);
    const results = {
      when: new Date().toISOString(),
      machine: { ...machine, loadavgAtEnd: loadavg() },
      storms: { untraced, traced, bpftraceAlone: alone, bestUntracedMs: bestUntraced, bestTracedMs: bestTraced, tracedOverUntraced: bestTraced / bestUntraced, bpftraceAloneOverUntraced: alone.ms / bestUntraced },
      fullPath,
      bpftraceAlone,
      ceiling,
      memory,
    };
    mkdirSync(join(ROOT, 'bench-results'), { recursive: true });
    const resultFile = join(ROOT, 'bench-results', `bench-${results.when.replace(/[:.]/g, '-')}.json`);
    writeFileSync(resultFile, JSON.stringify(results, null, 2) + '\n');

    const f = (x: number | null | undefined, d = 2) => (x === null || x === undefined || !Number.isFinite(x) ? 'n/a' : x.toFixed(d));
    const rows: [string, string, string][] = [
      ['delivered/generated', f(fullPath.deliveredRatio, 3), '1.000'],
      ['lost events', String(totals?.lost ?? 'n/a'), '0'],
      ['storm traced/untraced', f(bestTraced / bestUntraced), '≤ 1.10'],
      ['client CPU per event (µs)', f(fullPath.cliCpuUsPerEvent, 1), '≤ 10'],
      ['client peak RSS (MB)', f(fullPath.cliPeakRssMB, 1), ''],
      ['client ceiling, recorded stream (ev/s)', f(full.eventsPerSec, 0), '≥ 100000'],
      ['RSS at 10k / 100k / 1M events (MB)', rss.map((x) => f(x, 1)).join(' / '), 'flat ±10'],
      ['pod Running → bpftrace attached (s)', f(fullPath.startup.runningToAttachedS), ''],
      ['— details —', '', ''],
      ['untraced storm, per exec (µs)', f((bestUntraced * 1000) / N, 1), ''],
      ['storm bpftrace alone/untraced', f(alone.ms / bestUntraced), ''],
      ['BPF programs per exec / µs per exec', `${f(bpftraceAlone.bpfRunsPerExec, 1)} / ${f(bpftraceAlone.bpfRunTimeUsPerExec, 1)}`, ''],
      ['bpftrace CPU per exec, alone (µs)', f(bpftraceAlone.cpuUsPerExec, 1), ''],
      ['bpftrace CPU per exec, full path (µs)', f(fullPath.bpftraceCpuUsPerEvent, 1), ''],
      ['API stand-in relay CPU per exec (µs)', f(fullPath.standInCpuUsPerEvent, 1), ''],
      ['drain lag after each storm (s)', fullPath.drainLagMs.map((x) => f(x / 1000)).join(' / '), ''],
      ['ceiling CPU per event (µs)', f(full.cpuUsPerEvent, 2), '≤ 10'],
      ['ceiling with writeSync per line (ev/s)', f(perLine.eventsPerSec, 0), ''],
      ['bpftrace alone: start → attached (s)', f(bpftraceAlone.startupS), ''],
      ['heap used after GC, 10k/100k/1M (MB)', memory.map((m) => f(m.heapUsedAfterGcMB, 1)).join(' / '), ''],
    ];
    const table = [
      `${'metric'.padEnd(41)}${'value'.padEnd(22)}target`,
      ...rows.map(([m, v, t]) => `${m.padEnd(41)}${v.padEnd(22)}${t}`),
      '',
      'client stages (recorded stream, cumulative):',
      ...ceiling.stages.map((s) => `  ${s.stage.padEnd(44)}${f(s.eventsPerSec, 0).padStart(9)} ev/s ${f(s.cpuUsPerEvent, 2).padStart(7)} µs/ev`),
      '',
      `storm: ${storm.kind === 'cc' ? 'C vfork+execve' : 'Node spawnSync FALLBACK (no cc: much slower per exec)'}, N=${N}; untraced ${untraced.map((s) => f(s.ms / 1000)).join(' s, ')} s; traced ${traced.map((s) => f(s.ms / 1000)).join(' s, ')} s; bpftrace alone ${f(alone.ms / 1000)} s`,
      `startup: spawn → creating debug pod ${f(fullPath.startup.creatingPodS)} s → probing node ${f(fullPath.startup.probingNodeS)} s → tracing ${f(fullPath.startup.tracingS)} s (times stderr lines arrived)`,
      `results: ${resultFile}`,
    ].join('\n');
    console.log(`\n${table}\n`);

    // ---- the run completed (no timing is asserted) -----------------------------------------------
    expect(cliExit.code, stderrText).toBe(0);
    expect(totals, stderrText).not.toBeNull();
    expect(fullPath.delivered).toBeGreaterThan(0);
    expect(ceiling.stages.find((s) => s.stage === '+ json printer')!.storm).toBe(ceilingEvents);
    for (const m of memory) expect(m.storm).toBe(m.events);
  }, 1_200_000);
});
