/**
 * The soak (BENCH_SOAK_MIN=10 npm run bench -- -t soak): one trace of BENCH_SOAK_MIN minutes through
 * the built CLI and the API stand-in, a steady stream of numbered execs in a pod's kubelet-shaped
 * cgroup, and the exec stream dropped every BENCH_SOAK_DROP_S seconds (default 60) as a proxy or an
 * API server restart would. Reports the client's RSS at the start, every minute and at the end,
 * the execs delivered outside the gaps (every one, exactly once, is the claim), those unknown in
 * the gaps, and the gaps reported.
 *
 * A missing number's time is not known (it never arrived): it is taken to lie between the times
 * of its nearest delivered neighbours, and counts as "in a gap" when that stretch meets a gap
 * (1 s either side: bpftrace and the batcher hold records ~100 ms, a gap starts at the last data).
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startApiServer } from '../apiserver/index.js';
import { CLI } from '../support/cli.js';
import { addToApi, makeWorkload, removeCgroups } from '../support/workloads.js';
import { statusKb } from './procstat.js';
import { startIn } from './storm.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface SoakResult {
  minutes: number;
  dropEveryS: number;
  execRatePerS: number;
  exit: number | null;
  drops: number;
  gaps: { node: string; from: string; to: string | null }[];
  gapSeconds: number;
  generated: number;
  delivered: number;
  duplicates: number;
  missingOutsideGaps: number[];
  unknownInGaps: number;
  rssMB: { start: number; end: number; peak: number; perMinute: number[] };
  totals: Record<string, unknown> | null;
  stderrTail: string;
}

export async function soak(
  tmp: string,
  minutes: number,
  dropEveryS: number,
  cleanups: { what: string; fn: () => unknown }[],
): Promise<SoakResult> {
  const api = await startApiServer({ podStartDelayMs: 100 });
  cleanups.push({ what: 'soak API stand-in', fn: () => api.close() });
  api.addNode('worker-1');
  const w = makeWorkload('systemd-crio-hybrid', 'soak', 'steady-0', [{ name: 'app' }]);
  cleanups.push({ what: 'soak cgroups', fn: () => removeCgroups([w]) });
  addToApi(api, w);

  const outFile = join(tmp, 'soak-stdout.jsonl');
  const outFd = openSync(outFile, 'w');
  const cli = spawn(process.execPath, [CLI, 'node/worker-1', '--kubeconfig', api.kubeconfigPath, '-o', 'json', '-n', 'soak'], {
    stdio: ['ignore', outFd, 'pipe'],
    env: { ...process.env, FORCE_COLOR: '0' },
  });
  closeSync(outFd);
  cleanups.push({ what: 'soak CLI', fn: () => cli.exitCode === null && cli.signalCode === null && cli.kill('SIGKILL') });
  let stderr = '';
  cli.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const reattached = () => (stderr.match(/re-attached;/g) ?? []).length;
  for (let i = 0; !/tracing execs on/.test(stderr); i++) {
    if (cli.exitCode !== null || i > 1200) throw new Error(`soak: the CLI did not start tracing:\n${stderr}`);
    await sleep(100);
  }

  // ~40 numbered execs a second (and as many `sleep`s), one shell in the pod's container.
  const gen = await startIn(w.containers[0]!.cgroup, ['sh', '-c', 'i=0; while :; do /bin/true "soak-$i"; i=$((i + 1)); sleep 0.02; done']);
  cleanups.push({ what: 'soak generator', fn: () => gen.kill() });
  const rss = () => (statusKb(cli.pid!, 'VmRSS') ?? 0) / 1024;
  const rssStart = rss();
  const perMinute: number[] = [];
  const t0 = Date.now();
  const end = t0 + minutes * 60_000;
  let nextDrop = t0 + dropEveryS * 1000;
  let nextMinute = t0 + 60_000;
  let drops = 0;
  while (Date.now() < end) {
    await sleep(250);
    if (cli.exitCode !== null) throw new Error(`soak: the CLI ended (${cli.exitCode}) during the trace:\n${stderr}`);
    if (Date.now() >= nextMinute) {
      perMinute.push(rss());
      nextMinute += 60_000;
    }
    // A drop while the previous loss is still being re-attached would be the same gap: wait for it.
    if (Date.now() >= nextDrop && reattached() === drops) {
      if (api.dropExecStreams() > 0) drops++;
      nextDrop = Date.now() + dropEveryS * 1000;
    }
  }
  await sleep(2000); // the last drop's re-attachment
  gen.kill();
  await gen.done;
  await sleep(1000);
  const rssEnd = rss();
  const peak = (statusKb(cli.pid!, 'VmHWM') ?? 0) / 1024;
  cli.kill('SIGINT');
  const exit = await new Promise<number | null>((r) => cli.once('exit', (c) => r(c)));
  await sleep(50);

  const totalsLine = stderr.split('\n').find((l) => l.startsWith('{"kind":"trace-exec.totals"'));
  const totals = totalsLine ? (JSON.parse(totalsLine) as Record<string, unknown>) : null;
  const gaps = (totals?.gaps as SoakResult['gaps'] | undefined) ?? [];
  const seen = new Map<number, { count: number; ms: number }>();
  for (const line of readFileSync(outFile, 'utf8').split('\n')) {
    const m = /"args":\["\/bin\/true","soak-(\d+)"\]/.exec(line);
    if (!m) continue;
    const n = Number(m[1]);
    const ms = Date.parse((JSON.parse(line) as { time: string }).time);
    const s = seen.get(n);
    seen.set(n, { count: (s?.count ?? 0) + 1, ms });
  }
  const numbers = [...seen.keys()].sort((a, b) => a - b);
  const generated = numbers.length ? numbers.at(-1)! + 1 : 0;
  const windows = gaps.map((g) => [Date.parse(g.from) - 1000, g.to === null ? Infinity : Date.parse(g.to) + 1000] as const);
  const missingOutside: number[] = [];
  let unknownInGaps = 0;
  let before = -Infinity;
  for (let n = 0; n < generated; n++) {
    const s = seen.get(n);
    if (s) {
      before = s.ms;
      continue;
    }
    let after = Infinity;
    for (let k = n + 1; k < generated; k++) {
      const x = seen.get(k);
      if (x) {
        after = x.ms;
        break;
      }
    }
    if (windows.some(([a, b]) => after >= a && before <= b)) unknownInGaps++;
    else missingOutside.push(n);
  }
  const gapSeconds = gaps.reduce((t, g) => t + (g.to ? (Date.parse(g.to) - Date.parse(g.from)) / 1000 : 0), 0);
  return {
    minutes,
    dropEveryS,
    execRatePerS: generated / (minutes * 60),
    exit,
    drops,
    gaps,
    gapSeconds,
    generated,
    delivered: seen.size,
    duplicates: [...seen.values()].filter((s) => s.count > 1).length,
    missingOutsideGaps: missingOutside,
    unknownInGaps,
    rssMB: { start: rssStart, end: rssEnd, peak, perMinute },
    totals,
    stderrTail: stderr.split('\n').slice(-12).join('\n'),
  };
}
