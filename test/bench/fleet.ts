/**
 * The fleet phase of `npm run bench` (BENCH_ONLY=fleet runs it alone; no kernel, no bpftrace): how
 * one client starts and tears down BENCH_FLEET_NODES simulated nodes (default 500) behind one API
 * stand-in — `--all-nodes --yes -o json` until every node traces, then Ctrl-C. Measured: the time
 * from the start to the first event on stdout and to every node tracing, from Ctrl-C to nothing of
 * the run left on the stand-in (no debug pod, no namespace), and — independent of how busy this
 * shared 2-core machine is — the API requests the stand-in received, by verb and resource, the 429s
 * it answered, and the most requests it saw in any one second (a retry storm would show there).
 * A second run puts a server-side limit in front (the stand-in's API Priority and Fairness in small:
 * BENCH_FLEET_SERVER_LIMIT requests a second, 429 with Retry-After past it), to see the retries.
 */
import { spawn } from 'node:child_process';
import { startApiServer } from '../apiserver/index.js';
import { parseResourcePath, requestVerb } from '../apiserver/routes.js';
import type { RequestRecord } from '../apiserver/server.js';
import { addSimulatedNodes } from '../support/simulated-fleet.js';
import { interrupt, sleep, waitExit } from './children.js';

export interface FleetConfig {
  cli: string;
  nodes: number;
  /** Extra CLI flags (--kube-api-qps …). */
  args: string[];
  /** How long the stand-in's kubelet takes to start a debug pod. */
  podStartMs: number;
  /** Server-side limit (requests a second, 429 past it), or null. */
  serverLimitPerS: number | null;
  label: string;
  /** How long every node traces before the Ctrl-C: the budget refills meanwhile, as in a real trace. */
  traceS: number;
  /** Give up waiting for every node to trace after this long (the run is stopped anyway, and reported). */
  startupLimitS: number;
}

export interface FleetResult {
  label: string;
  nodes: number;
  args: string[];
  podStartMs: number;
  serverLimitPerS: number | null;
  traceS: number;
  exit: { code: number | null; signal: string | null; killed: boolean };
  firstEventS: number | null;
  firstTracingS: number | null;
  allTracingS: number | null;
  nodesTracing: number;
  /** Ctrl-C → no debug pod and no temporary namespace left on the stand-in; and → the CLI's exit. */
  cleanS: number | null;
  exitAfterSigintS: number | null;
  podsLeft: number;
  requests: {
    total: number;
    startup: number;
    teardown: number;
    byVerb: Record<string, number>;
    status429: number;
    status5xx: number;
    peakPerS: number;
    peakPerSAfter429: number;
  };
  stderrTail: string[];
}

const CLEANUP_LIMIT_S = 120;

/** "create pods", "create pods/exec", "watch pods", "list nodes"… as the API server's audit log names them. */
function verbOf(q: RequestRecord): string {
  const t = parseResourcePath(q.path);
  if (!t) return `${q.method} ${q.path.startsWith('/apis/authorization') ? 'selfsubjectaccessreviews' : q.path}`;
  const query = new URLSearchParams();
  for (const [k, v] of Object.entries(q.query)) for (const x of Array.isArray(v) ? v : [v]) query.append(k, x);
  return `${requestVerb(q.method, t, query)} ${t.def.resource}${t.subresource ? `/${t.subresource}` : ''}`;
}

/** The most arrivals in any window of windowMs. */
function peak(at: number[], windowMs: number): number {
  const s = [...at].sort((a, b) => a - b);
  let best = 0;
  for (let i = 0, j = 0; i < s.length; i++) {
    while (s[i]! - s[j]! >= windowMs) j++;
    best = Math.max(best, i - j + 1);
  }
  return best;
}

