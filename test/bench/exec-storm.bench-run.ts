/**
 * `npm run bench`: is trace-exec lossless at the node's maximum exec rate, and what does an event
 * cost on the client? Everything is measured side by side in this one run (the machine is small and
 * may be shared, so only ratios and per-event costs are comparable; absolute times are noise):
 *
 *  1. an exec storm (N × vfork+execve /bin/true, N = BENCH_EXECS, default 20000) in a kubelet-shaped
 *     cgroup of pod bench/storm-0, untraced (before and after the traced runs);
 *  2. the full path: the built CLI against the API stand-in, stdout to a file, while the storm runs
 *     twice: delivered/generated, lost, storm slowdown, the CLI's CPU per event and peak RSS, the
 *     stand-in's and bpftrace's CPU, startup time;
 *  3. the same CLI with --local (bpftrace a child of the CLI, no exec stream): the transport's share;
 *  4. bpftrace alone (no client) recording the storm: the kernel/bpftrace share of the slowdown,
 *     BPF program run time per exec (kernel.bpf_stats_enabled, restored afterwards), how bpftrace
 *     writes (reads per exec on its stdout pipe);
 *  5. the client ceiling without the kernel: the recording replayed through dist/ in a fresh process,
 *     stage by stage (test/bench/client-path.mjs);
 *  6. memory: 10k / 100k / 1M replayed execs, one fresh process each, with the CLI's V8 flags
 *     (bin/trace-exec NODE_FLAGS), and the largest once more with V8's defaults (test/bench/memory.ts);
 *  7. opt-in, BENCH_SOAK_MIN=10: the soak, one long trace with the exec stream dropped every minute
 *     (test/bench/soak.ts); `npm run bench -- -t soak` runs it alone.
 *  8. fan-in: the recording replayed by BENCH_FANIN_NODES simulated nodes (default 100) into one CLI
 *     with --all-nodes, at each merged rate of BENCH_FANIN_RATES (test/bench/fanin.ts).
 *  9. fleet: start and Ctrl-C of BENCH_FLEET_NODES simulated nodes (default 500) under the API request
 *     budget, with and without a server-side limit (test/bench/fleet.ts). No kernel needed.
 *
 * 10. summary mode: bytes over the exec stream per exec when the node counts (-o summary) against per
 *     exec, the node-side command run for real over the storm (test/bench/summary-mode.ts).
 *
 * BENCH_ONLY=fanin runs only 4 (for the recording) and 8; BENCH_ONLY=memory only 4 and 6; BENCH_ONLY=fleet only 9; BENCH_ONLY=summary only 10; BENCH_ONLY=storm only 1, 4 and 4b, BENCH_ROUNDS
 * times (default 3), with BENCH_BASE_TEMPLATE=FILE each round also with the program FILE renders. No timing is asserted; the run asserts that
 * it completed. Prints a table, writes bench-results/bench-<timestamp>.json. BENCH_KEEP=1 keeps the
 * temp dir (outputs, recording).
 */
