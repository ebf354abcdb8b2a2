import { describe, expect, it } from 'vitest';
import { makeCorpus } from '../trace/corpus.test-helpers.js';
import { ExecAssembler } from './assemble.js';
import { TraceDecoder } from './decoder.js';
import { parseRecord } from './records.js';
import { UNKNOWN_CONTEXT, type ExecEvent, type StreamNotice } from './types.js';

const POD_UID = '3f8e5a1c_2b7d_4c9e_8f10_6a5b4c3d2e1f';
const CID = 'a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90';
const SCOPE = `cri-containerd-${CID}.scope`;
const POD_SLICE = `kubepods-burstable-pod${POD_UID}.slice`;

/**
 * What `bpftrace -f json` wrote on a node: execs in a container (one still running at the end), a
 * PATH search whose failed exit came first, lost events, noise. The grüße argument is in bpftrace
 * 0.17's \uffffffXX escapes, the 日本語 lines in the UTF-8 newer versions write: both decode alike.
 */
const RECORDED = String.raw`{"type": "attached_probes", "data": {"probes": 45}}
{"type": "printf", "data": "B 1000000000\n"}
{"type": "printf", "data": "S 1 1000000020\n"}
{"type": "printf", "data": "S 2 1000000040\n"}
{"type": "printf", "data": "E 4299 4299 4100 0 1001500000 7421 0 3 /usr/bin/ls\n"}
{"type": "printf", "data": "P 2 7421 0 ${SCOPE}\n"}
{"type": "printf", "data": "P 2 7421 1 ${POD_SLICE}\n"}
{"type": "printf", "data": "P 2 7421 2 kubepods-burstable.slice\n"}
{"type": "printf", "data": "P 2 7421 3 kubepods.slice\n"}
{"type": "printf", "data": "P 2 7421 4 \n"}
{"type": "printf", "data": "A 4299 1001500000 0 ls\n"}
{"type": "printf", "data": "A 4299 1001500000 1 -l\n"}
{"type": "printf", "data": "A 4299 1001500000 2 gr\uffffffc3\uffffffbc\uffffffc3\uffffff9fe \uffffffe2\uffffff9c\uffffff93\n"}
{"type": "printf", "data": "X 4300 -2 1002000000 0 0 0 0 0 0 0 bash\n"}
{"type": "printf", "data": "X 4299 0 1001500000 2 0 0 0 0 0 0 ls\n"}
{"type": "lost_events", "data": {"events": 12}}
{"type": "printf", "data": "E 4300 4300 4100 1000 1002000000 7421 0 1 /usr/local/bin/日本語\n"}
{"type": "printf", "data": "A 4300 1002000000 0 日本語\n"}
this is not json
{"type": "printf", "data": "K 21000000000\n"}
{"type": "printf", "data": "E 4300 4300 4100 1000 1003000000 7421 0 1 /usr/bin/日本語\n"}
{"type": "printf", "data": "A 4300 1003000000 0 日本語\n"}
{"type": "printf", "data": "X 4300 0 1003000000 1 0 0 0 0 0 0 日本語\n"}
{"type": "printf", "data": "E 4301 4301 4300 1000 1004000000 7421 0 1 /bin/sleep\n"}
{"type": "printf", "data": "A 4301 1004000000 0 sleep\n"}


{"type": "map", "data": {"@start": {}}}
`;

const CGROUP = `/kubepods.slice/kubepods-burstable.slice/${POD_SLICE}/${SCOPE}`;
const WALL = 1_700_000_000_000;

/** Deterministic PRNG (mulberry32), so a failing split can be replayed. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Cuts bytes into chunks of 1..maxSize bytes, anywhere (mid-line, mid-character). */
function chunks(bytes: Uint8Array, seed: number, maxSize: number): Uint8Array[] {
  const next = random(seed);
  const out: Uint8Array[] = [];
  for (let at = 0; at < bytes.length; ) {
    const size = 1 + Math.floor(next() * maxSize);
    out.push(bytes.subarray(at, at + size));
    at += size;
  }
  return out;
}

function decode(input: (Uint8Array | string)[]): { events: ExecEvent[]; notices: StreamNotice[]; decoder: TraceDecoder } {
  const events: ExecEvent[] = [];
  const notices: StreamNotice[] = [];
  const decoder = new TraceDecoder(
    { strlen: 200, levels: 8, holdMs: 1000 },
    { event: (e) => events.push(e), notice: (n) => notices.push(n) },
    () => WALL,
  );
  for (const c of input) decoder.push(c);
  decoder.end();
  return { events, notices, decoder };
}

