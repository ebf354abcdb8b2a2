/**
 * A simulated node (simulated-node.ts) and the replay it sends (trace-replay.ts), through the real
 * client path: trace-exec's ExecRunner on client-node's Exec, with the very commands trace-exec sends,
 * and the stream read back with trace-exec's own decoder. Nothing is mocked.
 */
import { KubeConfig } from '@kubernetes/client-node';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { TraceDecoder } from '../../src/events/decoder.js';
import { parseRecord } from '../../src/events/records.js';
import type { ExecEvent, StreamNotice } from '../../src/events/types.js';
import { ExecRunner } from '../../src/kube/exec-runner.js';
import { NODES } from '../../src/node/fixtures.test-helpers.js';
import { PROBE_COMMAND, parseProbe } from '../../src/node/probe.js';
import { bpftraceCommand, renderProgram } from '../../src/node/render.js';
import { leaseTiming } from '../../src/node/lease.js';
import { startApiServer, type ApiServer } from './index.js';
import { SimulatedNode, type SimulatedNodeOptions } from './simulated-node.js';
import { printfRecord as printf, REPLAY_CLOCK_NS, TraceReplay } from './trace-replay.js';

const UID = '1b4e28ba-2fa1-11d2-883f-0016d3cca427';
const CID = 'c0ffee'.padEnd(64, '0');
const PROBE = NODES['bpftrace-0.17-hybrid-6.18'];

/**
 * A bpftrace 0.17 recording: two execs in the pod's container (one with its exit record first, one
 * interleaved with a host exec), a host exec, a later exec that reused a pid, and a cut last line.
 */
function recording(): string {
  const pod = [
    '',
    'kubepods.slice',
    'kubepods-burstable.slice',
    `kubepods-burstable-pod${UID.replaceAll('-', '_')}.slice`,
    `crio-${CID}.scope`,
  ];
  return [
    '{"type": "attached_probes", "data": {"probes": 4}}',
    printf('B 5000000000'),
    ...pod.reverse().map((name, level) => printf(`P 2 11 ${level} ${name}`)),
    ...['sshd.service', 'system.slice', ''].map((name, level) => printf(`P 2 22 ${level} ${name}`)),
    printf('X 101 0 5000001000 0 0 0 0 0 0 0 true'),
    printf('E 101 101 100 0 5000001000 11 0 1 /bin/true'),
    printf('A 101 5000001000 0 true'),
    printf('E 102 102 100 0 5000002000 11 0 2 /bin/sh'),
    printf('E 201 201 1 0 5000002500 22 0 1 /usr/bin/id'),
    printf('A 102 5000002000 0 sh'),
    printf('A 201 5000002500 0 id'),
    printf('A 102 5000002000 1 -c'),
    printf('X 201 0 5000002500 0 0 0 0 0 0 0 id'),
    printf('X 102 0 5000002000 0 0 0 0 0 0 0 sh'),
    printf('E 101 101 100 0 5000009000 11 0 1 /bin/true'),
    printf('A 101 5000009000 0 true'),
    printf('X 101 0 5000009000 0 0 0 0 0 0 0 true'),
    '{"type": "printf", "da',
  ].join('\n');
}

