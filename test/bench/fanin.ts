/**
 * The fan-in phase of `npm run bench`: `--all-nodes` on a large cluster merges hundreds of node
 * streams into one client. N simulated nodes (test/apiserver/simulated-node.ts) behind one API
 * stand-in each replay the storm's recording through the real exec WebSocket at rate/N execs per
 * second, into one built CLI (`--all-nodes --yes -o json -d STEP`, stdout to a file).
 *
 * Per merged rate, a step says whether the client sustained it — every replayed exec on stdout exactly
 * once (by node, pid and time), no exec dropped by a node for a client that fell behind, the output
 * caught up within 2 s of the replay's end, RSS flat over the step — and what it cost: the CLI's CPU
 * per event, its RSS, the stand-in's CPU (it runs in this process, on the same 2 cores), and how long
 * the debug pods took to start. Every node holds its replay until all of them trace (the startup is
 * timed on its own), and the window measured runs from warmupS after then to the first stop: the
 * CLI's first seconds (code still being compiled, the heap sizing itself) are not its steady state.
 * Before the sweep, an unreported warm-up step at the first rate warms this process (the stand-in)
 * and the machine's caches, so that the first measured step is not the one that pays for them.
 * The sweep stops at the first rate the client does not sustain: higher ones only fail harder.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, fstatSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { Session } from 'node:inspector/promises';
import { join } from 'node:path';
import { SimulatedNode, startApiServer, TraceReplay, type PodInput } from '../apiserver/index.js';
import { interrupt, sleep, waitExit, type Exit } from './children.js';
import { summariseProfile, type CpuProfile, type ProfileSummary } from './cpuprofile.js';
import { CLI_NODE_FLAGS } from './memory.js';
import { cpuMicros, machineCpu, pidsNamed, statusKb } from './procstat.js';

export interface FaninConfig {
  /** dist/cli.js */
  cli: string;
  /** The repository root (profile frames are shown relative to it). */
  root: string;
  tmp: string;
  /** The storm's recording (record-storm.ts) and the probe output of this machine. */
  recording: string;
  probeOutput: string;
  /** The pod the storm ran in: its execs are replayed, its uid and container id renamed per node. */
  storm: { uid: string; containerId: string };
  nodes: number;
  /** Merged execs per second, one step each, in this order. */
  rates: number[];
  stepS: number;
  /** The window starts this long after the replay does. */
  warmupS: number;
  /** The unreported warm-up step's length, s; 0: none. */
  warmupStepS: number;
  keep: boolean;
  /** Profile the CLI (--cpu-prof) and this process (the stand-in, through the inspector): where the time went. */
  profile: boolean;
}

/** The debug pods of the fan-in start this fast: the stand-in's kubelet is not what is measured. */
const POD_START_MS = 20;
/** Nodes not all tracing after this long: the replay starts anyway, and the step is not sustained. */
const STARTUP_LIMIT_S = 120;
const SAMPLE_MS = 100;
/** Output that catches up within this long after the replay ended counts as keeping up. */
const CATCH_UP_S = 2;
/** RSS growth (see rssGrowth) that still counts as flat. */
const RSS_SLACK_MB = 20;
const NAMESPACE = 'bench';
const CONTAINER = 'storm';

interface Sample {
  t: number;
  cliCpuUs: number | null;
  cliRssKb: number | null;
  cliHwmKb: number | null;
  /** Lines the CLI wrote so far. */
  lines: number;
  /** Execs the nodes sent so far, and dropped. */
  sent: number;
  dropped: number;
  /** This process: user + system CPU, and the part the sampler itself took (wall time of its reads). */
  selfCpuUs: number;
  samplerMs: number;
  /** Time the nodes spent rendering frames. */
  renderMs: number;
  /** Machine-wide CPU jiffies (busy, total): are the 2 cores full? */
  machine: { busy: number; total: number };
}