describe('TraceDecoder', () => {
  const bytes = new TextEncoder().encode(RECORDED);
  const whole = decode([bytes]);

  it('decodes a recorded stream into execs', () => {
    expect(whole.events).toEqual<ExecEvent[]>([
      {
        timeMs: WALL + 1.5,
        pid: 4299,
        tid: 4299,
        ppid: 4100,
        uid: 0,
        comm: 'ls',
        filename: '/usr/bin/ls',
        args: ['ls', '-l', 'grüße ✓'],
        argsTruncated: false,
        retval: 0,
        cgroupV2: CGROUP,
        cgroupV1: null,
        upperLayer: false,
        ...UNKNOWN_CONTEXT,
        // A successful exec's new program: neither a memfd nor deleted.
        exeFromMemfd: false,
        exeDeleted: false,
      },
      {
        timeMs: WALL + 2,
        pid: 4300,
        tid: 4300,
        ppid: 4100,
        uid: 1000,
        comm: 'bash',
        filename: '/usr/local/bin/日本語',
        args: ['日本語'],
        argsTruncated: false,
        retval: -2,
        cgroupV2: CGROUP,
        cgroupV1: null,
        upperLayer: null,
        ...UNKNOWN_CONTEXT,
      },
      {
        timeMs: WALL + 3,
        pid: 4300,
        tid: 4300,
        ppid: 4100,
        uid: 1000,
        comm: '日本語',
        filename: '/usr/bin/日本語',
        args: ['日本語'],
        argsTruncated: false,
        retval: 0,
        cgroupV2: CGROUP,
        cgroupV1: null,
        upperLayer: true,
        ...UNKNOWN_CONTEXT,
        // A successful exec's new program: neither a memfd nor deleted.
        exeFromMemfd: false,
        exeDeleted: false,
      },
      // Still running when the stream ended: flushed by end() without its exit.
      {
        timeMs: WALL + 4,
        pid: 4301,
        tid: 4301,
        ppid: 4300,
        uid: 1000,
        comm: '',
        filename: '/bin/sleep',
        args: ['sleep'],
        argsTruncated: false,
        retval: null,
        cgroupV2: CGROUP,
        cgroupV1: null,
        upperLayer: null,
        ...UNKNOWN_CONTEXT,
      },
    ]);
  });

  it.each<[string, string[], bigint | null]>([
    ['B alone: BEGIN ran, the probes are not attached yet', ['B 1'], null],
    ['one end only', ['B 1', 'S 1 2'], null],
    ['both ends', ['B 1', 'S 1 2', 'S 2 3'], 3n],
    ['both ends, the last one first (bpftrace 0.13 attaches in reverse)', ['B 1', 'S 2 2', 'S 1 3'], 3n],
    ['an end twice: said once', ['B 1', 'S 1 2', 'S 2 3', 'S 1 4', 'S 2 5'], 3n],
    ['a bad S record is no end', ['B 1', 'S 1 2', 'S 3 3', 'S 2 x', 'S 4'], null],
  ])('tracing starts when both S records came: %s', (_what, texts, at) => {
    const d = decode([texts.map((t) => `{"type": "printf", "data": "${t}\\n"}\n`).join('')]);
    expect(d.notices.filter((n) => n.kind === 'started')).toEqual(at === null ? [] : [{ kind: 'started', monoNs: at }]);
  });

  it('reports started, lost and malformed as notices, in stream order', () => {
    expect(whole.notices).toEqual<StreamNotice[]>([
      { kind: 'started', monoNs: 1_000_000_040n },
      { kind: 'lost', count: 12 },
      { kind: 'malformed', line: 'this is not json', reason: 'not JSON' },
    ]);
    expect(whole.decoder.stats).toEqual({ events: 4, incomplete: 1, orphanReturns: 0, unknownEnds: 0, lost: 12, malformed: 1 });
  });

  it.each([
    [1, 1],
    [2, 3],
    [3, 7],
    [4, 16],
    [5, 64],
    [6, 300],
    [7, 4096],
  ])('gives the same result fed in random chunks (seed %i, up to %i bytes)', (seed, maxSize) => {
    const split = decode(chunks(bytes, seed, maxSize));
    expect(split.events).toEqual(whole.events);
    expect(split.notices).toEqual(whole.notices);
    expect(split.decoder.stats).toEqual(whole.decoder.stats);
  });

  it('gives the same result fed as strings, line by line', () => {
    const split = decode(RECORDED.split(/(?<=\n)/));
    expect(split.events).toEqual(whole.events);
  });

  it('end() flushes a last line without newline', () => {
    const { events } = decode([
      '{"type": "printf", "data": "E 1 1 0 0 5 0 0 0 /bin/true\\n"}\n',
      '{"type": "printf", "data": "X 1 0 5 0 0 0 0 0 0 0 true\\n"}',
    ]);
    expect(events).toMatchObject([{ tid: 1, filename: '/bin/true', retval: 0, comm: 'true' }]);
  });

  it('tick() emits the execs that waited longer than holdMs', () => {
    let now = WALL;
    const events: ExecEvent[] = [];
    const decoder = new TraceDecoder(
      { strlen: 200, levels: 8, holdMs: 1000 },
      { event: (e) => events.push(e), notice: () => {} },
      () => now,
    );
    decoder.push('{"type": "printf", "data": "E 1 1 0 0 5 0 0 0 /bin/sleep\\n"}\n');
    decoder.tick();
    expect(events).toEqual([]);
    now += 999;
    decoder.tick();
    expect(events).toEqual([]);
    now += 1;
    decoder.tick();
    expect(events).toMatchObject([{ filename: '/bin/sleep', retval: null }]);
    expect(decoder.stats.incomplete).toBe(1);
  });
});