export async function runFleet(cfg: FleetConfig): Promise<FleetResult> {
  const api = await startApiServer({ podStartDelayMs: cfg.podStartMs });
  try {
    addSimulatedNodes(api, cfg.nodes, { prefix: 'fleet', eventsPerSec: 1 });
    if (cfg.serverLimitPerS !== null) api.limitRate(cfg.serverLimitPerS, 1);
    const before = api.requests.length;
    const t0 = performance.now();
    const child = spawn(
      process.execPath,
      [cfg.cli, '--all-nodes', '--yes', '--kubeconfig', api.kubeconfigPath, '-o', 'json', '-v', ...cfg.args],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, FORCE_COLOR: '0' },
      },
    );
    let firstEvent: number | null = null;
    child.stdout!.on('data', () => (firstEvent ??= performance.now()));
    const stderr: { t: number; line: string }[] = [];
    let partial = '';
    child.stderr!.on('data', (c: Buffer) => {
      const parts = (partial + c.toString()).split('\n');
      partial = parts.pop() ?? '';
      for (const line of parts) stderr.push({ t: performance.now(), line });
    });
    const tracing = () => stderr.filter((l) => /tracing execs on/.test(l.line));
    let exited = false;
    const exit = waitExit(child, 1e9).then((e) => {
      exited = true;
      return e;
    });
    while (!exited && tracing().length < cfg.nodes && performance.now() - t0 < cfg.startupLimitS * 1000) await sleep(50);
    const tAll = tracing().length >= cfg.nodes ? tracing()[cfg.nodes - 1]!.t : null;
    await sleep(cfg.traceS * 1000);
    const tInt = performance.now();
    child.kill('SIGINT');
    const left = () =>
      api.listPods().filter((p) => p.metadata?.labels?.['app.kubernetes.io/name'] === 'trace-exec').length +
      api.listNamespaces().filter((n) => n.metadata?.name?.startsWith('trace-exec-')).length;
    let tClean: number | null = null;
    while (performance.now() - tInt < CLEANUP_LIMIT_S * 1000) {
      if (left() === 0) {
        tClean = performance.now();
        break;
      }
      await sleep(50);
    }
    const ended = await Promise.race([exit, sleep(30_000).then(() => null)]);
    if (!ended) await interrupt(child, 5_000);
    const e = await exit;
    const tExit = performance.now();

    const reqs = api.requests.slice(before);
    const byVerb: Record<string, number> = {};
    for (const q of reqs) byVerb[verbOf(q)] = (byVerb[verbOf(q)] ?? 0) + 1;
    const first429 = reqs.find((q) => q.status === 429)?.at ?? null;
    return {
      label: cfg.label,
      nodes: cfg.nodes,
      args: cfg.args,
      podStartMs: cfg.podStartMs,
      serverLimitPerS: cfg.serverLimitPerS,
      traceS: cfg.traceS,
      exit: e,
      firstEventS: firstEvent === null ? null : (firstEvent - t0) / 1000,
      firstTracingS: tracing()[0] ? (tracing()[0]!.t - t0) / 1000 : null,
      allTracingS: tAll === null ? null : (tAll - t0) / 1000,
      nodesTracing: tracing().length,
      cleanS: tClean === null ? null : (tClean - tInt) / 1000,
      exitAfterSigintS: ended || e ? (tExit - tInt) / 1000 : null,
      podsLeft: left(),
      requests: {
        total: reqs.length,
        startup: reqs.filter((q) => q.at < tInt).length,
        teardown: reqs.filter((q) => q.at >= tInt).length,
        byVerb,
        status429: reqs.filter((q) => q.status === 429).length,
        status5xx: reqs.filter((q) => (q.status ?? 0) >= 500).length,
        peakPerS: peak(
          reqs.map((q) => q.at),
          1000,
        ),
        peakPerSAfter429:
          first429 === null
            ? 0
            : peak(
                reqs.filter((q) => q.at >= first429).map((q) => q.at),
                1000,
              ),
      },
      stderrTail: stderr.slice(-15).map((l) => l.line),
    };
  } finally {
    await api.close();
  }
}

export function fleetReport(results: FleetResult[]): { rows: [string, string, string][]; lines: string[] } {
  const f = (x: number | null | undefined, d = 1) => (x === null || x === undefined || !Number.isFinite(x) ? 'n/a' : x.toFixed(d));
  const rows: [string, string, string][] = [];
  const lines: string[] = [];
  for (const r of results) {
    const tag = `fleet ${r.label}`;
    rows.push(
      [
        `${tag}: start → first event / all ${r.nodes} tracing (s)`,
        `${f(r.firstEventS)} / ${f(r.allTracingS)} (${r.nodesTracing} tracing)`,
        '— / ≤ 60',
      ],
      [
        `${tag}: Ctrl-C → nothing left on the stand-in (s)`,
        `${f(r.cleanS)} (exit ${r.exit.code ?? r.exit.signal} after ${f(r.exitAfterSigintS)} s, ${r.podsLeft} left)`,
        '≤ 30',
      ],
      [
        `${tag}: API requests start / teardown, 429s, peak per s`,
        `${r.requests.startup} / ${r.requests.teardown}, ${r.requests.status429}, ${r.requests.peakPerS}`,
        '',
      ],
    );
    lines.push(
      `fleet ${r.label}: ${r.nodes} simulated nodes, pods start in ${r.podStartMs} ms, Ctrl-C ${r.traceS} s after all trace, CLI flags ${r.args.join(' ') || '(defaults)'}, server limit ${r.serverLimitPerS ?? 'none'}/s`,
      `  requests by verb: ${Object.entries(r.requests.byVerb)
        .sort((a, b) => b[1] - a[1])
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}`,
      `  429s ${r.requests.status429}, 5xx ${r.requests.status5xx}; peak requests in one second ${r.requests.peakPerS} (after the first 429: ${r.requests.peakPerSAfter429})`,
    );
  }
  return { rows, lines };
}