export interface FaninStep {
  rate: number;
  perNodeRate: number;
  sustained: boolean;
  /** Why not, when not. */
  why: string[];
  exit: Exit;
  totals: Record<string, unknown> | null;
  sent: number;
  dropped: number;
  outputLines: number;
  /** Output lines whose (node, pid, time) was seen before on that node. */
  duplicates: number;
  /** Sent execs that did not come out (sent minus distinct, summed over nodes where it is positive). */
  missing: number;
  /** Execs attributed to their node's storm pod. */
  attributed: number;
  nodesMismatched: string[];
  window: {
    s: number;
    offeredRate: number;
    deliveredRate: number;
    cliCpuUsPerEvent: number | null;
    cliRssStartMB: number | null;
    cliRssEndMB: number | null;
    /** How many of the machine's CPUs were busy on average (everything, not only the bench). */
    machineBusyCpus: number;
    /** Highest RSS of the window's second half minus that of its first half, MB (see rssGrowth). */
    rssGrowthMB: number | null;
    maxLagS: number;
    standInCpuUsPerEvent: number;
    samplerCpuUsPerEvent: number;
    renderUsPerEvent: number;
  };
  cliPeakRssMB: number | null;
  /** CPU per event from the replay's start to the end of the output (stop and drain included). */
  cliCpuUsPerEventToEnd: number | null;
  /** From the last tracer's end until stdout held every exec. */
  catchUpS: number | null;
  startup: { firstTracingS: number; allTracingS: number; nodesPerS: number };
  /** The machine is shared: its load when the step began, and other bpftrace processes then (noise). */
  loadavgAtStart: number[];
  otherBpftraceAtStart: number;
  frames: number;
  bytes: number;
  profile: ProfileSummary | null;
  standInProfile: ProfileSummary | null;
  samples: Sample[];
  stderr: string[];
}

export interface FaninResult {
  nodes: number;
  stepS: number;
  warmupS: number;
  /** The warm-up step (not in the verdict), or null. */
  warmup: FaninStep | null;
  rates: number[];
  replay: { execsPerCopy: number; bytesPerExec: number };
  /** The highest rate sustained, null if none was. */
  sustainedRate: number | null;
  steps: FaninStep[];
}

/** Counts the lines of a growing file, reading only what was added. */
class LineCounter {
  private offset = 0;
  private readonly buf = Buffer.alloc(4 << 20);
  lines = 0;
  constructor(private readonly file: string) {}
  poll(): void {
    const fd = openSync(this.file, 'r');
    try {
      if (fstatSync(fd).size <= this.offset) return;
      for (
        let n = readSync(fd, this.buf, 0, this.buf.length, this.offset);
        n > 0;
        n = readSync(fd, this.buf, 0, this.buf.length, this.offset)
      ) {
        this.offset += n;
        for (let i = this.buf.indexOf(10); i >= 0 && i < n; i = this.buf.indexOf(10, i + 1)) this.lines++;
      }
    } finally {
      closeSync(fd);
    }
  }
}

/** The text between `"key":"` (or `"key":`) and the next `"` (or `,`), from the first occurrence on. */
function field(line: string, key: string, quoted: boolean): string | null {
  const tag = quoted ? `"${key}":"` : `"${key}":`;
  const at = line.indexOf(tag);
  if (at < 0) return null;
  const from = at + tag.length;
  const end = line.indexOf(quoted ? '"' : ',', from);
  return end < 0 ? null : line.slice(from, end);
}

/**
 * Reads the CLI's output once, as a stream (it may be larger than a string can hold), and counts per
 * node: lines, distinct (pid, time), and lines attributed to that node's storm pod. The JSON format
 * puts time, node, namespace and pod first, then pid before any free text (args): the first match of
 * each key is the field itself. (pid, time) is kept as one number, ms after `since` times 2^22 plus
 * the pid (pids stay below 2^22), sorted at the end: millions of lines fit in a few tens of MB.
 */
function verifyOutput(file: string, podOf: Map<string, string>, since: number) {
  const markers = new Map<string, number[]>();
  let attributed = 0;
  let unparsed = 0;
  const fd = openSync(file, 'r');
  const buf = Buffer.alloc(8 << 20);
  let rest = '';
  try {
    for (let n = readSync(fd, buf); n > 0; n = readSync(fd, buf)) {
      const parts = (rest + buf.toString('utf8', 0, n)).split('\n');
      rest = parts.pop() ?? '';
      for (const line of parts) {
        const node = field(line, 'node', true);
        const pid = Number(field(line, 'pid', false));
        const ms = Date.parse(field(line, 'time', true) ?? '') - since;
        if (node === null || !Number.isInteger(pid) || pid < 0 || pid >= 2 ** 22 || !(ms >= 0 && ms < 2 ** 30)) {
          unparsed++;
          continue;
        }
        let m = markers.get(node);
        if (!m) markers.set(node, (m = []));
        m.push(ms * 2 ** 22 + pid);
        if (field(line, 'namespace', true) === NAMESPACE && field(line, 'pod', true) === podOf.get(node)) attributed++;
      }
    }
  } finally {
    closeSync(fd);
  }
  if (rest !== '') unparsed++;
  const lines = new Map<string, number>();
  const distinct = new Map<string, number>();
  let duplicates = 0;
  for (const [node, m] of markers) {
    const sorted = Float64Array.from(m).sort();
    let d = sorted.length > 0 ? 1 : 0;
    for (let i = 1; i < sorted.length; i++) if (sorted[i] !== sorted[i - 1]) d++;
    lines.set(node, sorted.length);
    distinct.set(node, d);
    duplicates += sorted.length - d;
  }
  return { lines, distinct, attributed, duplicates, unparsed };
}

