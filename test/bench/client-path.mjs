/**
 * The client path without the kernel, in a fresh Node process: a recorded `bpftrace -f json` stream
 * of an exec storm, replicated to any number of execs, fed through the built client (dist/):
 * TraceDecoder → Joiner (PodIndex with the storm pod) → namespace filter → createPrinter('json').
 *
 *   node [--expose-gc] test/bench/client-path.mjs CONFIG.json
 *
 * CONFIG: { mode: 'template' | 'ceiling' | 'paced' | 'replay' | 'output' | 'memory', rate, seconds, events, out, recording, template, dist, strlen, levels,
 *           node, namespaces, filename, pod: { uid, namespace, name, containerId, containerName }, tmpDir }
 * Prints one JSON line with the results on stdout.
 *
 * template: parses the recording, writes the storm's execs as a compact template file (run it first).
 * ceiling: pre-generates the whole stream, then times each stage cumulatively, best of 3 by CPU
 *          (lines → records → execs → join → JSON printer), plus: one line per chunk, the printer
 *          writing each line with writeSync to a file (what the CLI does when stdout is a file), one
 *          write per input chunk, and decodeCgroups alone.
 * paced:   the full path at config.rate execs/s (frames every 100 ms) for config.seconds, lines
 *          batched and written to a file as the CLI does: CPU of every thread per event, GC by kind.
 * replay:  the full path only, config.reps times (default 5), for a CPU profile.
 * output:  writes the printed lines of n replayed execs to config.out (to compare two builds' dist/).
 * memory:  generates the stream lazily into two reused 64 kB buffers (the input takes no memory),
 *          feeds it through the full path and reports RSS and heap afterwards.
 */
import { closeSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const dist = (p) => import(pathToFileURL(join(config.dist, p)).href);
const { TraceDecoder } = await dist('events/decoder.js');
const { LineSplitter } = await dist('events/lines.js');
const { parseRecord } = await dist('events/records.js');
const { Joiner } = await dist('join/join.js');
const { PodIndex } = await dist('join/pod-index.js');
const { createPrinter } = await dist('output/index.js');
const { decodeCgroups } = await dist('cgroup/decode.js');

const baseline = process.memoryUsage();

// ---- the recorded stream → a template of the storm's execs -----------------------------------------

/** Index of the clock field in each record's space-separated text (tag first). */
const MONO_FIELD = { E: 5, A: 2, X: 3 };
/** Where the filename starts in an E record's fields (it is last and may hold spaces). */
const E_FILENAME = 9;

function buildTemplate(raw, pod, filename) {
  const lines = raw.split('\n').filter((l) => l.trim() !== '');
  const parsed = [];
  for (const line of lines) {
    let obj;
    try {
      obj = JSON.parse(line);
    } catch {
      continue; // stderr noise cannot be in the file, but a cut last line can
    }
    parsed.push({ line, obj });
  }
  // The storm's cgroups: the ids whose leaf component (level 0) names its container.
  const ids = { 1: new Set(), 2: new Set() };
  for (const { obj } of parsed) {
    if (obj.type !== 'printf' || !obj.data.startsWith('P ')) continue;
    const [, hier, id, level, name] = obj.data.replace(/\n$/, '').split(' ');
    if (level === '0' && name.includes(pod.containerId)) ids[hier].add(id);
  }
  if (ids[1].size + ids[2].size === 0) throw new Error('the recording has no P record of the storm container');
  const key = (tid, mono) => `${tid}:${mono}`;
  const inStorm = new Set();
  const isFile = new Set();
  for (const { obj } of parsed) {
    if (obj.type !== 'printf') continue;
    const f = obj.data.replace(/\n$/, '').split(' ');
    if (f[0] === 'E' && (ids[2].has(f[6]) || ids[1].has(f[7]))) inStorm.add(key(f[1], f[5]));
    if (f[0] === 'E' && f.slice(E_FILENAME).join(' ') === filename) isFile.add(key(f[1], f[5]));
  }
  // The cwd and exe paths (D records) the storm's X records name: without them its execs wait for
  // them until holdMs and come out incomplete.
  const pathIds = new Set();
  for (const { obj } of parsed) {
    if (obj.type !== 'printf' || !obj.data.startsWith('X ')) continue;
    const f = obj.data.replace(/\n$/, '').split(' ');
    if (inStorm.has(key(f[1], f[3])) && isFile.has(key(f[1], f[3]))) for (const id of [f[9], f[10]]) if (id !== '0') pathIds.add(id);
  }
  const ordinal = new Map();
  const header = [];
  const body = [];
  let minMono = Infinity;
  let maxMono = 0;
  for (const { line, obj } of parsed) {
    if (obj.type === 'attached_probes') header.push(line);
    if (obj.type !== 'printf') continue;
    const text = obj.data.replace(/\n$/, '');
    const f = text.split(' ');
    if (f[0] === 'B' || f[0] === 'S') header.push(line);
    if (f[0] === 'P' && ids[f[1]]?.has(f[2])) header.push(line);
    if (f[0] === 'D' && pathIds.has(f[1])) header.push(line);
    const at = MONO_FIELD[f[0]];
    if (at === undefined) continue;
    const k = key(f[1], f[at]);
    if (!inStorm.has(k) || !isFile.has(k)) continue;
    if (f[0] === 'E') ordinal.set(k, ordinal.size);
    const mono = Number(f[at]);
    minMono = Math.min(minMono, mono);
    maxMono = Math.max(maxMono, mono);
    // The text appears verbatim in the line (ASCII, nothing to escape): cut the line around the clock.
    if (!/^[\x20-\x7e]*$/.test(line)) continue; // the storm's records are ASCII; written as latin1 below
    const textAt = line.indexOf(text);
    const monoAt = textAt + f.slice(0, at).join(' ').length + 1;
    body.push({ key: k, pre: line.slice(0, monoAt), mono, post: line.slice(monoAt + f[at].length) });
  }
  // A record of an exec whose E was not recorded (started before the tracer) is left out.
  const events = body.filter((b) => ordinal.has(b.key)).map((b) => ({ ...b, ordinal: ordinal.get(b.key) }));
  if (maxMono + 1e9 * 1e4 > Number.MAX_SAFE_INTEGER) throw new Error('monotonic clock too large to replicate with Numbers');
  return { header, events, perCopy: ordinal.size, span: maxMono - minMono + 1_000_000_000 };
}

/**
 * Yields the replicated stream of exactly n execs in chunks of about chunkBytes: the header once, then
 * copies of the storm, each copy's clock moved on by `span` so that every exec stays distinct. Lines
 * are written straight into Buffers. With reuse, two Buffers take turns (the decoder turns a chunk into
 * a string before push() returns), so making the input allocates nothing: the memory measured is the
 * client's own (a fresh Buffer per chunk alone grows RSS by ~130 MB over 3M execs: malloc, not JS).
 */
function* stream(t, n, { chunkBytes = 65536, reuse = false } = {}) {
  const ring = reuse ? [Buffer.allocUnsafe(chunkBytes + 4096), Buffer.allocUnsafe(chunkBytes + 4096)] : null;
  let turn = 0;
  const fresh = () => (ring ? ring[turn++ % 2] : Buffer.allocUnsafe(chunkBytes + 4096));
  let buf = fresh();
  let at = 0;
  const put = (s) => {
    at += buf.latin1Write(s, at);
  };
  for (const h of t.header) {
    const line = Buffer.from(h + '\n');
    yield line;
  }
  for (let copy = 0; copy * t.perCopy < n; copy++) {
    const limit = Math.min(t.perCopy, n - copy * t.perCopy);
    const shift = copy * t.span;
    for (const l of t.events) {
      if (l.ordinal >= limit) continue;
      if (at + l.pre.length + l.post.length + 24 > buf.length) {
        yield buf.subarray(0, at);
        buf = fresh();
        at = 0;
      }
      put(l.pre);
      put(String(l.mono + shift));
      put(l.post);
      buf[at++] = 10;
    }
  }
  if (at > 0) yield buf.subarray(0, at);
}

// ---- the client path, as src/run.ts wires it ------------------------------------------------------

function podIndex() {
  const index = new PodIndex();
  const { pod } = config;
  index.upsert({
    uid: pod.uid,
    namespace: pod.namespace,
    name: pod.name,
    mirrorHash: null,
    containers: [{ id: pod.containerId, name: pod.containerName, kind: 'container' }],
  });
  return index;
}

/** stage: 'decode' | 'join' | 'print'; write: the printer's line sink (print only). */
function clientPath(stage, write) {
  const index = podIndex();
  const joiner = new Joiner(index, { node: config.node });
  const keep = new Set(config.namespaces);
  const printer = createPrinter('json', { write, width: null });
  const r = { events: 0, shown: 0, storm: 0, lost: 0, malformed: 0 };
  const show = (a) => {
    r.events++;
    if (a.namespace === null || !keep.has(a.namespace)) return;
    r.shown++;
    if (a.pod === config.pod.name && a.container === config.pod.containerName && a.event.filename === config.filename) r.storm++;
    printer.event(a);
  };
  const decoder = new TraceDecoder(
    { strlen: config.strlen, levels: config.levels, argsMax: config.argsMax },
    {
      event:
        stage === 'decode'
          ? () => r.events++
          : stage === 'join'
            ? (e) => (r.events += joiner.push(e, Date.now()).length)
            : (e) => {
                for (const a of joiner.push(e, Date.now())) show(a);
              },
      notice: (n) => {
        if (n.kind === 'lost') r.lost += n.count;
        if (n.kind === 'malformed') r.malformed++;
      },
    },
    // Output to compare: the clock record's wall time (every exec's time follows from it) fixed.
    config.mode === 'output' ? () => 1_700_000_000_000 : Date.now,
  );
  let lastTick = Date.now();
  return {
    push(chunk) {
      decoder.push(chunk);
      const now = Date.now();
      if (now - lastTick >= 100) {
        // The CLI's 100 ms ticker.
        lastTick = now;
        decoder.tick();
        for (const a of joiner.retry(now)) show(a);
        index.expire(now);
      }
    },
    end() {
      decoder.end();
      for (const a of joiner.retry(Date.now(), true)) show(a);
      printer.end();
      r.waiting = { assembler: decoder.assembler?.waiting ?? null, joiner: joiner.waiting };
      // Execs that waited holdMs for a record that never came: a replay whose header lacks one.
      r.incomplete = decoder.stats.incomplete;
      // The assembler's cgroup path table (src/events/cgroup-paths.ts; private, read here for the count only).
      const cg = decoder.assembler?.cgroups?.paths;
      r.cgroupPaths = cg ? cg[1].size + cg[2].size : null;
      return r;
    },
  };
}

/** Runs fn `reps` times from a collected heap; keeps the run that took the least CPU (the machine is shared). */
function measure(name, events, fn, reps = config.reps ?? 3) {
  let best = null;
  for (let i = 0; i < reps; i++) {
    if (global.gc) global.gc();
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const out = fn();
    const wallMs = performance.now() - t0;
    const c = process.cpuUsage(c0);
    const cpuUs = c.user + c.system;
    if (!best || cpuUs < best.cpuUs)
      best = { stage: name, events, reps, wallMs, cpuUs, cpuUsPerEvent: cpuUs / events, eventsPerSec: events / (wallMs / 1000), ...out };
  }
  return best;
}

// ---- modes --------------------------------------------------------------------------------------

// mode 'template' parses the recording once and writes the template compactly (config.template), so
// that the measuring processes start from a small heap instead of the garbage of ~100k parsed lines.
if (config.mode === 'template') {
  const t = buildTemplate(readFileSync(config.recording, 'utf8'), config.pod, config.filename);
  const compact = { header: t.header, perCopy: t.perCopy, span: t.span, pre: [], mono: [], post: [], ordinal: [] };
  for (const e of t.events) {
    compact.pre.push(e.pre);
    compact.mono.push(e.mono);
    compact.post.push(e.post);
    compact.ordinal.push(e.ordinal);
  }
  writeFileSync(config.template, JSON.stringify(compact));
  process.stdout.write(JSON.stringify({ mode: 'template', perCopy: t.perCopy, lines: t.events.length }) + '\n');
  process.exit(0);
}
const template = (() => {
  const c = JSON.parse(readFileSync(config.template, 'utf8'));
  const events = c.pre.map((pre, i) => ({ pre, mono: c.mono[i], post: c.post[i], ordinal: c.ordinal[i] }));
  return { header: c.header, perCopy: c.perCopy, span: c.span, events };
})();
if (global.gc) global.gc();
const beforeFeed = process.memoryUsage();
const n = config.events;
const result = { mode: config.mode, events: n, perCopy: template.perCopy, node: process.version };

if (config.mode === 'paced') {
  // The client at a storm's pace: the stream in frames every 100 ms (as the node's batcher sends
  // them) at config.rate execs/s for config.seconds, lines batched per frame and written to a file
  // as the CLI writes stdout to a file. CPU of the whole process (every thread), GC by kind.
  const { LineBatch } = await dist('output/line-batch.js');
  const { PerformanceObserver } = await import('node:perf_hooks');
  const rate = config.rate ?? 2000;
  const seconds = config.seconds ?? 10;
  const frameMs = config.frameMs ?? 100;
  const perFrame = Math.max(1, Math.round((rate * frameMs) / 1000));
  const gc = {};
  const obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      const k = e.detail?.kind ?? e.kind;
      gc[k] = gc[k] ?? { count: 0, ms: 0 };
      gc[k].count++;
      gc[k].ms += e.duration;
    }
  });
  obs.observe({ entryTypes: ['gc'] });
  // config.sink: 'file' (default), 'join' (lines joined per frame, not written) or 'none'.
  const sink = config.sink ?? 'file';
  const file = join(config.tmpDir, 'paced-out.jsonl');
  const fd = openSync(file, 'w');
  const batch = new LineBatch({ write: sink === 'file' ? (text) => writeSync(fd, text) : () => {} });
  const noop = () => {};
  // Frames: the stream cut after every perFrame execs' lines (3 records an exec in the storm).
  const lines = [];
  for (const c of stream(template, rate * (seconds + (config.warmS ?? 2)) + 2000))
    lines.push(
      ...c
        .toString('latin1')
        .split('\n')
        .filter((l) => l !== ''),
    );
  const head = template.header.length;
  const frames = [Buffer.from(lines.slice(0, head).join('\n') + '\n')];
  for (let at = head; at < lines.length; at += perFrame * 3) frames.push(Buffer.from(lines.slice(at, at + perFrame * 3).join('\n') + '\n'));
  const p = clientPath('print', sink === 'none' ? noop : (line) => batch.push(line));
  p.push(frames[0]);
  // Warm-up: 2 s at the same pace, not measured.
  const warm = Math.ceil(((config.warmS ?? 2) * 1000) / frameMs);
  let i = 1;
  const tick = () => new Promise((r) => setTimeout(r, frameMs));
  for (; i <= warm; i++) {
    p.push(frames[i]);
    await tick();
  }
  const c0 = process.cpuUsage();
  const m0 = process.threadCpuUsage?.() ?? null;
  const t0 = performance.now();
  for (const k of Object.keys(gc)) delete gc[k];
  const measured = Math.ceil((seconds * 1000) / frameMs);
  for (let n = 0; n < measured; n++, i++) {
    p.push(frames[i]);
    await tick();
  }
  const cpu = process.cpuUsage(c0);
  const main = m0 ? process.threadCpuUsage(m0) : null;
  const wallMs = performance.now() - t0;
  batch.flush();
  Object.assign(result, p.end(), {
    rate,
    measuredEvents: measured * perFrame,
    wallMs,
    userUsPerEvent: cpu.user / (measured * perFrame),
    systemUsPerEvent: cpu.system / (measured * perFrame),
    cpuUsPerEvent: (cpu.user + cpu.system) / (measured * perFrame),
    mainThreadUsPerEvent: main ? (main.user + main.system) / (measured * perFrame) : null,
    gc,
  });
  obs.disconnect();
  closeSync(fd);
  rmSync(file, { force: true });
} else if (config.mode === 'replay') {
  // The full stage only, config.reps times: for a CPU profile (node --cpu-prof client-path.mjs CONFIG).
  const chunks = [...stream(template, n)];
  result.stages = [];
  for (let i = 0; i < (config.reps ?? 5); i++) {
    result.stages.push(
      measure(
        'full (replay)',
        n,
        () => {
          const p = clientPath('print', () => {});
          for (const c of chunks) p.push(c);
          return p.end();
        },
        1,
      ),
    );
  }
} else if (config.mode === 'output') {
  // The printed lines of the replayed stream, to compare two builds byte for byte (config.out).
  const lines = [];
  const p = clientPath('print', (line) => lines.push(line));
  for (const c of stream(template, n)) p.push(c);
  Object.assign(result, p.end());
  writeFileSync(config.out, lines.length ? `${lines.join('\n')}\n` : '');
} else if (config.mode === 'ceiling') {
  const chunks = [...stream(template, n)];
  result.bytes = chunks.reduce((s, c) => s + c.length, 0);
  const noop = () => {};
  // One exec's cgroup paths, as the assembler hands them to the join (for the decodeCgroups stage).
  let sample = null;
  // end(): the assembler holds an exec until its last record can no longer come.
  const sampler = new TraceDecoder(
    { strlen: config.strlen, levels: config.levels, argsMax: config.argsMax },
    { event: (e) => (sample ??= e), notice: () => {} },
  );
  sampler.push(Buffer.concat([...stream(template, 10)]));
  sampler.end();
  // The same stream cut at every line, as bpftrace writes it (one write per record) when the reader
  // keeps up: each chunk costs a callback, a string concatenation and a split.
  const lineEvents = Math.min(n, 50_000);
  const lineChunks = [];
  for (const c of stream(template, lineEvents)) {
    const text = c.toString();
    let at = 0;
    for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', at)) {
      lineChunks.push(Buffer.from(text.slice(at, nl + 1)));
      at = nl + 1;
    }
  }
  // JIT warm-up on a short stream, through every stage.
  const warm = [...stream(template, Math.min(n, 20_000))];
  for (const stage of ['decode', 'join', 'print']) {
    const p = clientPath(stage, noop);
    for (const c of warm) p.push(c);
    p.end();
  }
  const stages = [];
  stages.push(
    measure('lines', n, () => {
      const s = new LineSplitter();
      let lines = 0;
      for (const c of chunks) lines += s.push(c).length;
      lines += s.end().length;
      return { lines };
    }),
  );
  stages.push(
    measure('+ records as objects (parseRecord, not the decoder)', n, () => {
      const s = new LineSplitter();
      let records = 0;
      for (const c of chunks) for (const l of s.push(c)) if (parseRecord(l)) records++;
      return { records };
    }),
  );
  stages.push(
    measure('lines + JSON.parse only (part of records)', n, () => {
      const s = new LineSplitter();
      let parsed = 0;
      for (const c of chunks) for (const l of s.push(c)) if (JSON.parse(l)) parsed++;
      return { parsed };
    }),
  );
  for (const stage of ['decode', 'join', 'print']) {
    stages.push(
      measure(`+ ${stage === 'decode' ? 'assemble' : stage === 'join' ? 'join' : 'json printer'}`, n, () => {
        const p = clientPath(stage, noop);
        for (const c of chunks) p.push(c);
        return p.end();
      }),
    );
  }
  stages.push(
    measure('full, one line per chunk (as bpftrace writes)', lineEvents, () => {
      const p = clientPath('print', noop);
      for (const c of lineChunks) p.push(c);
      return p.end();
    }),
  );
  // What the CLI does with `> file`: process.stdout on a file writes synchronously, once per line.
  const file = join(config.tmpDir, 'ceiling-out.jsonl');
  const fd = openSync(file, 'w');
  try {
    stages.push(
      measure('+ writeSync per line (CLI, stdout a file)', n, () => {
        const p = clientPath('print', (line) => writeSync(fd, line + '\n'));
        for (const c of chunks) p.push(c);
        return p.end();
      }),
    );
    let pending = [];
    stages.push(
      measure('+ one write per input chunk (alternative)', n, () => {
        const p = clientPath('print', (line) => pending.push(line));
        for (const c of chunks) {
          p.push(c);
          if (pending.length) {
            writeSync(fd, pending.join('\n') + '\n');
            pending = [];
          }
        }
        const r = p.end();
        if (pending.length) writeSync(fd, pending.join('\n') + '\n');
        return r;
      }),
    );
  } finally {
    closeSync(fd);
    rmSync(file, { force: true });
  }
  // What the join spends decoding the same two cgroup paths again for every exec.
  const { cgroupV2, cgroupV1 } = sample;
  stages.push(
    measure('decodeCgroups alone, once per exec (part of join)', n, () => {
      let pods = 0;
      for (let i = 0; i < n; i++) if (decodeCgroups(cgroupV2, cgroupV1).identity.kind === 'pod') pods++;
      return { pods };
    }),
  );
  result.stages = stages;
} else {
  let peakRss = 0;
  let fed = 0;
  const p = clientPath('print', () => {});
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  for (const c of stream(template, n, { reuse: true })) {
    p.push(c);
    if (++fed % 256 === 0) peakRss = Math.max(peakRss, process.memoryUsage.rss());
  }
  const r = p.end();
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(c0);
  const after = process.memoryUsage();
  peakRss = Math.max(peakRss, after.rss);
  if (global.gc) global.gc();
  const afterGc = process.memoryUsage();
  const hwm = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'));
  Object.assign(result, r, {
    wallMs,
    cpuUsPerEvent: (cpu.user + cpu.system) / n,
    note: 'includes generating the stream',
    baselineRssMB: baseline.rss / 2 ** 20,
    baselineHeapUsedMB: baseline.heapUsed / 2 ** 20,
    rssBeforeFeedMB: beforeFeed.rss / 2 ** 20,
    heapUsedBeforeFeedMB: beforeFeed.heapUsed / 2 ** 20,
    rssMB: after.rss / 2 ** 20,
    heapTotalMB: after.heapTotal / 2 ** 20,
    externalMB: after.external / 2 ** 20,
    heapUsedMB: after.heapUsed / 2 ** 20,
    rssAfterGcMB: afterGc.rss / 2 ** 20,
    heapUsedAfterGcMB: afterGc.heapUsed / 2 ** 20,
    sampledPeakRssMB: peakRss / 2 ** 20,
    vmHwmMB: hwm ? Number(hwm[1]) / 1024 : null,
  });
}
process.stdout.write(JSON.stringify(result) + '\n');