import { execFileSync, spawn } from 'node:child_process';
import { closeSync, fstatSync, mkdirSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, release, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { startApiServer, type ApiServer } from '../apiserver/index.js';
import { CLI } from '../support/cli.js';
import { cgroupRoots, traceUnavailable } from '../support/kernel.js';
import { addToApi, makeWorkload, removeCgroups, type Workload } from '../support/workloads.js';
import { interrupt, sleep, waitExit, waitFor } from './children.js';
import { cpuMicros, descendantsNamed, machineCpu, pidsNamed, statusKb, threadCpuMicros, ticksPerSecond } from './procstat.js';
import { faninReport, runFanin } from './fanin.js';
import { recordStorm } from './record-storm.js';
import { prepareStorm, startIn, type RunningStorm, type Storm, type StormRun } from './storm.js';
import { soak } from './soak.js';
import { fleetReport, runFleet, type FleetResult } from './fleet.js';
import { CLI_NODE_FLAGS, clientProcess, memoryReport, runMemory, type ClientPathConfig } from './memory.js';
import { runSummaryMode, summaryModeReport } from './summary-mode.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const DIST = join(ROOT, 'dist');
const NODE = 'worker-1';
const NAMESPACE = 'bench';
const POD = 'storm-0';
const CONTAINER = 'storm';
const FILENAME = '/bin/true';
const BPF_STATS = '/proc/sys/kernel/bpf_stats_enabled';

/** '' runs every phase; 'fanin' / 'memory' only what that phase needs (the recording) and the phase. */
const ONLY = process.env.BENCH_ONLY ?? '';

function positiveInts(name: string, fallback: string): number[] {
  const values = (process.env[name] ?? fallback).split(',').map(Number);
  if (!values.every((n) => Number.isInteger(n) && n > 0))
    throw new Error(`${name} must be positive integers (a comma list), got ${process.env[name]}`);
  return values;
}

/** Writes the results file; returns its path. */
function writeResults(results: { when: string }): string {
  mkdirSync(join(ROOT, 'bench-results'), { recursive: true });
  const file = join(ROOT, 'bench-results', `bench-${results.when.replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify(results, null, 2) + '\n');
  return file;
}

/** The printed table: rows with targets, then details, then free lines. */
function formatTable(rows: [string, string, string][], details: [string, string][], lines: string[]): string {
  return [
    `${'metric'.padEnd(41)}${'value'.padEnd(22)}target`,
    ...rows.map(([m, v, t]) => `${m.padEnd(41)}${v.padEnd(22)}${t}`),
    '',
    'details:',
    ...details.map(([m, v]) => `  ${m.padEnd(39)}${v}`),
    '',
    ...lines,
  ].join('\n');
}

/** Counts the storm's execs in a growing JSON-lines file, reading only what was added. */
class OutputCounter {
  private offset = 0;
  private partial = '';
  private readonly buf = Buffer.alloc(1 << 20);
  count = 0;
  lines = 0;
  lastGrowth = performance.now();
  constructor(
    private readonly file: string,
    private readonly isStorm: (line: string) => boolean,
  ) {}
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
          if (this.isStorm(l)) this.count++;
        }
      }
    } finally {
      closeSync(fd);
    }
  }
}

/** Waits until the counter reaches `expected`, or stops growing for quietMs, or timeoutMs passed. */
async function drain(
  c: OutputCounter,
  expected: number,
  since: number,
  timeoutMs = 120_000,
  quietMs = 4000,
): Promise<{ count: number; lagMs: number; complete: boolean }> {
  const t0 = performance.now();
  for (;;) {
    c.poll();
    const now = performance.now();
    if (c.count >= expected || now - c.lastGrowth > quietMs || now - t0 > timeoutMs) break;
    await sleep(100);
  }
  return { count: c.count, lagMs: Math.max(0, c.lastGrowth - since), complete: c.count >= expected };
}

interface OutEvent {
  pid: number;
  time: string;
  namespace: string | null;
  pod: string | null;
  containerId: string | null;
  filename: string;
  comm: string;
  args: string[];
  retval: number | null;
}

/** Cleanups a describe block registers as it goes, run newest first after it; one failing does not stop the rest. */
function cleanupsAfterAll(label: string): { what: string; fn: () => unknown }[] {
  const cleanups: { what: string; fn: () => unknown }[] = [];
  afterAll(async () => {
    for (const { what, fn } of cleanups.reverse()) {
      try {
        await fn();
      } catch (e) {
        console.error(`${label} cleanup (${what}) failed: ${(e as Error).message}`);
      }
    }
  }, 120_000);
  return cleanups;
}

describe.skipIf(ONLY === 'fleet')('benchmark: exec storm through trace-exec', () => {
  const cleanups = cleanupsAfterAll('bench');

  it('measures the storm, the full path, the client ceiling and memory', async () => {
    const unavailable = traceUnavailable();
    if (unavailable) throw new Error(`npm run bench traces for real and needs root, bpftrace and tracefs: ${unavailable}`);

    const tmp = mkdtempSync(join(tmpdir(), 'trace-exec-bench-'));
    if (process.env.BENCH_KEEP === '1') console.log(`bench: keeping ${tmp}`);
    else cleanups.push({ what: 'temp dir', fn: () => rmSync(tmp, { recursive: true, force: true }) });
    const running = new Set<RunningStorm>();
    cleanups.push({ what: 'storms', fn: () => running.forEach((s) => s.kill()) });

    const storm: Storm = prepareStorm(process.env.BENCH_NO_CC === '1');
    cleanups.push({ what: 'storm binary', fn: () => storm.dispose() });
    const N = Number(process.env.BENCH_EXECS ?? (storm.kind === 'cc' ? 20_000 : 5_000));
    if (!Number.isInteger(N) || N <= 0) throw new Error(`BENCH_EXECS must be a positive integer, got ${process.env.BENCH_EXECS}`);
    const bpfStatsBefore = readFileSync(BPF_STATS, 'utf8').trim();
    const machine = {
      nproc: availableParallelism(),
      cpu: cpus()[0]?.model ?? null,
      kernel: release(),
      bpftrace: execFileSync('bpftrace', ['--version'], { encoding: 'utf8' }).trim(),
      node: process.version,
      clkTck: ticksPerSecond(),
      execs: N,
      storm: storm.kind,
      ccUsed: storm.kind === 'cc',
      compiler: storm.compiler,
      stormFallbackReason: storm.fallbackReason,
      loadavgAtStart: loadavg(),
      otherBpftraceAtStart: pidsNamed('bpftrace').length,
      bpfStatsEnabledBefore: bpfStatsBefore,
    };
    console.log(
      `bench: N=${N} execs per storm, storm=${storm.kind === 'cc' ? `C vfork+execve (${storm.compiler})` : `Node spawnSync FALLBACK, much slower per exec (${storm.fallbackReason})`}, ` +
        `${machine.nproc} CPUs, kernel ${machine.kernel}, ${machine.bpftrace}, load ${machine.loadavgAtStart.map((x) => x.toFixed(2)).join(' ')}` +
        (machine.otherBpftraceAtStart ? `, ${machine.otherBpftraceAtStart} other bpftrace running (noise)` : ''),
    );

    const workload: Workload = makeWorkload('systemd-crio-hybrid', NAMESPACE, POD, [{ name: CONTAINER }], NODE);
    cleanups.push({ what: 'storm cgroups', fn: () => removeCgroups([workload]) });
    const cg = workload.containers[0]!.cgroup;
    const containerId = workload.containers[0]!.id;

    const runStorm = async (label: string, n = N): Promise<StormRun> => {
      const cpuFile = join(tmp, 'storm-cpu.txt');
      rmSync(cpuFile, { force: true });
      const cpu0 = machineCpu();
      const s = await startIn(cg, storm.argv(n, cpuFile));
      running.add(s);
      const { code, ms } = await s.done;
      running.delete(s);
      const cpu1 = machineCpu();
      if (code !== 0) throw new Error(`storm ${label} exited with ${code}`);
      const busyCpus = ((cpu1.busy - cpu0.busy) / Math.max(1, cpu1.total - cpu0.total)) * machine.nproc;
      let cpuPerExecUs: number | null = null;
      try {
        const [user, sys] = readFileSync(cpuFile, 'utf8').trim().split(' ').map(Number);
        cpuPerExecUs = (user! + sys!) / n;
      } catch {
        /* the Node fallback does not report it */
      }
      return { label, ms, perExecUs: (ms * 1000) / n, busyCpus, cpuPerExecUs };
    };
    /** Phase 4's recording: bpftrace alone traces a storm into a file (`template`: another program's). */
    const record = (label = 'bpftrace alone', template?: string) =>
      recordStorm({
        dist: DIST,
        tmp,
        bpfStatsBefore,
        template,
        runStorm: () => runStorm(label),
        onCleanup: (what, fn) => cleanups.push({ what, fn }),
      });

    /**
     * Runs the built CLI with stdout to a file while the storm runs `storms` times; reports what came
     * out, what it cost, and how long it took to start. For node/NAME the stand-in must hold the pod.
     */
    /**
     * Latency on a quiet node: n execs of /bin/true, spacedMs apart, in the storm's cgroup; for each,
     * the time from its start to its line in the CLI's output file (polled every 2 ms).
     */
    const measureLatency = async (outFile: string, n: number, spacedMs: number) => {
      const ms: number[] = [];
      let offset = statSync(outFile).size;
      for (let i = 0; i < n; i++) {
        await sleep(spacedMs);
        const marker = `latency-${process.pid}-${i}`;
        const s = await startIn(cg, [FILENAME, marker]);
        const t0 = performance.now();
        running.add(s);
        let seen = false;
        while (!seen && performance.now() - t0 < 10_000) {
          await sleep(2);
          const size = statSync(outFile).size;
          if (size <= offset) continue;
          const fd = openSync(outFile, 'r');
          const buf = Buffer.alloc(size - offset);
          readSync(fd, buf, 0, buf.length, offset);
          closeSync(fd);
          if (buf.includes(`"${marker}"`)) seen = true;
          else offset = size - Math.min(size - offset, 4096); // a line may still be half-written
        }
        const took = performance.now() - t0;
        await s.done;
        running.delete(s);
        offset = statSync(outFile).size;
        ms.push(seen ? took : Infinity);
      }
      const sorted = [...ms].sort((a, b) => a - b);
      return {
        execs: n,
        spacedMs,
        ms,
        p50Ms: sorted[Math.floor((n - 1) / 2)]!,
        maxMs: sorted[n - 1]!,
        missing: ms.filter((x) => x === Infinity).length,
      };
    };

    const tracedRun = async (
      label: string,
      args: string[],
      storms: number,
      opts: { api?: ApiServer; isStorm: (l: string) => boolean; latency?: number },
    ) => {
      const outFile = join(tmp, `${label}-stdout.jsonl`);
      const outFd = openSync(outFile, 'w');
      const tSpawn = performance.now();
      // BENCH_CPU_PROF=DIR: a V8 CPU profile of each traced CLI run (open it in Chrome DevTools or speedscope).
      const prof = process.env.BENCH_CPU_PROF
        ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`, `--cpu-prof-name=cli-${label}.cpuprofile`]
        : [];
      const cli = spawn(process.execPath, [...CLI_NODE_FLAGS, ...prof, CLI, ...args, '-o', 'json', '-d', '15m'], {
        stdio: ['ignore', outFd, 'pipe'],
        env: { ...process.env, FORCE_COLOR: '0' },
      });
      closeSync(outFd);
      cleanups.push({ what: `CLI ${label}`, fn: () => interrupt(cli, 30_000) });
      const stderrLines: { t: number; line: string }[] = [];
      let stderrText = '';
      let partial = '';
      cli.stderr!.on('data', (c: Buffer) => {
        const t = performance.now() - tSpawn;
        stderrText += c.toString();
        const parts = (partial + c.toString()).split('\n');
        partial = parts.pop() ?? '';
        for (const line of parts) stderrLines.push({ t, line });
      });
      const seen = (re: RegExp) => stderrLines.find((l) => re.test(l.line));
      await waitFor(
        () => !!seen(/tracing execs on/) || cli.exitCode !== null,
        120_000,
        () => `${label}: the CLI did not start tracing within 120 s:\n${stderrText}`,
      );
      if (!seen(/tracing execs on/)) throw new Error(`${label}: the CLI exited (${cli.exitCode}) before tracing:\n${stderrText}`);

      // bpftrace and the batcher (perl): below the tracer command, an exec process of the stand-in's
      // kubelet, or the CLI's child with --local.
      const tracerRoot = (): number | null =>
        opts.api ? (opts.api.execProcesses().find((p) => p.command.includes('bpftrace'))?.pid ?? null) : cli.pid!;
      const findBelow = (name: string): number | null => {
        const root = tracerRoot();
        return root === null ? null : (descendantsNamed(root, name)[0] ?? null);
      };
      await waitFor(
        () => findBelow('bpftrace') !== null,
        5000,
        () => `${label}: cannot find the bpftrace process`,
        50,
      );
      const btPid = findBelow('bpftrace')!;
      const batcherPid = findBelow('perl');
      const counter = new OutputCounter(outFile, opts.isStorm);
      const before = {
        cli: cpuMicros(cli.pid!)!,
        cliThreads: threadCpuMicros(cli.pid!),
        bpftrace: cpuMicros(btPid)!,
        batcher: batcherPid !== null ? cpuMicros(batcherPid) : null,
        self: process.cpuUsage(),
        t: performance.now(),
        cliRssKb: statusKb(cli.pid!, 'VmRSS'),
      };
      const traced: StormRun[] = [];
      const drains: { count: number; lagMs: number; complete: boolean }[] = [];
      for (let i = 1; i <= storms; i++) {
        traced.push(await runStorm(`${label} #${i}`));
        drains.push(await drain(counter, i * N, performance.now()));
      }
      const after = {
        cli: cpuMicros(cli.pid!)!,
        cliThreads: threadCpuMicros(cli.pid!),
        bpftrace: cpuMicros(btPid),
        batcher: batcherPid !== null ? cpuMicros(batcherPid) : null,
        self: process.cpuUsage(before.self),
        t: performance.now(),
        cliHwmKb: statusKb(cli.pid!, 'VmHWM'),
        cliRssKb: statusKb(cli.pid!, 'VmRSS'),
      };
      const latency = opts.latency ? await measureLatency(outFile, opts.latency, 250) : null;
      cli.kill('SIGINT');
      const exit = await waitExit(cli, 60_000);
      await sleep(50); // the last stderr chunk
      const totalsLine = stderrText.split('\n').find((l) => l.startsWith('{"kind":"trace-exec.totals"'));
      const totals = totalsLine
        ? (JSON.parse(totalsLine) as {
            events: number;
            shown: number;
            lost: number;
            incomplete: number;
            unattributed: number;
            malformed: number;
            reason: string;
          })
        : null;

      // The latency probes' execs (argv[1] latency-…) are not part of the storm.
      const lines = readFileSync(outFile, 'utf8')
        .split('\n')
        .filter((l) => l !== '' && !l.includes('"latency-'));
      const stormEvents = lines.filter(opts.isStorm).map((l) => JSON.parse(l) as OutEvent);
      // Every exec in the storm's container, whatever its filename (the storm binary's own exec excluded).
      const inContainer = lines
        .filter((l) => l.includes(`"containerId":"${containerId}"`))
        .map((l) => JSON.parse(l) as OutEvent)
        .filter((e) => e.comm === 'true' || e.filename === FILENAME);
      const generated = storms * N;
      const cliCpuUs = after.cli - before.cli;
      const decoded = totals?.events ?? null;
      return {
        label,
        args,
        storms: traced,
        generated,
        delivered: stormEvents.length,
        deliveredRatio: stormEvents.length / generated,
        distinct: new Set(stormEvents.map((e) => `${e.pid}@${e.time}`)).size,
        deliveredPerStorm: drains.map((d, i) => d.count - (i === 0 ? 0 : drains[i - 1]!.count)),
        // Execs of the storm that came out with another filename (e.g. read as empty).
        stormExecsAnyFilename: inContainer.length,
        stormExecsOtherFilename: inContainer
          .filter((e) => e.filename !== FILENAME)
          .map((e) => ({ filename: e.filename, args: e.args, comm: e.comm, retval: e.retval })),
        withRetval0: stormEvents.filter((e) => e.retval === 0).length,
        outputLines: lines.length,
        drainLagMs: drains.map((d) => d.lagMs),
        drainComplete: drains.map((d) => d.complete),
        totals,
        foreignExecs: decoded !== null ? decoded - inContainer.length : null,
        exit,
        windowMs: after.t - before.t,
        cliCpuUs,
        cliCpuUsPerEvent: cliCpuUs / Math.max(1, stormEvents.length),
        cliCpuUsPerDecodedEvent: decoded ? cliCpuUs / decoded : null,
        // The CLI's CPU by thread (main thread "node", V8's GC and compiler helpers…), µs per storm event.
        cliThreadCpuUsPerEvent: Object.fromEntries(
          Object.entries(after.cliThreads).map(([name, us]) => [
            name,
            (us - (before.cliThreads[name] ?? 0)) / Math.max(1, stormEvents.length),
          ]),
        ),
        cliRssAtStartMB: before.cliRssKb !== null ? before.cliRssKb / 1024 : null,
        cliRssAtEndMB: after.cliRssKb !== null ? after.cliRssKb / 1024 : null,
        cliPeakRssMB: after.cliHwmKb !== null ? after.cliHwmKb / 1024 : null,
        bpftraceCpuUsPerDecodedEvent: after.bpftrace !== null && decoded ? (after.bpftrace - before.bpftrace) / decoded : null,
        batcherCpuUsPerDecodedEvent:
          after.batcher !== null && before.batcher !== null && decoded ? (after.batcher - before.batcher) / decoded : null,
        // This process: the API stand-in relaying bpftrace's output (plus the bench's own polling).
        benchProcessCpuUsPerDecodedEvent: decoded ? (after.self.user + after.self.system) / decoded : null,
        stderr: stderrLines.map((l) => `${(l.t / 1000).toFixed(3)}s ${l.line}`),
        latency,
        startup: {
          creatingPodS: (seen(/creating debug pod/)?.t ?? NaN) / 1000,
          probingNodeS: (seen(/probing node/)?.t ?? NaN) / 1000,
          tracingS: (seen(/tracing execs on/)?.t ?? NaN) / 1000,
          probingToTracingS: ((seen(/tracing execs on/)?.t ?? NaN) - (seen(/probing node/)?.t ?? NaN)) / 1000,
        },
      };
    };

    // ---- 4b. the floor: a minimal bpftrace program, one printf per exec, same settings and reader --
    const runMinimal = async (rendered: { program: string; env: Record<string, string> }) => {
      const args = rendered.program.includes('args.filename') ? 'args.' : 'args->';
      const minimalProgram = [
        'tracepoint:syscalls:sys_enter_execve,',
        'tracepoint:syscalls:sys_enter_execveat',
        `{ printf("M %d %s\\n", tid, str(${args}filename)); }`,
      ].join('\n');
      const minimalFile = join(tmp, 'minimal.bt');
      writeFileSync(minimalFile, minimalProgram);
      const mini = spawn('env', [...Object.entries(rendered.env).map(([k, v]) => `${k}=${v}`), 'bpftrace', '-f', 'json', minimalFile], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      cleanups.push({ what: 'minimal bpftrace', fn: () => interrupt(mini, 10_000) });
      let miniStderr = '';
      mini.stderr!.on('data', (c: Buffer) => (miniStderr += c.toString()));
      const miniPipe = { reads: 0, bytes: 0, records: 0, lost: 0, lastGrowth: performance.now(), text: '' };
      mini.stdout!.on('data', (c: Buffer) => {
        miniPipe.reads++;
        miniPipe.bytes += c.length;
        miniPipe.lastGrowth = performance.now();
        const text = miniPipe.text + c.toString('latin1');
        const cut = text.lastIndexOf('\n') + 1;
        for (const line of text.slice(0, cut).split('\n')) {
          if (line.includes('"data": "M ')) miniPipe.records++;
          else if (line.includes('lost_events')) miniPipe.lost += Number(/"events": (\d+)/.exec(line)?.[1] ?? 0);
        }
        miniPipe.text = text.slice(cut);
      });
      await waitFor(
        () => /Attaching|"probes"/.test(miniStderr + miniPipe.text) || miniPipe.bytes > 0 || mini.exitCode !== null,
        120_000,
        () => `minimal bpftrace did not start: ${miniStderr}`,
        20,
      );
      await sleep(1000); // attached_probes is printed before attaching on 0.17
      if (mini.exitCode !== null) throw new Error(`minimal bpftrace exited (${mini.exitCode}): ${miniStderr}`);
      const mini0 = { cpu: cpuMicros(mini.pid!)!, records: miniPipe.records };
      const minimal = await runStorm('minimal bpftrace');
      // It prints every exec on the machine: on a machine shared with other tracing work it may never
      // fall quiet for 1.5 s, so give it 20 s and go on (its CPU is counted per record it printed).
      await waitFor(
        () => performance.now() - miniPipe.lastGrowth > 1500,
        20_000,
        () => 'quiet',
        100,
      ).catch(() => undefined);
      const mini1 = { cpu: cpuMicros(mini.pid!)!, records: miniPipe.records };
      mini.kill('SIGINT');
      await waitExit(mini, 15_000);
      const minimalRun = {
        program: minimalProgram,
        stormMs: minimal.ms,
        execsSeen: mini1.records - mini0.records,
        lost: miniPipe.lost,
        cpuUsPerExec: (mini1.cpu - mini0.cpu) / Math.max(1, mini1.records - mini0.records),
        busyCpus: minimal.busyCpus,
      };
      return minimalRun;
    };

    if (
      ONLY !== '' &&
      ONLY !== 'fanin' &&
      ONLY !== 'memory' &&
      ONLY !== 'storm' &&
      ONLY !== 'summary' &&
      ONLY !== 'client' &&
      ONLY !== 'ceiling'
    )
      throw new Error(`BENCH_ONLY must be unset, "fanin", "memory", "storm", "summary", "client", "ceiling" or "fleet", got ${ONLY}`);
    const summaryMode = () =>
      runSummaryMode({
        dist: DIST,
        tmp,
        stormCgroupV2: cg.dirs.find((d) => d.startsWith(`${cgroupRoots().v2}/`))!,
        n: N,
        runStorm: (label) => runStorm(label),
        onCleanup: (what, fn) => cleanups.push({ what, fn }),
      });
    if (ONLY === 'summary') {
      // ---- 10 alone: bytes over the exec stream per exec, counting on the node vs per exec ----------
      const summary = await summaryMode();
      const resultFile = writeResults({
        when: new Date().toISOString(),
        only: ONLY,
        machine: { ...machine, loadavgAtEnd: loadavg() },
        summaryMode: summary,
      } as { when: string });
      const report = summaryModeReport(summary);
      console.log(`\n${formatTable(report.rows, report.details, ['BENCH_ONLY=summary: phases 1-9 skipped', `results: ${resultFile}`])}\n`);
      for (const m of summary.modes) expect(m.execs).toBeGreaterThan(0);
      return;
    }
    // ---- 5/6. the client without the kernel, in fresh processes (test/bench/client-path.mjs, test/bench/memory.ts) ----
    const clientChild = (
      mode: 'template' | 'ceiling' | 'paced' | 'memory',
      events: number,
      recording: string,
      rendered: { strlen: number; levels: number; argsMax: number },
    ): Record<string, unknown> => clientProcess(clientConfig(recording, rendered), mode, events);
    interface Stage {
      stage: string;
      events: number;
      eventsPerSec: number;
      cpuUsPerEvent: number;
      storm?: number;
    }
    const stageLines = (stages: Stage[]) =>
      stages.map(
        (s) => `  ${s.stage.padEnd(46)}${s.eventsPerSec.toFixed(0).padStart(9)} ev/s ${s.cpuUsPerEvent.toFixed(2).padStart(7)} µs/ev`,
      );

    if (ONLY === 'storm') {
      // ---- 1, 4 and 4b alone: the kernel/bpftrace side of a change to the program, BENCH_ROUNDS
      // times; with BENCH_BASE_TEMPLATE (a bpf/trace-exec.bt.tmpl from before the change) each round
      // records the storm with both programs, alternately, so that the machine's noise hits both.
      const rounds = positiveInts('BENCH_ROUNDS', '3')[0]!;
      const baseFile = process.env.BENCH_BASE_TEMPLATE;
      const programs: [string, string | undefined][] = [
        ...(baseFile ? [['before', readFileSync(baseFile, 'utf8')] as [string, string]] : []),
        ['after', undefined],
      ];
      await runStorm('warm-up', Math.min(500, N));
      const rows: Record<string, number | string>[] = [];
      for (let r = 0; r < rounds; r++) {
        const untracedRun = await runStorm('untraced');
        for (const [label, template] of r % 2 === 0 ? programs : [...programs].reverse()) {
          const rec = await record(`bpftrace alone (${label})`, template);
          const mini = await runMinimal(rec.rendered);
          const a = rec.bpftraceAlone;
          rows.push({
            round: r + 1,
            program: label,
            untracedMs: untracedRun.ms,
            aloneMs: rec.alone.ms,
            minimalMs: mini.stormMs,
            aloneOverMinimal: rec.alone.ms / mini.stormMs,
            execs: a.execsSeen,
            lost: a.lost,
            bpfRunsPerExec: a.bpfRunsPerExec ?? NaN,
            bpfUsPerExec: a.bpfRunTimeUsPerExec ?? NaN,
            bytesPerExec: a.bytesPerExec,
            bpftraceCpuUsPerExec: a.cpuUsPerExec,
            minimalCpuUsPerExec: mini.cpuUsPerExec,
            load1: loadavg()[0]!,
          });
        }
      }
      const resultFile = writeResults({
        when: new Date().toISOString(),
        only: ONLY,
        machine: { ...machine, loadavgAtEnd: loadavg() },
        rows,
      } as { when: string });
      const cols = Object.keys(rows[0]!);
      const cell = (v: number | string) => (typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toFixed(v < 10 ? 3 : 1)) : v);
      console.log(
        `\n${cols.join('\t')}\n${rows.map((row) => cols.map((c) => cell(row[c]!)).join('\t')).join('\n')}\n\nBENCH_ONLY=storm: phases 2, 3, 5-7 skipped; results: ${resultFile}\n`,
      );
      for (const row of rows) expect(row.execs).toBeGreaterThan(0);
      return;
    }
    /** The client-path.mjs runs (ceiling, memory) of a recording bpftrace made of the storm. */
    const clientConfig = (recording: string, rendered: { strlen: number; levels: number; argsMax: number }): ClientPathConfig => ({
      recording,
      dist: DIST,
      tmpDir: tmp,
      strlen: rendered.strlen,
      levels: rendered.levels,
      argsMax: rendered.argsMax,
      node: NODE,
      namespaces: [NAMESPACE],
      filename: FILENAME,
      pod: { uid: workload.uid, namespace: NAMESPACE, name: POD, containerId, containerName: CONTAINER },
    });
    const memorySizes = positiveInts('BENCH_MEMORY_SIZES', '10000,100000,1000000');

    if (ONLY === 'memory') {
      // ---- 4 (for the recording) and 6 alone -------------------------------------------------------
      const rec = await record();
      const cfg = clientConfig(rec.recording, rec.rendered);
      const recorded = clientProcess(cfg, 'template', 0) as { perCopy: number };
      if (!(recorded.perCopy > 0)) throw new Error('the recording holds no exec of the storm');
      const memory = runMemory(cfg, memorySizes);
      const resultFile = writeResults({
        when: new Date().toISOString(),
        only: ONLY,
        machine: { ...machine, loadavgAtEnd: loadavg() },
        recordedStormExecs: recorded.perCopy,
        memory,
      } as { when: string });
      const report = memoryReport(memory);
      console.log(
        `\n${formatTable(report.rows, report.details, [`BENCH_ONLY=memory: phases 1-3, 5, 7-10 skipped`, `results: ${resultFile}`])}\n`,
      );
      for (const m of [...memory.runs, memory.v8Defaults]) {
        expect(m.storm).toBe(m.events);
        expect(m.incomplete, 'execs held for a record the replay lacks').toBe(0);
      }
      return;
    }

    const [faninNodes] = positiveInts('BENCH_FANIN_NODES', '100');
    const [faninStepS] = positiveInts('BENCH_FANIN_STEP_S', '20');
    const faninWarmupS = Number(process.env.BENCH_FANIN_WARMUP_S ?? 3);
    const faninWarmupStepS = Number(process.env.BENCH_FANIN_WARMUP_STEP_S ?? 5);
    if (!(faninWarmupS >= 0 && faninWarmupS < faninStepS!) || !(faninWarmupStepS >= 0))
      throw new Error(
        `BENCH_FANIN_WARMUP_S must be ≥ 0 and below BENCH_FANIN_STEP_S, BENCH_FANIN_WARMUP_STEP_S ≥ 0 (got ${faninWarmupS}, ${faninWarmupStepS})`,
      );
    const fanin = (recording: string, probeOutput: string) =>
      runFanin({
        cli: CLI,
        root: ROOT,
        tmp,
        recording,
        probeOutput,
        storm: { uid: workload.uid, containerId },
        nodes: faninNodes!,
        rates: positiveInts('BENCH_FANIN_RATES', '25000,50000,100000,150000'),
        stepS: faninStepS!,
        warmupS: faninWarmupS,
        warmupStepS: faninWarmupStepS,
        keep: process.env.BENCH_KEEP === '1',
        profile: process.env.BENCH_FANIN_PROFILE === '1',
      });

    if (ONLY === 'fanin') {
      // ---- 4 (for the recording) and 7 alone ----------------------------------------------------
      const rec = await record();
      const faninResult = await fanin(rec.recording, rec.probeOutput);
      const resultFile = writeResults({
        when: new Date().toISOString(),
        only: ONLY,
        machine: { ...machine, loadavgAtEnd: loadavg() },
        bpftraceAlone: rec.bpftraceAlone,
        program: { ...rec.program, probes: rec.bpftraceAlone.probes, programs: rec.bpftraceAlone.programs },
        fanin: faninResult,
      } as { when: string });
      const report = faninReport(faninResult);
      const f = (x: number | null | undefined, d = 2) => (x === null || x === undefined || !Number.isFinite(x) ? 'n/a' : x.toFixed(d));
      const recorded: [string, string][] = [
        [
          'storm recorded by bpftrace alone',
          `${rec.bpftraceAlone.execsSeen} execs, lost ${rec.bpftraceAlone.lost}, ${f(rec.alone.ms / 1000)} s, ${f(rec.bpftraceAlone.bytesPerExec, 0)} B/exec`,
        ],
      ];
      console.log(
        `\n${formatTable(report.rows, [...report.details, ...recorded], [...report.lines, '', `BENCH_ONLY=fanin: phases 1-3, 5, 6 skipped`, `results: ${resultFile}`])}\n`,
      );
      expect(faninResult.steps.length).toBeGreaterThan(0);
      for (const st of faninResult.steps) {
        expect(st.exit.code, st.stderr.join('\n')).toBe(0);
        expect(st.totals, st.stderr.join('\n')).not.toBeNull();
      }
      return;
    }

    const isPodStorm = (l: string): boolean =>
      l.includes(`"namespace":"${NAMESPACE}","pod":"${POD}","container":"${CONTAINER}"`) && l.includes(`"filename":"${FILENAME}"`);
    /** Phase 2: the built CLI against the API stand-in while the storm runs twice. */
    const fullPathRun = async (label: string) => {
      const api: ApiServer = await startApiServer({ podStartDelayMs: 300 });
      cleanups.push({ what: 'API stand-in', fn: () => api.close() });
      api.addNode(NODE);
      addToApi(api, workload);
      try {
        return await tracedRun(label, [`node/${NODE}`, '--kubeconfig', api.kubeconfigPath, '-n', NAMESPACE], 2, {
          api,
          isStorm: isPodStorm,
          latency: 20,
        });
      } finally {
        await api.close(); // before the next storm
      }
    };

    if (ONLY === 'client' || ONLY === 'ceiling') {
      // ---- the client's cost alone: (client) the full path BENCH_ROUNDS times, then 4 for the
      // recording and 5, the ceiling.
      await runStorm('warm-up', Math.min(500, N));
      const rounds = ONLY === 'client' ? positiveInts('BENCH_ROUNDS', '3')[0]! : 0;
      const full = [];
      for (let r = 1; r <= rounds; r++) full.push(await fullPathRun(`node-${r}`));
      const { recording, rendered } = await record();
      const recorded = clientChild('template', 0, recording, rendered) as { perCopy: number };
      if (!(recorded.perCopy > 0)) throw new Error('the recording holds no exec of the storm');
      const ceilingEvents = Number(process.env.BENCH_CEILING_EVENTS ?? 60_000);
      const ceiling = clientChild('ceiling', ceilingEvents, recording, rendered) as { stages: Stage[] };
      // The same client at the storm's pace (2000 execs/s in frames every 100 ms, 2 s to warm up, 10 s
      // measured, lines written to a file): what the full path pays beyond the ceiling, without the kernel.
      const paced = clientChild('paced', 0, recording, rendered) as {
        cpuUsPerEvent: number;
        mainThreadUsPerEvent: number;
        userUsPerEvent: number;
        systemUsPerEvent: number;
      };
      const resultFile = writeResults({
        when: new Date().toISOString(),
        only: ONLY,
        machine: { ...machine, loadavgAtEnd: loadavg() },
        fullPath: full.map(({ stderr: _stderr, ...r }) => r),
        recording,
        ceiling,
        paced,
      } as { when: string });
      const f = (x: number | null | undefined, d = 2) => (x === null || x === undefined || !Number.isFinite(x) ? 'n/a' : x.toFixed(d));
      const rows: [string, string, string][] = full.flatMap((r) => [
        [`${r.label}: delivered/generated`, `${f(r.deliveredRatio, 5)} (${r.delivered}/${r.generated})`, '1.000'],
        [`${r.label}: lost events`, String(r.totals?.lost ?? 'n/a'), '0'],
        [`${r.label}: client CPU per event (µs)`, `${f(r.cliCpuUsPerEvent, 1)} (per decoded ${f(r.cliCpuUsPerDecodedEvent, 1)})`, '≤ 8'],
        [
          `${r.label}: … by thread (µs)`,
          Object.entries(r.cliThreadCpuUsPerEvent)
            .filter(([, us]) => us >= 0.05)
            .map(([name, us]) => `${name} ${f(us, 1)}`)
            .join(', '),
          '',
        ],
        [`${r.label}: exec → stdout p50/max (ms)`, r.latency ? `${f(r.latency.p50Ms, 0)} / ${f(r.latency.maxMs, 0)}` : 'n/a', '≤ 300'],
      ]);
      const printer = ceiling.stages.find((s) => s.stage === '+ json printer')!;
      rows.push(['client ceiling, recorded stream (ev/s)', f(printer.eventsPerSec, 0), '≥ 250000']);
      rows.push([
        'paced 2000 ev/s, no kernel: CPU/event (µs)',
        `${f(paced.cpuUsPerEvent)} (main thread ${f(paced.mainThreadUsPerEvent)}, system ${f(paced.systemUsPerEvent)})`,
        '',
      ]);
      console.log(
        `\n${formatTable(
          rows,
          [],
          [
            `client stages, recorded stream replayed in-process (${ceilingEvents} execs, cumulative, best of 3 by CPU):`,
            ...stageLines(ceiling.stages),
            '',
            `BENCH_ONLY=${ONLY}: phases 1, 3, 4b, 6, 7 skipped${ONLY === 'ceiling' ? ', and 2' : ''}; results: ${resultFile}`,
          ],
        )}\n`,
      );
      for (const r of full) expect(r.exit.code, r.stderr.join('\n')).toBe(0);
      expect(printer.storm).toBe(ceilingEvents);
      return;
    }

    // ---- 1. untraced (warm the page cache first) -----------------------------------------------
    await runStorm('warm-up', Math.min(500, N));
    const untraced: StormRun[] = [await runStorm('untraced #1')];

    // ---- 2. the full path: CLI → API stand-in → exec WebSocket → bpftrace --------------------------
    const fullPath = await fullPathRun('node');

    untraced.push(await runStorm('untraced #2'));

    // ---- 3. --local: the same client without the API path (no pod records: execs unattributed) ----
    const isLocalStorm = (l: string): boolean => l.includes(`"containerId":"${containerId}"`) && l.includes(`"filename":"${FILENAME}"`);
    const local = await tracedRun('local', ['--local'], 1, { isStorm: isLocalStorm });

    // ---- 4. bpftrace alone, recording the storm (its stdout read through a pipe, like the kubelet) --
    const { recording, probeOutput, rendered, program, alone, bpftraceAlone } = await record();

    const minimalRun = await runMinimal(rendered);
    const minimal = { ms: minimalRun.stormMs };

    // ---- 5/6. the client without the kernel, in fresh processes (test/bench/memory.ts) ----------
    const cfg = clientConfig(recording, rendered);
    const child = (mode: 'template' | 'ceiling', events: number) => clientProcess(cfg, mode, events);
    const recorded = child('template', 0) as { perCopy: number };
    if (!(recorded.perCopy > 0)) throw new Error('the recording holds no exec of the storm');
    const ceilingEvents = Number(process.env.BENCH_CEILING_EVENTS ?? 60_000);
    const ceiling = child('ceiling', ceilingEvents) as { stages: Stage[]; perCopy: number };
    const memory = runMemory(cfg, memorySizes);

    // ---- 7. fan-in: many simulated nodes into one client ----------------------------------------
    const faninResult = await fanin(recording, probeOutput);

    // ---- 10. summary mode: counting on the node vs per exec --------------------------------------
    const summaryResult = await summaryMode();
    const summaryRows = summaryModeReport(summaryResult);

    // ---- report ----------------------------------------------------------------------------------
    const bestUntraced = Math.min(...untraced.map((s) => s.ms));
    const bestTraced = Math.min(...fullPath.storms.map((s) => s.ms));
    const bestLocal = Math.min(...local.storms.map((s) => s.ms));
    const printer = ceiling.stages.find((s) => s.stage === '+ json printer')!;
    const perLine = ceiling.stages.find((s) => s.stage.startsWith('+ writeSync per line'));
    const smallChunks = ceiling.stages.find((s) => s.stage.startsWith('full, one line per chunk'));
    const results = {
      when: new Date().toISOString(),
      machine: { ...machine, loadavgAtEnd: loadavg() },
      storms: {
        untraced,
        bestUntracedMs: bestUntraced,
        bestTracedMs: bestTraced,
        tracedOverUntraced: bestTraced / bestUntraced,
        localOverUntraced: bestLocal / bestUntraced,
        bpftraceAloneOverUntraced: alone.ms / bestUntraced,
        minimalOverUntraced: minimal.ms / bestUntraced,
        tracedOverMinimal: bestTraced / minimal.ms,
        localOverMinimal: bestLocal / minimal.ms,
      },
      fullPath,
      local,
      bpftraceAlone,
      minimal: minimalRun,
      program: { ...program, probes: bpftraceAlone.probes, programs: bpftraceAlone.programs },
      recordedStormExecs: recorded.perCopy,
      ceiling,
      memory,
      fanin: faninResult,
      summaryMode: summaryResult,
    };
    const resultFile = writeResults(results);
    const faninRows = faninReport(faninResult);

    const f = (x: number | null | undefined, d = 2) => (x === null || x === undefined || !Number.isFinite(x) ? 'n/a' : x.toFixed(d));
    const memoryRows = memoryReport(memory);
    const rows: [string, string, string][] = [
      ['delivered/generated', `${f(fullPath.deliveredRatio, 5)} (${fullPath.delivered}/${fullPath.generated})`, '1.000'],
      ['lost events', String(fullPath.totals?.lost ?? 'n/a'), '0'],
      ['storm traced/untraced', f(bestTraced / bestUntraced), ''],
      ['storm traced / minimal program (1 printf)', f(bestTraced / minimal.ms), '≤ 1.10 (1.03)'],
      ['client CPU per event (µs)', f(fullPath.cliCpuUsPerEvent, 1), '≤ 8'],
      [
        'exec → stdout on a quiet node p50/max (ms)',
        fullPath.latency ? `${f(fullPath.latency.p50Ms, 0)} / ${f(fullPath.latency.maxMs, 0)}` : 'n/a',
        '≤ 300',
      ],
      ['client peak RSS (MB)', f(fullPath.cliPeakRssMB, 1), ''],
      ['client ceiling, recorded stream (ev/s)', f(printer.eventsPerSec, 0), '≥ 250000'],
      ...memoryRows.rows,
      ['pod Running → bpftrace attached (s)', f(fullPath.startup.probingToTracingS), ''],
      ...faninRows.rows,
      ...summaryRows.rows,
    ];
    const details: [string, string][] = [
      [
        'storm execs out with another filename',
        `${fullPath.stormExecsOtherFilename.length} (${[...new Set(fullPath.stormExecsOtherFilename.map((e) => JSON.stringify(e.filename)))].join(', ') || '-'})`,
      ],
      ['other execs on the machine meanwhile', `${fullPath.foreignExecs ?? 'n/a'} (decoded ${fullPath.totals?.events ?? 'n/a'})`],
      ['client CPU per decoded exec (µs)', `${f(fullPath.cliCpuUsPerDecodedEvent, 1)}  (--local: ${f(local.cliCpuUsPerDecodedEvent, 1)})`],
      [
        'bpftrace CPU per exec (µs)',
        `${f(fullPath.bpftraceCpuUsPerDecodedEvent, 1)}  (--local: ${f(local.bpftraceCpuUsPerDecodedEvent, 1)}, alone: ${f(bpftraceAlone.cpuUsPerExec, 1)})`,
      ],
      ['API stand-in relay CPU per exec (µs)', f(fullPath.benchProcessCpuUsPerDecodedEvent, 1)],
      [
        'node batcher (perl) CPU per exec (µs)',
        `${f(fullPath.batcherCpuUsPerDecodedEvent, 2)}  (--local: ${f(local.batcherCpuUsPerDecodedEvent, 2)})`,
      ],
      ['exec → stdout latency, each (ms)', fullPath.latency ? fullPath.latency.ms.map((x) => f(x, 0)).join(' ') : 'n/a'],
      ['client RSS at start / end (MB)', `${f(fullPath.cliRssAtStartMB, 1)} / ${f(fullPath.cliRssAtEndMB, 1)}`],
      ['untraced storm per exec (µs)', f((bestUntraced * 1000) / N, 1)],
      [
        'storm CPU per exec, own+children (µs)',
        `untraced ${untraced.map((s) => f(s.cpuPerExecUs, 0)).join(', ')}; node/NAME ${fullPath.storms.map((s) => f(s.cpuPerExecUs, 0)).join(', ')}; --local ${local.storms.map((s) => f(s.cpuPerExecUs, 0)).join(', ')}; alone ${f(alone.cpuPerExecUs, 0)}`,
      ],
      [
        'busy CPUs during storms (machine-wide)',
        `untraced ${untraced.map((s) => f(s.busyCpus)).join(', ')}; node/NAME ${fullPath.storms.map((s) => f(s.busyCpus)).join(', ')}; --local ${local.storms.map((s) => f(s.busyCpus)).join(', ')}; alone ${f(alone.busyCpus)}`,
      ],
      ['bpftrace program', `${bpftraceAlone.probes} probes, ${bpftraceAlone.programs} BPF programs, sha256 ${program.sha256.slice(0, 12)}`],
      [
        'storm --local/untraced',
        `${f(bestLocal / bestUntraced)}  (lost ${local.totals?.lost ?? 'n/a'}, delivered ${local.delivered}/${local.generated})`,
      ],
      ['storm bpftrace alone/untraced', `${f(alone.ms / bestUntraced)}  (lost ${bpftraceAlone.lost})`],
      ['storm minimal program/untraced', `${f(minimal.ms / bestUntraced)}  (lost ${minimalRun.lost}, ${minimalRun.execsSeen} records)`],
      ['bpftrace CPU per exec: ours / minimal (µs)', `${f(bpftraceAlone.cpuUsPerExec, 1)} / ${f(minimalRun.cpuUsPerExec, 1)}`],
      ['BPF programs run per exec, µs per exec', `${f(bpftraceAlone.bpfRunsPerExec, 1)}, ${f(bpftraceAlone.bpfRunTimeUsPerExec, 1)}`],
      ['bpftrace stdout: reads per exec, B/read', `${f(bpftraceAlone.pipeReadsPerExec, 2)}, ${f(bpftraceAlone.bytesPerPipeRead, 0)}`],
      ['drain lag after each storm (s)', fullPath.drainLagMs.map((x) => f(x / 1000)).join(' / ')],
      ['ceiling CPU per event (µs)', f(printer.cpuUsPerEvent)],
      ['ceiling, writeSync per line (ev/s)', f(perLine?.eventsPerSec, 0)],
      ['ceiling, one line per chunk (ev/s)', f(smallChunks?.eventsPerSec, 0)],
      [
        'startup: spawn→probing / →tracing (s)',
        `${f(fullPath.startup.probingNodeS)} / ${f(fullPath.startup.tracingS)}  (--local ${f(local.startup.probingToTracingS)}, bpftrace alone ${f(bpftraceAlone.startupS)})`,
      ],
      ...memoryRows.details,
      ...faninRows.details,
      ...summaryRows.details,
    ];
    const table = formatTable(rows, details, [
      `client stages, recorded stream replayed in-process (${ceilingEvents} execs, cumulative, best of 3 by CPU):`,
      ...stageLines(ceiling.stages),
      '',
      `storm: ${storm.kind === 'cc' ? 'C vfork+execve' : 'Node spawnSync FALLBACK (no cc: much slower per exec)'}, N=${N}; untraced ${untraced.map((s) => f(s.ms / 1000)).join(' s, ')} s; ` +
        `node/NAME ${fullPath.storms.map((s) => f(s.ms / 1000)).join(' s, ')} s; --local ${local.storms.map((s) => f(s.ms / 1000)).join(' s, ')} s; bpftrace alone ${f(alone.ms / 1000)} s`,
      `pod Running → attached = CLI stderr "probing node" → "tracing execs on" (probe exec, program staged, bpftrace compiled and attached, BEGIN seen)`,
      '',
      ...faninRows.lines,
      `results: ${resultFile}`,
    ]);
    console.log(`\n${table}\n`);

    // ---- the run completed (no timing is asserted) -----------------------------------------------
    for (const r of [fullPath, local]) {
      expect(r.exit.code, r.stderr.join('\n')).toBe(0);
      expect(r.totals, r.stderr.join('\n')).not.toBeNull();
      expect(r.delivered).toBeGreaterThan(0);
    }
    expect(printer.storm).toBe(ceilingEvents);
    for (const m of [...memory.runs, memory.v8Defaults]) {
      expect(m.storm).toBe(m.events);
      expect(m.incomplete, 'execs held for a record the replay lacks').toBe(0);
    }
    for (const st of faninResult.steps) {
      expect(st.exit.code, st.stderr.join('\n')).toBe(0);
      expect(st.totals, st.stderr.join('\n')).not.toBeNull();
    }
  }, 1_800_000);
});