describe('TraceReplay', () => {
  it("keeps the D records of the kept execs' paths (cwd, exe) in the header, and no others", () => {
    const withPaths = recording()
      .replace(
        printf('X 101 0 5000001000 0 0 0 0 0 0 0 true'),
        [printf('D 7 0 tmp'), printf('D 7 1 '), printf('X 101 0 5000001000 0 0 0 0 0 7 8 true')].join('\n'),
      )
      .replace(
        printf('X 201 0 5000002500 0 0 0 0 0 0 0 id'),
        [printf('D 9 0 '), printf('D 8 0 true'), printf('D 8 1 '), printf('X 201 0 5000002500 0 0 0 0 0 9 8 id')].join('\n'),
      );
    const header = TraceReplay.fromRecording(withPaths, { cgroupIncludes: CID })
      .header.trimEnd()
      .split('\n')
      .map((l) => parseRecord(l));
    expect(header.filter((r) => r?.kind === 'pathName')).toEqual([
      { kind: 'pathName', pathId: '7', level: 0, name: 'tmp' },
      { kind: 'pathName', pathId: '7', level: 1, name: '' },
      { kind: 'pathName', pathId: '8', level: 0, name: 'true' },
      { kind: 'pathName', pathId: '8', level: 1, name: '' },
    ]);
  });

  it('keeps whole execs of the chosen cgroup, distinct pids, and the header a tracer starts with', () => {
    const replay = TraceReplay.fromRecording(recording(), { cgroupIncludes: CID });
    expect(replay.execs).toBe(2); // the host exec is not in the pod, and pid 101's second exec is a reuse
    expect(Array.from(replay.records)).toEqual([3, 4]);
    const header = replay.header
      .trimEnd()
      .split('\n')
      .map((l) => parseRecord(l));
    expect(header.map((r) => r?.kind)).toEqual([
      'attached',
      'clock',
      'tracing',
      'tracing',
      'cgroupName',
      'cgroupName',
      'cgroupName',
      'cgroupName',
      'cgroupName',
    ]);
    expect(header[1]).toEqual({ kind: 'clock', monoNs: BigInt(REPLAY_CLOCK_NS) });
    // Both ends: the replayed tracer traces from its first byte.
    expect(header.slice(2, 4)).toEqual([
      { kind: 'tracing', end: 1, monoNs: BigInt(REPLAY_CLOCK_NS) },
      { kind: 'tracing', end: 2, monoNs: BigInt(REPLAY_CLOCK_NS) },
    ]);
    expect(TraceReplay.fromRecording(recording()).execs).toBe(3);
  });

  it('writes an exec with a new key in every record that carried the old one', () => {
    const replay = TraceReplay.fromRecording(recording(), { cgroupIncludes: CID });
    const buf = Buffer.alloc(replay.size(1));
    const key = REPLAY_CLOCK_NS + 123_456_789;
    expect(replay.write(3, key, buf, 0)).toBe(buf.length); // exec 3 is exec 1 of the next copy
    const records = buf
      .toString()
      .trimEnd()
      .split('\n')
      .map((l) => parseRecord(l)!);
    expect(records.map((r) => r.kind)).toEqual(['execEnter', 'execArg', 'execArg', 'execReturn']);
    for (const r of records) {
      const mono = r.kind === 'execEnter' ? r.monoNs : 'key' in r ? BigInt(r.key.split(':')[1]!) : null;
      expect(mono).toBe(BigInt(key));
    }
    expect(records[0]).toMatchObject({ tid: 102, pid: 102, argc: 2 });
  });
});