/**
 * The decoder reads the records of an exec in place (no record objects); every line must still mean
 * exactly what parseRecord() makes of it, fed to the assembler as a record object.
 */
describe('TraceDecoder reads records as parseRecord + ExecAssembler.push do', () => {
  /** The reference: one line at a time, a record object each. */
  function byRecords(lines: string[]): { events: ExecEvent[]; stats: unknown } {
    const a = new ExecAssembler({ strlen: 200, levels: 8, holdMs: 1000 });
    const events: ExecEvent[] = [];
    for (const line of lines) {
      const rec = parseRecord(line.endsWith('\r') ? line.slice(0, -1) : line);
      if (rec) events.push(...a.push(rec, WALL));
    }
    events.push(...a.expire(WALL, true));
    return { events, stats: a.stats };
  }

  it.each([
    ['the recorded stream', RECORDED],
    ['a large varied stream (the corpus)', makeCorpus(7, 3000).bytes.toString()],
  ])('%s', (_name, text) => {
    const lines = text.split('\n');
    lines.pop();
    const reference = byRecords(lines);
    const decoded = decode([text]);
    expect(decoded.events.length).toBeGreaterThan(3);
    expect(decoded.events).toEqual(reference.events);
    expect(decoded.decoder.stats).toEqual(reference.stats);
  });

  const printf = (text: string) => `{"type": "printf", "data": "${text}\\n"}`;
  it.each([
    // Well-formed, and what the in-place readers must turn down exactly as parseRecord does.
    'E 1 1 0 0 5 0 0 1 /bin/true',
    'E 1 1 0 0 5 0 0 0',
    'E -1 1 0 0 5 0 0 0 /bin/true',
    'E 1 1 0 0 -5 0 0 0 /bin/true',
    'E 1 1 0 0 0005 0 0 0 /bin/true',
    'E 12345678901234567890 1 0 0 5 0 0 0 /bin/true',
    'E 1 2 3 4 5 6 7',
    'E 1 2 3 4 5 6 7 x /bin/sh',
    'E 1 2 3 4 5 6 7 8 ',
    'E1 1 0 0 5 0 0 0 x',
    'A 1 5 0 true',
    'A 1 5 0 ',
    'A 1 5 0',
    'A 1 5 -1 x',
    'A 1 -5 0 x',
    'A -1 5 0 x',
    'A 1 5 x',
    'X 1 0 5 0 0 0 0 0 0 0 true',
    'X 1 0 5 0 0 0 0 0 0 0 -true',
    'X 1 0 5 0 0 0 0 0 0 0',
    'X 1 0 5 0 0 0 0 0 0 0 ',
    'X 1 -2 5 0 0 0 0 0 0 0 true',
    'X 1 0 5 3 0 0 0 0 0 0 sh',
    'X 1 0 5 48 0 0 0 0 0 0 sh',
    'X 1 0 5 64 0 0 0 0 0 0 sh',
    'X 1 0 5 0 -1 0 0 0 0 0 sh',
    'X 1 0 5 0 0 0 0 0 0 -7 sh',
    'X 1 0 5 0 0 0 0 0 0',
    'X 1 oops 5 sh',
    'X 1 0 5 45 142606339 1001 5 4100 18000000000000000001 7 kworker/0:1 x',
  ])('%j', (text) => {
    // Each line with the other records of its exec around it, so that a well-formed one completes.
    const lines = [
      printf('B 1'),
      printf('S 1 2'),
      printf('S 2 3'),
      text.startsWith('E') ? printf(text) : printf('E 1 1 0 0 5 0 0 1 /bin/true'),
      text.startsWith('A') ? printf(text) : printf('A 1 5 0 true'),
      text.startsWith('X') ? printf(text) : printf('X 1 0 5 0 0 0 0 0 0 0 true'),
      printf('X 1 0 5 0 0 0 0 0 0 0 again'),
    ];
    const whole = `${lines.join('\r\n')}\r\n`;
    expect(decode([whole]).events).toEqual(byRecords(whole.split('\n').slice(0, -1)).events);
    expect(decode([whole]).notices).toEqual(
      whole
        .split('\n')
        .slice(0, -1)
        .map((l) => parseRecord(l.slice(0, -1)))
        .flatMap((r): StreamNotice[] =>
          r?.kind === 'tracing' && r.end === 2
            ? [{ kind: 'started', monoNs: r.monoNs }]
            : r?.kind === 'malformed'
              ? [{ kind: 'malformed', line: r.line, reason: r.reason }]
              : [],
        ),
    );
  });
});