describe.skipIf(ONLY !== '' && ONLY !== 'fleet')('fleet: many nodes started and removed under the API request budget', () => {
  it('starts BENCH_FLEET_NODES simulated nodes, Ctrl-C, nothing left; with and without a server-side limit', async () => {
    const [nodes] = positiveInts('BENCH_FLEET_NODES', '500');
    const [podStartMs] = positiveInts('BENCH_FLEET_POD_START_MS', '1000');
    const [serverLimit] = positiveInts('BENCH_FLEET_SERVER_LIMIT', '40');
    const args = (process.env.BENCH_FLEET_ARGS ?? '').split(' ').filter((a) => a !== '');
    const [traceS] = positiveInts('BENCH_FLEET_TRACE_S', '5');
    const [startupLimitS] = positiveInts('BENCH_FLEET_STARTUP_LIMIT_S', '240');
    const runs = (process.env.BENCH_FLEET_RUNS ?? 'default,limit').split(',');
    const common = { cli: CLI, nodes: nodes!, args, podStartMs: podStartMs!, traceS: traceS!, startupLimitS: startupLimitS! };
    const results: FleetResult[] = [];
    if (runs.includes('default')) results.push(await runFleet({ ...common, serverLimitPerS: null, label: 'default budget' }));
    if (runs.includes('limit'))
      results.push(await runFleet({ ...common, serverLimitPerS: serverLimit!, label: `server limit ${serverLimit}/s` }));
    const when = new Date().toISOString();
    const resultFile = writeResults({
      when,
      only: 'fleet',
      machine: { nproc: availableParallelism(), kernel: release(), node: process.version, loadavgAtEnd: loadavg() },
      fleet: results,
    } as { when: string });
    const report = fleetReport(results);
    console.log(`\n${formatTable(report.rows, [], [...report.lines, `results: ${resultFile}`])}\n`);
    for (const r of results) {
      expect(r.exit.code, r.stderrTail.join('\n')).toBe(0);
      expect(r.nodesTracing, r.stderrTail.join('\n')).toBe(r.nodes);
      expect(r.podsLeft, r.stderrTail.join('\n')).toBe(0);
    }
  }, 1_200_000);
});