function stormPod(node: string, name: string, uid: string, containerId: string): PodInput {
  return {
    metadata: { namespace: NAMESPACE, name, uid, labels: { app: 'storm' } },
    spec: { nodeName: node, containers: [{ name: CONTAINER, image: 'busybox' }] },
    status: {
      phase: 'Running',
      containerStatuses: [
        {
          name: CONTAINER,
          containerID: `cri-o://${containerId}`,
          ready: true,
          restartCount: 0,
          image: 'busybox',
          imageID: '',
          state: { running: { startedAt: new Date().toISOString() } },
        },
      ],
    },
  };
}

const underscored = (uid: string): string => uid.replaceAll('-', '_');

/**
 * Whether RSS is flat over the window, robust to the garbage collector's sawtooth and to the heap
 * sizing itself up in the first seconds: the highest RSS of the second half against the highest of
 * the first. A client that keeps up holds nothing that grows with time; one that falls behind does.
 */
function rssGrowth(window: Sample[]): number | null {
  const rss = window.map((s) => s.cliRssKb).filter((x): x is number => x !== null);
  if (rss.length < 4) return null;
  const half = Math.floor(rss.length / 2);
  return (Math.max(...rss.slice(half)) - Math.max(...rss.slice(0, half))) / 1024;
}

async function runStep(cfg: FaninConfig, replay: TraceReplay, rate: number, stepS: number, label: string): Promise<FaninStep> {
  const perNodeRate = rate / cfg.nodes;
  const loadavgAtStart = loadavg();
  const otherBpftraceAtStart = pidsNamed('bpftrace').length;
  const api = await startApiServer({ podStartDelayMs: POD_START_MS });
  const nodes: { name: string; pod: string; sim: SimulatedNode }[] = [];
  const out = join(cfg.tmp, `fanin-${label}.jsonl`);
  const profDir = join(cfg.tmp, `fanin-${label}-profile`);
  let cli: ChildProcess | null = null;
  // Every node replays from the moment all of them trace: the first nodes' streams would otherwise
  // load the client while it still starts the others, and the rate measured would be no one rate.
  let go!: () => void;
  const gate = new Promise<void>((resolve) => (go = resolve));
  const since = Date.now() - 60_000;
  try {
    for (let i = 0; i < cfg.nodes; i++) {
      const name = `sim-${String(i).padStart(3, '0')}`;
      const pod = `storm-${i}`;
      const uid = randomUUID();
      const containerId = randomBytes(32).toString('hex');
      // The recording's cgroup names carry the storm pod's uid and container id: each node gets its own.
      const rename = { [underscored(cfg.storm.uid)]: underscored(uid), [cfg.storm.uid]: uid, [cfg.storm.containerId]: containerId };
      const sim = new SimulatedNode({ probeOutput: cfg.probeOutput, replay, eventsPerSec: perNodeRate, rename, holdUntil: gate });
      api.addNode(name, { simulated: sim, labels: { 'bench.trace-exec/fanin': 'true' } });
      api.addPod(stormPod(name, pod, uid, containerId));
      nodes.push({ name, pod, sim });
    }
    const sent = (): { sent: number; dropped: number; renderMs: number } => {
      const s = { sent: 0, dropped: 0, renderMs: 0 };
      for (const n of nodes) {
        for (const r of n.sim.runs) {
          s.sent += r.execs;
          s.dropped += r.dropped;
          s.renderMs += r.renderMs;
        }
      }
      return s;
    };

    if (cfg.profile) mkdirSync(profDir, { recursive: true });
    const session = cfg.profile ? new Session() : null;
    if (session) {
      session.connect();
      await session.post('Profiler.enable');
      await session.post('Profiler.start');
    }
    const fd = openSync(out, 'w');
    const t0 = performance.now();
    const args = [
      ...CLI_NODE_FLAGS, // as bin/trace-exec starts it
      ...(cfg.profile ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : []),
      cfg.cli,
      '--all-nodes',
      '--yes',
      '--kubeconfig',
      api.kubeconfigPath,
      '-o',
      'json',
      '-d',
      `${stepS}s`,
    ];
    const child = spawn(process.execPath, args, { stdio: ['ignore', fd, 'pipe'], env: { ...process.env, FORCE_COLOR: '0' } });
    cli = child;
    closeSync(fd);
    const stderr: { t: number; line: string }[] = [];
    let partial = '';
    child.stderr!.on('data', (c: Buffer) => {
      const parts = (partial + c.toString()).split('\n');
      partial = parts.pop() ?? '';
      for (const line of parts) stderr.push({ t: performance.now(), line });
    });
    const stderrClosed = new Promise((resolve) => child.stderr!.once('close', resolve));
    const exited = waitExit(child, 1e9);
    let done = false;
    void exited.then(() => (done = true));

    // Sample until the CLI exits; bounded: startup, the step, and the drain may each take minutes at worst.
    const counter = new LineCounter(out);
    const samples: Sample[] = [];
    const self0 = process.cpuUsage();
    let samplerMs = 0;
    const deadline = t0 + (STARTUP_LIMIT_S + 120 + stepS) * 1000;
    let timedOut = false;
    let tGo = NaN;
    while (!done) {
      const ts = performance.now();
      if (
        Number.isNaN(tGo) &&
        (stderr.filter((l) => /tracing execs on/.test(l.line)).length >= cfg.nodes || ts - t0 > STARTUP_LIMIT_S * 1000)
      ) {
        tGo = ts;
        go();
      }
      counter.poll();
      const s = sent();
      const cpu = process.cpuUsage(self0);
      const sample: Sample = {
        t: ts,
        cliCpuUs: cpuMicros(child.pid!),
        cliRssKb: statusKb(child.pid!, 'VmRSS'),
        cliHwmKb: statusKb(child.pid!, 'VmHWM'),
        lines: counter.lines,
        sent: s.sent,
        dropped: s.dropped,
        selfCpuUs: cpu.user + cpu.system,
        samplerMs,
        renderMs: s.renderMs,
        machine: machineCpu(),
      };
      samplerMs += performance.now() - ts;
      sample.samplerMs = samplerMs;
      if (!done) samples.push(sample);
      if (ts > deadline && !timedOut) {
        timedOut = true;
        void interrupt(child, 30_000);
      }
      await sleep(SAMPLE_MS);
    }
    const exit = await exited;
    await Promise.race([stderrClosed, sleep(2000)]); // the totals line may come after the exit
    counter.poll();
    let standInProfile: ProfileSummary | null = null;
    if (session) {
      const { profile } = await session.post('Profiler.stop');
      session.disconnect();
      standInProfile = summariseProfile(profile as CpuProfile, cfg.root);
    }
    const endT = performance.now();
    const final = sent();
    const totalsLine = stderr.find((l) => l.line.startsWith('{"kind":"trace-exec.totals"'));
    const totals = totalsLine ? (JSON.parse(totalsLine.line) as Record<string, unknown>) : null;

    // ---- what came out ----
    const podOf = new Map(nodes.map((n) => [n.name, n.pod]));
    const v = verifyOutput(out, podOf, since);
    let missing = 0;
    const nodesMismatched: string[] = [];
    for (const n of nodes) {
      const sentN = n.sim.sent();
      const distinct = v.distinct.get(n.name) ?? 0;
      missing += Math.max(0, sentN - distinct);
      if (distinct !== sentN || (v.lines.get(n.name) ?? 0) !== sentN)
        nodesMismatched.push(`${n.name}: sent ${sentN}, out ${v.lines.get(n.name) ?? 0} (${distinct} distinct)`);
    }
    const outputLines = [...v.lines.values()].reduce((a, b) => a + b, 0) + v.unparsed;

    // ---- the window: every node replaying (the gate opened) → the first stop ----
    const tracing = stderr.filter((l) => /tracing execs on/.test(l.line));
    const tAll = tracing.length >= cfg.nodes ? tracing[cfg.nodes - 1]!.t : NaN;
    const runs = nodes.flatMap((n) => n.sim.runs);
    const stops = runs.map((r) => r.stoppedAt).filter((x): x is number => x !== null);
    const ends = runs.map((r) => r.endedAt).filter((x): x is number => x !== null);
    const tStop = stops.length ? Math.min(...stops) : endT;
    const tEnd = ends.length ? Math.max(...ends) : endT;
    const a = samples.find((s) => s.t >= tGo + cfg.warmupS * 1000 && !Number.isNaN(tAll));
    const b = [...samples].reverse().find((s) => s.t <= tStop);
    const ok = a !== undefined && b !== undefined && b.t > a.t;
    const ws = ok ? (b.t - a.t) / 1000 : NaN;
    const dLines = ok ? b.lines - a.lines : 0;
    const dSent = ok ? b.sent - a.sent : 0;
    const perEvent = (us: number | null, n: number): number | null => (us === null || n <= 0 ? null : us / n);
    const inWindow = ok ? samples.filter((s) => s.t >= a.t && s.t <= b.t) : [];
    const last = samples[samples.length - 1];
    const caughtUp = samples.find((s) => s.t >= tEnd && s.lines >= counter.lines);
    const catchUpS = caughtUp
      ? Math.max(0, caughtUp.t - tEnd) / 1000
      : counter.lines >= final.sent
        ? Math.max(0, endT - tEnd) / 1000
        : null;
    const window = {
      s: ws,
      offeredRate: dSent / ws,
      deliveredRate: dLines / ws,
      cliCpuUsPerEvent: ok && a.cliCpuUs !== null && b.cliCpuUs !== null ? perEvent(b.cliCpuUs - a.cliCpuUs, dLines) : null,
      cliRssStartMB: ok && a.cliRssKb !== null ? a.cliRssKb / 1024 : null,
      cliRssEndMB: ok && b.cliRssKb !== null ? b.cliRssKb / 1024 : null,
      rssGrowthMB: rssGrowth(inWindow),
      maxLagS: Math.max(0, ...inWindow.map((s) => (s.sent - s.lines) / rate)),
      machineBusyCpus: ok
        ? ((b.machine.busy - a.machine.busy) / Math.max(1, b.machine.total - a.machine.total)) * availableParallelism()
        : NaN,
      standInCpuUsPerEvent: ok ? (b.selfCpuUs - a.selfCpuUs - (b.samplerMs - a.samplerMs) * 1000) / Math.max(1, dSent) : NaN,
      samplerCpuUsPerEvent: ok ? ((b.samplerMs - a.samplerMs) * 1000) / Math.max(1, dSent) : NaN,
      renderUsPerEvent: ok ? ((b.renderMs - a.renderMs) * 1000) / Math.max(1, dSent) : NaN,
    };

    let profile: ProfileSummary | null = null;
    if (cfg.profile) {
      const file = readdirSync(profDir).find((f) => f.endsWith('.cpuprofile'));
      if (file) profile = summariseProfile(join(profDir, file), cfg.root);
    }

    const why: string[] = [];
    if (timedOut) why.push('timed out');
    if (exit.code !== 0) why.push(`CLI exit ${exit.code ?? exit.signal}`);
    if (!ok) {
      const tracingNodes = new Set(tracing.map((l) => /tracing execs on (\S+)/.exec(l.line)?.[1]));
      const missingNodes = nodes.map((n) => n.name).filter((n) => !tracingNodes.has(n));
      why.push(`no measurement window: ${missingNodes.length} node(s) never traced (${missingNodes.slice(0, 5).join(', ')})`);
    }
    if (final.dropped > 0) why.push(`${final.dropped} execs dropped by the nodes (client behind)`);
    if (Number(totals?.lost ?? 0) > 0) why.push(`CLI reports ${String(totals?.lost)} lost`);
    if (v.duplicates > 0) why.push(`${v.duplicates} duplicates`);
    if (missing > 0) why.push(`${missing} missing`);
    if (catchUpS === null || catchUpS > CATCH_UP_S)
      why.push(`caught up ${catchUpS === null ? 'never' : `after ${catchUpS.toFixed(1)} s`} (> ${CATCH_UP_S} s)`);
    if (window.rssGrowthMB !== null && window.rssGrowthMB > RSS_SLACK_MB) {
      why.push(`RSS grew ${window.rssGrowthMB.toFixed(0)} MB from the window's first half to its second (> ${RSS_SLACK_MB})`);
    }
    if (ok && window.offeredRate < 0.95 * rate) why.push(`the stand-in offered only ${window.offeredRate.toFixed(0)} ev/s`);

    return {
      rate,
      perNodeRate,
      sustained: why.length === 0,
      why,
      exit,
      totals,
      sent: final.sent,
      dropped: final.dropped,
      outputLines,
      duplicates: v.duplicates,
      missing,
      attributed: v.attributed,
      nodesMismatched: nodesMismatched.slice(0, 20),
      window,
      cliPeakRssMB: last?.cliHwmKb != null ? last.cliHwmKb / 1024 : null,
      cliCpuUsPerEventToEnd:
        ok && a.cliCpuUs !== null && last?.cliCpuUs != null ? perEvent(last.cliCpuUs - a.cliCpuUs, counter.lines - a.lines) : null,
      catchUpS,
      startup: {
        firstTracingS: ((tracing[0]?.t ?? NaN) - t0) / 1000,
        allTracingS: (tAll - t0) / 1000,
        nodesPerS: cfg.nodes / ((tAll - t0) / 1000),
      },
      loadavgAtStart,
      otherBpftraceAtStart,
      frames: runs.reduce((n, r) => n + r.frames, 0),
      bytes: runs.reduce((n, r) => n + r.bytes, 0),
      profile,
      standInProfile,
      samples,
      stderr: stderr.map((l) => `${((l.t - t0) / 1000).toFixed(3)}s ${l.line}`),
    };
  } finally {
    go();
    if (cli) await interrupt(cli, 30_000);
    await api.close();
    if (!cfg.keep) rmSync(out, { force: true });
  }
}

