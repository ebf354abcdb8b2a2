/**
 * Phase 4 of `npm run bench`, on its own so that the fan-in phase can run without the others: bpftrace
 * alone (no client) recording an exec storm, its stdout read through a pipe as the kubelet reads it.
 * It gives the kernel/bpftrace share of the storm's slowdown, BPF program run time per exec
 * (kernel.bpf_stats_enabled, restored afterwards), how bpftrace writes (reads per exec on its pipe),
 * and the recording that the client ceiling, memory and fan-in phases replay.
 */
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { interrupt, waitExit, waitFor } from './children.js';
import { bpfProgStats, cpuMicros } from './procstat.js';
import type { StormRun } from './storm.js';

const BPF_STATS = '/proc/sys/kernel/bpf_stats_enabled';

export interface RecordStormOptions {
  /** The built client (dist/): the probe and the program renderer come from it. */
  dist: string;
  tmp: string;
  /** kernel.bpf_stats_enabled as found, to put back. */
  bpfStatsBefore: string;
  /** Runs the storm once, in the pod's cgroup, while bpftrace records. */
  runStorm: () => Promise<StormRun>;
  onCleanup: (what: string, fn: () => unknown) => void;
  /** Another bpf/trace-exec.bt.tmpl to render (BENCH_BASE_TEMPLATE: a program before a change). */
  template?: string;
}

export async function recordStorm(opts: RecordStormOptions) {
  const probe = (await import(pathToFileURL(join(opts.dist, 'node/probe.js')).href)) as typeof import('../../src/node/probe.js');
  const render = (await import(pathToFileURL(join(opts.dist, 'node/render.js')).href)) as typeof import('../../src/node/render.js');
  const probeOutput = execFileSync(probe.PROBE_COMMAND[0]!, probe.PROBE_COMMAND.slice(1), { encoding: 'utf8' });
  const facts = probe.parseProbe(probeOutput);
  const rendered = opts.template === undefined ? render.renderProgram(facts) : render.renderProgram(facts, {}, opts.template);
  const programFile = join(opts.tmp, 'trace-exec.bt');
  writeFileSync(programFile, rendered.program);
  const recording = join(opts.tmp, 'recording.jsonl');
  let statsOn = false;
  try {
    writeFileSync(BPF_STATS, '1');
    statsOn = true;
    opts.onCleanup('kernel.bpf_stats_enabled', () => writeFileSync(BPF_STATS, opts.bpfStatsBefore));
  } catch {
    /* BPF run times are then not reported */
  }
  const program = {
    sha256: createHash('sha256').update(rendered.program).digest('hex'),
    lines: rendered.program.split('\n').length,
    strlen: rendered.strlen,
    v1Controller: rendered.v1Controller,
    v2: rendered.v2,
  };
  const cmd = render.bpftraceCommand(rendered, programFile);
  const recFd = openSync(recording, 'w');
  opts.onCleanup('recording fd', () => closeSync(recFd));
  const tBt = performance.now();
  const bt = spawn(cmd[0]!, cmd.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
  opts.onCleanup('recording bpftrace', () => interrupt(bt, 10_000));
  let btStderr = '';
  bt.stderr!.on('data', (c: Buffer) => (btStderr += c.toString()));
  const pipe = { reads: 0, bytes: 0, lastGrowth: performance.now(), started: NaN, text: '' };
  bt.stdout!.on('data', (c: Buffer) => {
    pipe.reads++;
    pipe.bytes += c.length;
    pipe.lastGrowth = performance.now();
    writeSync(recFd, c);
    if (Number.isNaN(pipe.started)) {
      pipe.text += c.toString();
      // Both S records: every probe is attached (bpf/trace-exec.bt.tmpl).
      if (pipe.text.includes('"S 1 ') && pipe.text.includes('"S 2 ')) pipe.started = performance.now() - tBt;
    }
  });
  await waitFor(
    () => !Number.isNaN(pipe.started) || bt.exitCode !== null,
    120_000,
    () => `bpftrace did not start within 120 s: ${btStderr}`,
    20,
  );
  if (bt.exitCode !== null) throw new Error(`bpftrace exited (${bt.exitCode}): ${btStderr}`);
  const rec0 = { cpu: cpuMicros(bt.pid!)!, bpf: bpfProgStats(bt.pid!), reads: pipe.reads, bytes: pipe.bytes };
  const alone = await opts.runStorm();
  // The program records every exec on the machine: on a shared machine it may never fall quiet for
  // 1.5 s, so give it 20 s and go on (costs are per exec recorded, the storm's and the others').
  await waitFor(
    () => performance.now() - pipe.lastGrowth > 1500,
    20_000,
    () => 'quiet',
    100,
  ).catch(() => undefined);
  const rec1 = { cpu: cpuMicros(bt.pid!)!, bpf: bpfProgStats(bt.pid!), reads: pipe.reads, bytes: pipe.bytes };
  bt.kill('SIGINT');
  const btExit = await waitExit(bt, 15_000);
  if (statsOn) writeFileSync(BPF_STATS, opts.bpfStatsBefore);
  const recText = readFileSync(recording, 'utf8');
  const recLost = [...recText.matchAll(/"type": "lost_events", "data": \{"events": (\d+)\}/g)].reduce((s, m) => s + Number(m[1]), 0);
  const recExecs = (recText.match(/"data": "E /g) ?? []).length; // every exec the program saw, the storm's and others'
  const bpfRunNs = rec1.bpf.runTimeNs - rec0.bpf.runTimeNs;
  const bpfRuns = rec1.bpf.runCnt - rec0.bpf.runCnt;
  // Per program: how often it ran and its mean cost, busiest first (names are not in fdinfo).
  const perProg = rec1.bpf.byProg
    .map((p, i) => ({ runs: p.runCnt - (rec0.bpf.byProg[i]?.runCnt ?? 0), ns: p.runTimeNs - (rec0.bpf.byProg[i]?.runTimeNs ?? 0) }))
    .filter((p) => p.runs > 0)
    .map((p) => ({ runs: p.runs, meanNs: Math.round(p.ns / p.runs), totalMs: p.ns / 1e6 }))
    .sort((a, b) => b.totalMs - a.totalMs);
  const bpftraceAlone = {
    startupS: pipe.started / 1000,
    probes: Number(/"probes": (\d+)/.exec(recText)?.[1] ?? NaN),
    programs: rec1.bpf.progs,
    stormMs: alone.ms,
    execsSeen: recExecs,
    lost: recLost,
    bytes: recText.length,
    bytesPerExec: recText.length / recExecs,
    pipeReadsPerExec: (rec1.reads - rec0.reads) / recExecs,
    bytesPerPipeRead: (rec1.bytes - rec0.bytes) / Math.max(1, rec1.reads - rec0.reads),
    cpuUsPerExec: (rec1.cpu - rec0.cpu) / recExecs,
    bpfStats: statsOn,
    bpfRunTimeUsPerExec: statsOn ? bpfRunNs / 1000 / recExecs : null,
    bpfRunsPerExec: statsOn ? bpfRuns / recExecs : null,
    bpfNsPerRun: statsOn && bpfRuns ? bpfRunNs / bpfRuns : null,
    bpfPrograms: statsOn ? perProg : null,
    exit: btExit,
  };
  return { recording, probeOutput, rendered, program, alone, bpftraceAlone };
}