describe.skipIf(!process.env.BENCH_SOAK_MIN)('soak: one long trace with stream drops', () => {
  const cleanups = cleanupsAfterAll('soak');

  it(
    'soak: a steady exec rate for BENCH_SOAK_MIN minutes, the stream dropped every BENCH_SOAK_DROP_S s (60)',
    async () => {
      const unavailable = traceUnavailable();
      if (unavailable) throw new Error(`the soak traces for real and needs root, bpftrace and tracefs: ${unavailable}`);
      const minutes = Number(process.env.BENCH_SOAK_MIN);
      const dropEveryS = Number(process.env.BENCH_SOAK_DROP_S ?? 60);
      if (!(minutes > 0) || !(dropEveryS > 0))
        throw new Error(
          `BENCH_SOAK_MIN and BENCH_SOAK_DROP_S must be positive numbers (got ${process.env.BENCH_SOAK_MIN}, ${process.env.BENCH_SOAK_DROP_S})`,
        );
      const tmp = mkdtempSync(join(tmpdir(), 'trace-exec-soak-'));
      if (process.env.BENCH_KEEP === '1') console.log(`soak: keeping ${tmp}`);
      else cleanups.push({ what: 'temp dir', fn: () => rmSync(tmp, { recursive: true, force: true }) });
      console.log(
        `soak: ${minutes} min, a drop every ${dropEveryS} s, load ${loadavg()
          .map((x) => x.toFixed(2))
          .join(' ')}`,
      );
      const r = await soak(tmp, minutes, dropEveryS, cleanups);
      const when = new Date().toISOString();
      mkdirSync(join(ROOT, 'bench-results'), { recursive: true });
      const file = join(ROOT, 'bench-results', `soak-${when.replace(/[:.]/g, '-')}.json`);
      writeFileSync(
        file,
        JSON.stringify(
          { when, machine: { nproc: availableParallelism(), kernel: release(), node: process.version, loadavgAtEnd: loadavg() }, ...r },
          null,
          2,
        ) + '\n',
      );
      const f = (x: number, d = 1) => x.toFixed(d);
      console.log(
        [
          '',
          `soak: ${f(r.minutes, 2)} min at ${f(r.execRatePerS)} numbered execs/s, ${r.drops} drops → ${r.gaps.length} gaps (${r.gaps.filter((g) => g.to === null).length} not closed), ${f(r.gapSeconds)} s in gaps, exit ${r.exit}`,
          `  numbered execs: ${r.generated} generated, ${r.delivered} delivered, ${r.duplicates} twice, ${r.missingOutsideGaps.length} missing outside the gaps, ${r.unknownInGaps} unknown in the gaps`,
          `  client RSS (MB): start ${f(r.rssMB.start)}, end ${f(r.rssMB.end)}, peak ${f(r.rssMB.peak)}; per minute ${r.rssMB.perMinute.map((x) => f(x)).join(' ')}`,
          `  totals: ${JSON.stringify({ ...r.totals, gaps: undefined })}`,
          `  results: ${file}`,
          '',
        ].join('\n'),
      );
      expect(r.exit, r.stderrTail).toBe(0);
      expect(r.gaps.length, r.stderrTail).toBe(r.drops);
      expect(r.gaps.every((g) => g.to !== null)).toBe(true);
      expect(r.duplicates).toBe(0);
      expect(r.missingOutsideGaps).toEqual([]);
    },
    4 * 3_600_000,
  );
});