export async function runFanin(cfg: FaninConfig): Promise<FaninResult> {
  const replay = TraceReplay.fromRecording(readFileSync(cfg.recording, 'utf8'), { cgroupIncludes: cfg.storm.containerId });
  // (node, pid, time in ms) tells the replayed execs apart only if a pid comes back at least 1 ms later.
  const maxPerNode = Math.max(...cfg.rates) / cfg.nodes;
  if (replay.execs / maxPerNode < 0.01)
    throw new Error(`the recording holds too few execs (${replay.execs}) for ${maxPerNode} execs/s per node`);
  const warmup = cfg.warmupStepS > 0 ? await runStep(cfg, replay, cfg.rates[0]!, cfg.warmupStepS, 'warmup') : null;
  if (warmup)
    console.log(
      `bench fan-in: warm-up step, ${cfg.warmupStepS} s at ${cfg.rates[0]} ev/s (not in the verdict): ${warmup.window.deliveredRate.toFixed(0)} ev/s`,
    );
  const steps: FaninStep[] = [];
  for (const rate of cfg.rates) {
    const step = await runStep(cfg, replay, rate, cfg.stepS, String(rate));
    steps.push(step);
    console.log(
      `bench fan-in: ${rate} ev/s from ${cfg.nodes} nodes: ${step.sustained ? 'sustained' : `NOT sustained (${step.why.join('; ')})`}; ` +
        `delivered ${step.window.deliveredRate.toFixed(0)} ev/s, client ${step.window.cliCpuUsPerEvent?.toFixed(1) ?? 'n/a'} µs/ev`,
    );
    if (!step.sustained) break;
  }
  const sustained = steps.filter((s) => s.sustained).map((s) => s.rate);
  return {
    nodes: cfg.nodes,
    stepS: cfg.stepS,
    warmupS: cfg.warmupS,
    warmup,
    rates: cfg.rates,
    replay: { execsPerCopy: replay.execs, bytesPerExec: replay.bytesPerExec },
    sustainedRate: sustained.length ? Math.max(...sustained) : null,
    steps,
  };
}

