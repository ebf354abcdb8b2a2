/**
 * The summary-mode phase of `npm run bench` (BENCH_ONLY=summary runs it alone): what crosses the exec
 * stream per exec when the node counts (-o summary, issue 25) against per-exec mode. The node-side
 * command runs for real — tracer.sh, bpftrace, the batcher, as the debug pod runs it (the client's
 * tracerArgv from dist/) — while the storm runs, once per mode; its stdout is what the exec stream
 * carries. Bytes per exec = stdout bytes / execs the stream stood for (whole or counted), and the
 * storm's own execs are looked for in both (by its cgroup id): delivered = found / generated.
 */
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { interrupt, waitExit, waitFor } from './children.js';
import { cpuMicros } from './procstat.js';
import type { StormRun } from './storm.js';

export interface SummaryModeOptions {
  dist: string;
  tmp: string;
  /** The storm's cgroup v2 directory (its inode is the cgroup id the records carry). */
  stormCgroupV2: string;
  /** Execs per storm run. */
  n: number;
  runStorm: (label: string) => Promise<StormRun>;
  onCleanup: (what: string, fn: () => unknown) => void;
}

export interface ModeResult {
  mode: 'per-exec' | 'counts';
  bytes: number;
  /** Execs the stream stood for: E records, plus the execs and folded attempts of count records. */
  execs: number;
  bytesPerExec: number;
  /** The storm's execs found in the stream, of n. */
  stormExecs: number;
  delivered: number;
  lost: number;
  stormMs: number;
  /** CPU of the node-side command (sh, bpftrace, perl) per exec, µs. */
  nodeCpuUsPerExec: number;
  writes: number;
}

export interface SummaryModeResult {
  n: number;
  modes: ModeResult[];
  /** per-exec bytes per exec / counting bytes per exec. */
  ratio: number;
}

export async function runSummaryMode(opts: SummaryModeOptions): Promise<SummaryModeResult> {
  const imp = async <T>(f: string) => (await import(pathToFileURL(join(opts.dist, f)).href)) as T;
  const probe = await imp<typeof import('../../src/node/probe.js')>('node/probe.js');
  const render = await imp<typeof import('../../src/node/render.js')>('node/render.js');
  const tracer = await imp<typeof import('../../src/node/tracer-command.js')>('node/tracer-command.js');
  const counts = await imp<typeof import('../../src/events/counts.js')>('events/counts.js');
  const facts = probe.parseProbe(execFileSync(probe.PROBE_COMMAND[0]!, probe.PROBE_COMMAND.slice(1), { encoding: 'utf8' }));
  const rendered = render.renderProgram(facts);
  const programFile = join(opts.tmp, 'summary-mode.bt');
  writeFileSync(programFile, rendered.program);
  const stormId = String(statSync(opts.stormCgroupV2).ino);
  const modes: ModeResult[] = [];
  for (const mode of ['per-exec', 'counts'] as const) {
    const pidFile = join(opts.tmp, `summary-mode-${mode}.pid.1`);
    const cmd = {
      bpftrace: render.bpftraceCommand(rendered, programFile),
      batch: true,
      counts: mode === 'counts' ? { argsMax: rendered.argsMax, selfPid: 0 } : null,
    };
    const argv = tracer.tracerArgv(cmd, { pid: pidFile, lease: null }, 0);
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
    // As the runners do: the counter first (counting mode), then stdin stays open (no heartbeat limit).
    child.stdin.write(tracer.tracerStdin(cmd));
    opts.onCleanup(`summary-mode tracer (${mode})`, () => interrupt(child, 10_000));
    let out = '';
    let err = '';
    let writes = 0;
    let lastGrowth = performance.now();
    child.stdout.on('data', (c: Buffer) => {
      writes++;
      out += c.toString('latin1');
      lastGrowth = performance.now();
    });
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    await waitFor(
      // Both S records: every probe is attached (bpf/trace-exec.bt.tmpl).
      () => (out.includes('"S 1 ') && out.includes('"S 2 ')) || child.exitCode !== null,
      120_000,
      () => `bpftrace did not start: ${err}`,
      20,
    );
    if (child.exitCode !== null) throw new Error(`the tracer exited (${child.exitCode}): ${err}`);
    const bt = Number(readFileSync(pidFile, 'utf8'));
    const cpu0 = nodeCpu(child.pid!, bt);
    const storm = await opts.runStorm(`tracer command (${mode})`);
    await waitFor(
      () => performance.now() - lastGrowth > 1500 + (mode === 'counts' ? tracer.COUNT_EVERY_S * 1000 : 0),
      20_000,
      () => 'quiet',
      100,
    ).catch(() => undefined);
    const cpu1 = nodeCpu(child.pid!, bt);
    process.kill(bt, 'SIGINT');
    await waitExit(child, 20_000);
    child.stdin.destroy();
    let execs = 0;
    let stormExecs = 0;
    let lost = 0;
    for (const line of Buffer.from(out, 'latin1').toString('utf8').split('\n')) {
      if (line.startsWith(counts.COUNT_HEAD)) {
        const c = counts.parseCount(line);
        if (typeof c === 'string') throw new Error(`${c}: ${line}`);
        execs += c.execs + c.searches;
        if (c.cg2 === stormId) stormExecs += c.execs;
      } else if (line.startsWith('{"type": "printf", "data": "E ')) {
        execs++;
        if (line.split(' ')[9] === stormId) stormExecs++;
      } else if (line.includes('"lost_events"')) lost += Number(/"events": (\d+)/.exec(line)?.[1] ?? 0);
    }
    modes.push({
      mode,
      bytes: out.length,
      execs,
      bytesPerExec: out.length / Math.max(1, execs),
      stormExecs,
      delivered: stormExecs / opts.n,
      lost,
      stormMs: storm.ms,
      nodeCpuUsPerExec: (cpu1 - cpu0) / Math.max(1, execs),
      writes,
    });
  }
  return { n: opts.n, modes, ratio: modes[0]!.bytesPerExec / modes[1]!.bytesPerExec };
}

/** CPU time (µs) of the node-side command: the shell, bpftrace and the batcher (the shell's other children). */
function nodeCpu(sh: number, bpftrace: number): number {
  const kids = (pid: number): number[] => {
    try {
      return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
    } catch {
      return [];
    }
  };
  const all = new Set<number>([sh, bpftrace]);
  for (const p of kids(sh)) {
    all.add(p);
    for (const q of kids(p)) all.add(q);
  }
  let us = 0;
  for (const p of all) us += cpuMicros(p) ?? 0;
  return us;
}

/** The phase's lines for the printed table. */
export function summaryModeReport(r: SummaryModeResult): { rows: [string, string, string][]; details: [string, string][] } {
  const [pe, co] = r.modes as [ModeResult, ModeResult];
  const f = (x: number, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');
  return {
    rows: [
      ['summary mode: exec-stream bytes per exec', `${f(pe.bytesPerExec)} → ${f(co.bytesPerExec, 2)}`, ''],
      ['summary mode: per-exec / counting', `${f(r.ratio)}×`, '≥ 20×'],
      ['summary mode: storm execs counted', `${f(co.delivered, 3)} (per exec ${f(pe.delivered, 3)})`, '1.000'],
    ],
    details: r.modes.map((m) => [
      `summary mode, ${m.mode}`,
      `${m.bytes} B, ${m.writes} writes, ${m.execs} execs, storm ${m.stormExecs}/${r.n} in ${f(m.stormMs / 1000, 2)} s, lost ${m.lost}, node CPU ${f(m.nodeCpuUsPerExec)} µs/exec`,
    ]),
  };
}
