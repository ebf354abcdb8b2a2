/**
 * When the nodes count (perExecNeededBy), and that counting gives the summary per-exec mode gives:
 * one recorded bpftrace output, decoded per exec, and passed through the real batcher (perl) in
 * counting mode and decoded from its counts, each joined and summed by the run's own sink.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CountingDecoder } from '../events/counts-decoder.js';
import { TraceDecoder } from '../events/decoder.js';
import { Joiner } from '../join/join.js';
import { createPrinter, type OutputFormat } from '../output/index.js';
import { COUNT_EVERY_S, tracerStdin } from '../node/tracer-command.js';
import type { Writable } from 'node:stream';
import { perExecNeededBy } from './node-counts.js';
import { EventSink } from './sink.js';
import { NO_FILTERS } from '../output/fixtures.test-helpers.js';

const BATCHER = fileURLToPath(new URL('../../bpf/batcher.pl', import.meta.url));

describe('perExecNeededBy', () => {
  const base = {
    output: 'summary' as OutputFormat,
    summaryTo: null,
    summaryFormat: 'text' as const,
    ancestry: false,
    exits: false,
    timelineTo: null,
    baseline: null,
    maxEvents: null,
    filters: NO_FILTERS,
  };
  it.each([
    ['-o summary', {}, null],
    ['-o summary --summary-to F', { summaryTo: 'F' }, null],
    [
      '-o summary -c/-l/--comm/--host (decided per cgroup and command)',
      { filters: { ...NO_FILTERS, container: ['a'], selector: 'a=b', comm: [/x/], host: true } },
      null,
    ],
    ['-o table', { output: 'table' }, '-o table'],
    ['-o json --summary-to F', { output: 'json', summaryTo: 'F' }, '-o json'],
    ['--summary-format markdown (lists failed execs)', { summaryTo: 'F', summaryFormat: 'markdown' }, '--summary-format markdown'],
    ['--exits', { exits: true }, '--exits'],
    ['--ancestry', { ancestry: true }, '--ancestry'],
    ['--timeline-to', { timelineTo: 'T' }, '--timeline-to'],
    ['--baseline', { baseline: {} }, '--baseline'],
    ['--max-events', { maxEvents: 5 }, '--max-events'],
    ['--failed', { filters: { ...NO_FILTERS, failed: true } }, '--failed'],
    ['--drift', { filters: { ...NO_FILTERS, drift: true } }, '--drift'],
    ['--sessions', { filters: { ...NO_FILTERS, sessions: true } }, '--sessions'],
    ['--no-probes', { filters: { ...NO_FILTERS, noProbes: true } }, '--no-probes'],
  ])('%s', (_name, over, want) => {
    expect(perExecNeededBy({ ...base, ...over } as Parameters<typeof perExecNeededBy>[0])).toBe(want);
  });
});

const UID = '3f8e5a1c_2b7d_4c9e_8f10_6a5b4c3d2e1f';
const CID = (n: number) => `${String(n).repeat(64)}`;
/** cgroup id → path components from the leaf ('' = the hierarchy's root). */
const CGROUPS: Record<number, string[]> = {
  71: [`cri-containerd-${CID(1)}.scope`, `kubepods-burstable-pod${UID}.slice`, 'kubepods-burstable.slice', 'kubepods.slice', ''],
  72: [`cri-containerd-${CID(2)}.scope`, `kubepods-burstable-pod${UID}.slice`, 'kubepods-burstable.slice', 'kubepods.slice', ''],
  73: ['cron.service', 'system.slice', ''],
};

/** grüße as bpftrace 0.17 escapes it. */
const GRUSSE = 'gr\\uffffffc3\\uffffffbc\\uffffffc3\\uffffff9fe';

const rec = (text: string): string => `{"type": "printf", "data": "${text}\\n"}\n`;

