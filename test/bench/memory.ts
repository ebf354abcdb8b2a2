/**
 * The client without the kernel, in fresh processes (test/bench/client-path.mjs): the ceiling's and
 * the memory phase's runs. Every process starts with the V8 flags the CLI runs with (bin/trace-exec
 * NODE_FLAGS, the standalone executables' execArgv), so that what is measured is what a user runs;
 * the memory phase also runs its largest size once with V8's defaults, to show what the flags change
 * (RSS) and what they cost (CPU per event: more scavenges of a smaller young generation).
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launcherNodeFlags } from '../../.ci/release/node-flags.ts';

const CHILD = fileURLToPath(new URL('./client-path.mjs', import.meta.url));
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** What client-path.mjs needs besides the mode and the size (see its CONFIG). */
export interface ClientPathConfig {
  recording: string;
  dist: string;
  tmpDir: string;
  strlen: number;
  levels: number;
  argsMax: number;
  node: string;
  namespaces: string[];
  filename: string;
  pod: { uid: string; namespace: string; name: string; containerId: string; containerName: string };
}

export type ClientMode = 'template' | 'ceiling' | 'paced' | 'memory';

/** The V8 flags the CLI runs with; BENCH_NODE_FLAGS (space-separated, may be empty) tries others. */
export const CLI_NODE_FLAGS: readonly string[] =
  process.env.BENCH_NODE_FLAGS !== undefined ? process.env.BENCH_NODE_FLAGS.split(' ').filter((f) => f !== '') : launcherNodeFlags(ROOT);

/** Runs client-path.mjs once in a fresh process (with `flags`, default the CLI's); its result line. */
export function clientProcess(
  cfg: ClientPathConfig,
  mode: ClientMode,
  events: number,
  flags: readonly string[] = CLI_NODE_FLAGS,
): Record<string, unknown> {
  const tag = flags === CLI_NODE_FLAGS ? '' : '-v8-defaults';
  const cfgFile = join(cfg.tmpDir, `client-${mode}-${events}${tag}.json`);
  writeFileSync(cfgFile, JSON.stringify({ ...cfg, mode, events, template: join(cfg.tmpDir, 'template.json') }));
  const stdout = execFileSync(process.execPath, [...flags, '--expose-gc', CHILD, cfgFile], {
    encoding: 'utf8',
    timeout: 300_000,
    maxBuffer: 16 << 20,
  });
  return JSON.parse(stdout.trim().split('\n').pop()!) as Record<string, unknown>;
}

export interface MemoryRun {
  events: number;
  storm: number;
  /** Execs that waited holdMs for a record the replay lacks: must be 0, else the phase measures holding. */
  incomplete: number;
  rssBeforeFeedMB: number;
  rssMB: number;
  heapUsedMB: number;
  heapUsedAfterGcMB: number;
  heapTotalMB: number;
  vmHwmMB: number;
  cpuUsPerEvent: number;
}

export interface MemoryResult {
  flags: readonly string[];
  runs: MemoryRun[];
  /** The largest size again, without the flags (V8's default young generation). */
  v8Defaults: MemoryRun;
}

/** Each size in a fresh process with the CLI's flags, then the largest with V8's defaults. */
export function runMemory(cfg: ClientPathConfig, sizes: number[]): MemoryResult {
  const runs = sizes.map((n) => clientProcess(cfg, 'memory', n) as unknown as MemoryRun);
  const v8Defaults = clientProcess(cfg, 'memory', Math.max(...sizes), []) as unknown as MemoryRun;
  return { flags: CLI_NODE_FLAGS, runs, v8Defaults };
}

/** The memory phase's rows for the bench's table, and its details. */
export function memoryReport(m: MemoryResult): { rows: [string, string, string][]; details: [string, string][] } {
  const f = (x: number | null | undefined, d = 1) => (x === null || x === undefined || !Number.isFinite(x) ? 'n/a' : x.toFixed(d));
  const sizes = m.runs
    .map((r) => (r.events >= 1e6 ? `${r.events / 1e6}M` : r.events >= 1e3 ? `${r.events / 1e3}k` : String(r.events)))
    .join(' / ');
  const largest = m.runs[m.runs.length - 1]!;
  return {
    rows: [
      [`RSS at ${sizes} events (MB)`, m.runs.map((r) => f(r.rssMB)).join(' / '), 'flat, ≤ 150'],
      [
        `RSS, CPU at ${sizes.split(' / ').pop()} with V8 defaults`,
        `${f(m.v8Defaults.rssMB, 0)} MB, ${f(m.v8Defaults.cpuUsPerEvent, 2)} µs/ev`,
        `flags: ${f(largest.cpuUsPerEvent, 2)} µs/ev`,
      ],
    ],
    details: [
      [
        'memory: V8 flags (bin/trace-exec)',
        `${m.flags.join(' ') || '(none)'}${process.env.BENCH_NODE_FLAGS !== undefined ? ' (BENCH_NODE_FLAGS)' : ''}`,
      ],
      [`RSS before feed, ${sizes} (MB)`, m.runs.map((r) => f(r.rssBeforeFeedMB)).join(' / ')],
      [`peak RSS (VmHWM), ${sizes} (MB)`, m.runs.map((r) => f(r.vmHwmMB)).join(' / ')],
      [`V8 heap total after, ${sizes}`, m.runs.map((r) => f(r.heapTotalMB)).join(' / ')],
      [`heap live after GC, ${sizes}`, m.runs.map((r) => f(r.heapUsedAfterGcMB)).join(' / ')],
      [`CPU per event incl. making the stream, ${sizes} (µs)`, m.runs.map((r) => f(r.cpuUsPerEvent, 2)).join(' / ')],
      ['memory: incomplete execs (must be 0)', `${m.runs.map((r) => r.incomplete).join(' / ')}; V8 defaults ${m.v8Defaults.incomplete}`],
    ],
  };
}