/** The fan-in's rows for the bench's table, its details, and a line per step. */
export function faninReport(r: FaninResult): { rows: [string, string, string][]; details: [string, string][]; lines: string[] } {
  const f = (x: number | null | undefined, d = 1) => (x === null || x === undefined || !Number.isFinite(x) ? 'n/a' : x.toFixed(d));
  const best = r.steps.find((s) => s.rate === r.sustainedRate) ?? null;
  const at = best ? ` at ${best.rate}` : '';
  const rows: [string, string, string][] = [
    [
      `fan-in: merged ev/s sustained, ${r.nodes} nodes`,
      r.sustainedRate === null ? `none (tried ${r.steps.map((s) => s.rate).join(', ')})` : String(r.sustainedRate),
      '≥ 200000',
    ],
    ['fan-in: client CPU per event (µs)', best ? `${f(best.window.cliCpuUsPerEvent)}${at}` : 'n/a', ''],
    [
      'fan-in: client RSS start / end (MB)',
      best ? `${f(best.window.cliRssStartMB, 0)} / ${f(best.window.cliRssEndMB, 0)}${at}` : 'n/a',
      `flat (±${RSS_SLACK_MB})`,
    ],
    [
      'fan-in: client ceiling, delivered ev/s',
      `${f(Math.max(...r.steps.map((s) => s.window.deliveredRate).filter(Number.isFinite)), 0)} (best step)`,
      '',
    ],
    [`fan-in: ${r.nodes} debug pods tracing (s)`, f(r.steps[0]?.startup.allTracingS), ''],
  ];
  const details: [string, string][] = [
    ['fan-in stand-in CPU per event (µs)', r.steps.map((s) => `${f(s.window.standInCpuUsPerEvent)} at ${s.rate}`).join(', ')],
    ['fan-in replay', `${r.replay.execsPerCopy} distinct execs per copy, ${f(r.replay.bytesPerExec, 0)} B per exec`],
  ];
  const lines = [
    `fan-in: ${r.nodes} simulated nodes → one CLI (--all-nodes -o json), ${r.stepS} s per step, window = ${r.warmupS} s after all nodes replay → first stop` +
      `${r.warmup ? `; a warm-up step at ${r.warmup.rate} first (not in the verdict)` : ''}:`,
    `  ${'rate'.padStart(7)} ${'offered'.padStart(8)} ${'out/s'.padStart(8)} ${'lost'.padStart(6)} ${'dup'.padStart(4)} ${'miss'.padStart(6)} ${'lag'.padStart(5)} ${'catch'.padStart(5)} ${'µs/ev'.padStart(6)} ${'RSS MB'.padStart(13)} ${'stand-in'.padStart(8)} ${'busy'.padStart(4)} ${'start'.padStart(6)}  verdict`,
    ...r.steps.map(
      (s) =>
        `  ${String(s.rate).padStart(7)} ${f(s.window.offeredRate, 0).padStart(8)} ${f(s.window.deliveredRate, 0).padStart(8)} ` +
        `${String(s.dropped + Number(s.totals?.lost ?? 0)).padStart(6)} ${String(s.duplicates).padStart(4)} ${String(s.missing).padStart(6)} ` +
        `${f(s.window.maxLagS).padStart(5)} ${f(s.catchUpS).padStart(5)} ${f(s.window.cliCpuUsPerEvent).padStart(6)} ` +
        `${`${f(s.window.cliRssStartMB, 0)}→${f(s.window.cliRssEndMB, 0)} (${f(s.cliPeakRssMB, 0)})`.padStart(13)} ` +
        `${f(s.window.standInCpuUsPerEvent).padStart(8)} ${f(s.window.machineBusyCpus).padStart(4)} ${f(s.startup.allTracingS).padStart(6)}  ${s.sustained ? 'sustained' : s.why.join('; ')}`,
    ),
    `  (lost = dropped by the nodes + CLI lost; lag = max (sent − printed) / rate in the window, s; catch = s from the replay's end to the last line;`,
    `   µs/ev = client CPU per printed exec in the window; RSS = window start→end (peak); stand-in = this process's CPU per sent exec;`,
    `   busy = CPUs busy machine-wide in the window, of ${availableParallelism()}; start = spawn → all nodes tracing (replays held), s)`,
  ];
  const top = (what: string, p: ProfileSummary): void => {
    lines.push(`  ${what} (self time, ${f(p.totalMs - p.idleMs, 0)} ms busy):`);
    for (const fn of p.functions.slice(0, 15)) lines.push(`    ${f(fn.pct).padStart(5)}%  ${fn.name.padEnd(32)} ${fn.where}`);
    lines.push(
      `    by file: ${p.files
        .slice(0, 8)
        .map((x) => `${x.file} ${f(x.pct)}%`)
        .join(', ')}`,
    );
  };
  // The highest rate tried is where the limit shows.
  const last = r.steps[r.steps.length - 1];
  if (last?.profile) top(`client profile at ${last.rate} ev/s`, last.profile);
  if (last?.standInProfile) top(`stand-in (this process) profile at ${last.rate} ev/s`, last.standInProfile);
  return { rows, details, lines };
}