/** A node's bpftrace output: plain execs, failures, PATH searches, a session, drift, unfinished ones. */
function recording(): string {
  const out = ['{"type": "attached_probes", "data": {"probes": 5}}\n', rec('B 1000000000')];
  for (const [id, names] of Object.entries(CGROUPS)) names.forEach((n, l) => out.push(rec(`P 2 ${id} ${l} ${n}`)));
  let tid = 5000;
  let ns = 2_000_000_000;
  const exec = (
    cg: number,
    file: string,
    args: string[],
    comm: string,
    o: { ret?: number; props?: number; leader?: number; sameTid?: boolean } = {},
  ) => {
    if (!o.sameTid) tid++;
    ns += 1_000_000 + (tid % 7) * 10_000;
    out.push(rec(`E ${tid} ${tid} 1 0 ${ns} ${cg} 0 ${args.length} ${file}`));
    args.forEach((a, i) => out.push(rec(`A ${tid} ${ns} ${i} ${a}`)));
    out.push(rec(`X ${tid} ${o.ret ?? 0} ${ns} ${o.props ?? 0} 0 0 0 ${o.leader ?? 0} 0 0 ${comm}`));
  };
  for (let i = 0; i < 300; i++) {
    const cg = [71, 72, 73][i % 3]!;
    exec(cg, '/bin/true', ['true', String(i % 4)], 'true');
    if (i % 5 === 0) exec(cg, `/missing-${i % 2}`, [`missing-${i % 2}`], 'sh', { ret: -2 });
    if (i % 7 === 0) {
      // dash's PATH search: two failed attempts and the one that ran, by one process.
      exec(cg, '/usr/local/sbin/ls', ['ls', '-l'], 'sh', { ret: -2 });
      exec(cg, '/usr/local/bin/ls', ['ls', '-l'], 'sh', { ret: -2, sameTid: true });
      exec(cg, '/usr/bin/ls', ['ls', '-l'], 'ls', { sameTid: true });
    }
    if (i % 11 === 0) exec(cg, `/usr/bin/${GRUSSE}`, [GRUSSE, 'a b'], GRUSSE);
  }
  // A kubectl exec session (entered from outside) in container 2, and a file from its writable layer.
  exec(72, '/bin/sh', ['sh'], 'sh', { props: 0x20, leader: 9999 });
  exec(72, '/bin/cat', ['cat', '/etc/hosts'], 'cat', { props: 0x20, leader: 9999 });
  exec(72, '/tmp/dropped', ['/tmp/dropped'], 'dropped', { props: 0x11 });
  return out.join('');
}

const WALL = 1_700_000_000_000;

/** The summary the run prints for this stream, decoded per exec or from counts. */
function summarize(stream: string, counting: boolean): string {
  const lines: string[] = [];
  const printer = createPrinter('summary', { write: (l) => lines.push(l), width: null });
  const sink = new EventSink({
    keep: () => true,
    selfPid: null,
    includeSelf: false,
    maxEvents: null,
    printer,
    digest: null,
    timeline: null,
    full: () => {},
  });
  const joiner = new Joiner(null, { node: 'worker-1' });
  const Decoder = counting ? CountingDecoder : TraceDecoder;
  const decoder = new Decoder(
    { strlen: 200, levels: 8, argsMax: 32 },
    { event: (e) => joiner.push(e, WALL).forEach((a) => sink.event(a)), notice: () => {} },
    () => WALL,
  );
  decoder.push(stream);
  decoder.end();
  sink.flush();
  printer.end();
  return `${lines.join('\n')}\nexecs ${sink.counts.events}, shown ${sink.counts.shown}`;
}

function batch(input: string): Promise<string> {
  const child = spawn('perl', [BATCHER, '/nonexistent/pid', '', '0'], {
    stdio: ['pipe', 'pipe', 'inherit', 'ignore', 'ignore', 'pipe'],
    env: { ...process.env, TRACE_EXEC_COUNTS: `${COUNT_EVERY_S} 32 0` },
  });
  (child.stdio as unknown as Writable[])[5]!.end(tracerStdin({ bpftrace: [], batch: true, counts: { argsMax: 32, selfPid: 0 } }));
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stdin!.end(input);
  return new Promise((r) => child.once('close', () => r(out)));
}

describe('counting on the node', () => {
  it('gives the summary per-exec mode gives: rows, commands, failures, times, drift, sessions, totals', async () => {
    const input = recording();
    const perExec = summarize(input, false);
    const sent = await batch(input);
    const counted = summarize(sent, true);
    expect(counted).toBe(perExec);
    // What it is about: the rows, the drift table and the session are all there.
    expect(perExec).toMatch(/pod-uid:3f8e5a1c/);
    expect(perExec).toMatch(/cron\.service/);
    expect(perExec).toMatch(/dropped×1/);
    expect(perExec).toMatch(/cat \/etc\/hosts/);
    // c1 and c2 are one row (no pod record: no container name); grüße is one of its 6 commands.
    expect(perExec).toMatch(/pod-uid:3f8e5a1c │ - +│ +291 │ +6 │ +40 │/);
    expect(sent.length).toBeLessThan(input.length / 20);
  });
});