describe('a simulated node behind the stand-in', () => {
  let api: ApiServer;
  let kc: KubeConfig;

  beforeEach(async () => {
    api = await startApiServer({ podStartDelayMs: 20 });
    kc = new KubeConfig();
    kc.loadFromFile(api.kubeconfigPath);
  });
  afterEach(async () => {
    await api.close();
  });

  const simulate = (opts: Partial<SimulatedNodeOptions>): SimulatedNode => {
    const sim = new SimulatedNode({
      probeOutput: PROBE,
      replay: TraceReplay.fromRecording(recording(), { cgroupIncludes: CID }),
      eventsPerSec: 2000,
      ...opts,
    });
    api.addNode('sim-1', { simulated: sim });
    api.addPod({
      metadata: { namespace: 'default', name: 'debug' },
      spec: { nodeName: 'sim-1', containers: [{ name: 'debugger', image: 'debug' }] },
    });
    return sim;
  };
  const runner = (): ExecRunner =>
    new ExecRunner(
      kc,
      { namespace: 'default', name: 'debug', container: 'debugger' },
      { pid: '/tmp/debug.pid', program: '/tmp/debug.bt', lease: '/tmp/debug.lease' },
      api.url,
      leaseTiming(),
    );

  /** Probe, stage and start as trace-exec does; the tracer's frames and decoded stream are collected. */
  async function startTracer(r: ExecRunner) {
    const rendered = renderProgram(parseProbe(await r.run(PROBE_COMMAND)));
    const file = await r.stage(rendered.program);
    const frames: Buffer[] = [];
    const events: ExecEvent[] = [];
    const notices: StreamNotice[] = [];
    const decoder = new TraceDecoder(
      { strlen: rendered.strlen, levels: rendered.levels },
      { event: (e) => events.push(e), notice: (n) => notices.push(n) },
    );
    const handle = await r.start(
      { bpftrace: bpftraceCommand(rendered, file), batch: true },
      {
        stdout: (c) => {
          frames.push(Buffer.from(c));
          decoder.push(c);
        },
      },
    );
    return { file, handle, frames, events, notices, decoder };
  }

  it('answers the probe, the staging, the tracer and the stop as a node would', async () => {
    const newUid = UID.replace('1b4e', '9999');
    const sim = simulate({ rename: { [CID]: CID.replace('c0ffee', 'beef00'), [UID.replaceAll('-', '_')]: newUid.replaceAll('-', '_') } });
    const r = runner();
    expect(await r.run(PROBE_COMMAND)).toBe(PROBE);
    expect(await r.run(['sh', '-c', 'anything else'])).toBe('');
    const t = await startTracer(r);
    expect(t.file).toBe('/tmp/debug.bt');
    await new Promise((resolve) => setTimeout(resolve, 550));
    await t.handle.stop();
    expect((await t.handle.done).code).toBe(0);
    t.decoder.end();

    const [run] = sim.runs;
    expect(sim.runs).toHaveLength(1);
    expect(run!.stoppedAt).not.toBeNull();
    expect(run!.endedAt).not.toBeNull();
    expect(run!.dropped).toBe(0);
    expect(run!.execs).toBeGreaterThan(800); // 2000/s for ~0.55 s
    expect(t.notices[0]).toMatchObject({ kind: 'started' });
    expect(t.decoder.stats).toMatchObject({ incomplete: 0, malformed: 0, lost: 0 });
    // Every exec sent came out once, told apart by (pid, time) as in trace-exec's JSON output.
    expect(t.events).toHaveLength(run!.execs);
    expect(new Set(t.events.map((e) => `${e.pid}@${new Date(e.timeMs).toISOString()}`)).size).toBe(run!.execs);
    expect(new Set(t.events.map((e) => e.cgroupV2))).toEqual(
      new Set([
        `/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${newUid.replaceAll('-', '_')}.slice/crio-${CID.replace('c0ffee', 'beef00')}.scope`,
      ]),
    );
    // The header first (after the API server's empty "connected" frame), then one frame per 100 ms flush.
    const [header, ...flushes] = t.frames.filter((f) => f.length > 0);
    expect(header!.toString()).toContain('"B 2000000000000000\\n"');
    expect(flushes.length).toBeGreaterThanOrEqual(5);
    expect(flushes.length).toBeLessThanOrEqual(8);
    expect(flushes.reduce((n, f) => n + f.length, 0)).toBe(run!.bytes);
  });

  it('flushes at the batch size when it fills before the period, and dies with its pod', async () => {
    const sim = simulate({ eventsPerSec: 20_000, flushBytes: 4096 });
    const t = await startTracer(runner());
    await new Promise((resolve) => setTimeout(resolve, 300));
    api.deletePodRecord('default', 'debug');
    const exit = await t.handle.done;
    expect(exit.code).toBe(143);
    expect(sim.runs[0]!.stoppedAt).toBeNull();
    const flushes = t.frames.filter((f) => f.length > 0).slice(1);
    expect(Math.max(...flushes.map((f) => f.length))).toBeLessThanOrEqual(4096);
    expect(flushes.length).toBeGreaterThan(20); // 20000/s × ~300 B fills 4 KiB every ~0.7 ms: far more than one per 100 ms
  });

  it('holds the replay until told, with the header sent at once', async () => {
    let go!: () => void;
    const sim = simulate({ holdUntil: new Promise<void>((resolve) => (go = resolve)) });
    const t = await startTracer(runner());
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(t.notices.map((n) => n.kind)).toEqual(['started']);
    expect(sim.runs[0]).toMatchObject({ replayFrom: null, execs: 0 });
    go();
    await new Promise((resolve) => setTimeout(resolve, 300));
    await t.handle.stop();
    t.decoder.end();
    expect(sim.runs[0]!.replayFrom).not.toBeNull();
    expect(t.events.length).toBe(sim.runs[0]!.execs);
    expect(t.events.length).toBeGreaterThan(400); // 2000/s for ~0.3 s, counted from go()
    expect(t.events.length).toBeLessThan(900);
  });

  it('drops execs while the client does not read, and says how many records it lost', async () => {
    const sim = simulate({ eventsPerSec: 50_000, backlogLimit: 64 << 10 });
    const url = `${api.url.replace('http', 'ws')}/api/v1/namespaces/default/pods/debug/exec?command=bpftrace&stdout=true`;
    const ws = new WebSocket(url, ['v4.channel.k8s.io'], { headers: { Authorization: `Bearer ${api.token}` } });
    let text = '';
    ws.on('message', (m: Buffer) => (text += m.subarray(1).toString()));
    await new Promise((resolve) => ws.once('open', resolve));
    ws.pause();
    const deadline = Date.now() + 15_000;
    while ((sim.runs[0]?.dropped ?? 0) === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    const run = sim.runs[0]!;
    expect(run.dropped).toBeGreaterThan(0);
    ws.resume();
    while (!text.includes('lost_events') && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    const lost = /\{"type": "lost_events", "data": \{"events": (\d+)\}\}/.exec(text);
    expect(Number(lost?.[1])).toBeGreaterThanOrEqual(run.dropped * 3); // 3 or 4 records per exec
    ws.close();
  }, 30_000);
});
