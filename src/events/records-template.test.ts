/**
 * The KEEP IN SYNC contract between bpf/trace-exec.bt.tmpl and records.ts, as a test: every printf of
 * every rendered variant (each probed node, with and without --ancestry and --exits) is filled with
 * sample values of its conversions' types, written as bpftrace -f json writes it, and parsed here;
 * each argument must land in the record field the table says.
 */
import { describe, expect, it } from 'vitest';
import { NODES } from '../node/fixtures.test-helpers.js';
import { parseProbe } from '../node/probe.js';
import { renderProgram, type RenderOptions } from '../node/render.js';
import { parseRecord, type TraceRecord } from './records.js';

type Sample = number | bigint | string;

/**
 * Per record tag: sample arguments (a %d takes a number, a %llu a bigint, a %s a string) and the
 * record they must parse to. Strings carry spaces and non-ASCII: the last field takes the rest.
 */
const CONTRACT: Record<string, { args: Sample[]; record: TraceRecord }> = {
  B: { args: [5_000_000_001n], record: { kind: 'clock', monoNs: 5_000_000_001n } },
  K: { args: [5_000_000_002n], record: { kind: 'other', type: 'keepalive' } },
  // Both probes print it, with their end (1 or 2) as the first argument.
  S: { args: [2, 5_000_000_004n], record: { kind: 'tracing', end: 2, monoNs: 5_000_000_004n } },
  'P 1': {
    args: [4_294_967_301n, 3, 'kubepods burstable.slice'],
    record: { kind: 'cgroupName', hier: 1, cgroupId: '4294967301', level: 3, name: 'kubepods burstable.slice' },
  },
  'P 2': {
    args: [4_294_967_302n, 0, 'cri-containerd-ü.scope'],
    record: { kind: 'cgroupName', hier: 2, cgroupId: '4294967302', level: 0, name: 'cri-containerd-ü.scope' },
  },
  E: {
    args: [101, 102, 103, 104, 5_000_000_003n, 4_294_967_302n, 4_294_967_301n, 3, '/usr/bin/grüße now'],
    record: {
      kind: 'execEnter',
      key: '101:5000000003',
      tid: 101,
      pid: 102,
      ppid: 103,
      uid: 104,
      monoNs: 5_000_000_003n,
      cg2: '4294967302',
      cg1: '4294967301',
      argc: 3,
      filename: '/usr/bin/grüße now',
    },
  },
  A: { args: [101, 5_000_000_003n, 2, 'an arg'], record: { kind: 'execArg', key: '101:5000000003', tid: 101, index: 2, arg: 'an arg' } },
  // tid, retval (negative: -ENOENT), enter time, upper (0 | 1 | 2), comm.
  // tid, retval (negative: -ENOENT), enter time, props (upper 1 | memfd 4 | deleted 8 | exec'd 32), tty,
  // loginuid + 1, sessionid + 1, leader, cwd id, exe id, comm.
  X: {
    args: [101, -2, 5_000_000_003n, 45, 142_606_339n, 1001n, 5n, 4100, 18_000_000_000_000_000_001n, 7n, 'kworker/0:1 x'],
    record: {
      kind: 'execReturn',
      key: '101:5000000003',
      tid: 101,
      retval: -2,
      upper: 1,
      memfd: true,
      deleted: true,
      tree: 2,
      tty: 142_606_339,
      loginUid: 1000,
      sessionId: 4,
      leader: 4100,
      cwdId: '18000000000000000001',
      exeId: '7',
      comm: 'kworker/0:1 x',
    },
  },
  D: {
    args: [18_000_000_000_000_000_001n, 2, 'my dir ü'],
    record: { kind: 'pathName', pathId: '18000000000000000001', level: 2, name: 'my dir ü' },
  },
  F: {
    args: [101, 5_000_000_003n, 4n, '/bin/sh'],
    record: { kind: 'rereadFilename', key: '101:5000000003', tid: 101, argc: 4, filename: '/bin/sh' },
  },
  R: { args: [101, 5_000_000_003n, 1n, '-c x'], record: { kind: 'rereadArg', key: '101:5000000003', tid: 101, index: 1, arg: '-c x' } },
  C: { args: [102, 105, 5_000_000_004n, 'sh c'], record: { kind: 'fork', ppid: 102, pid: 105, monoNs: 5_000_000_004n, comm: 'sh c' } },
  Q: { args: [105, 5_000_000_005n], record: { kind: 'gone', pid: 105, monoNs: 5_000_000_005n } },
  Z: {
    args: [102, 5_000_000_003n, 5_000_000_006n, 256 * 3],
    record: { kind: 'processEnd', pid: 102, execMonoNs: 5_000_000_003n, monoNs: 5_000_000_006n, status: 768 },
  },
};

/** The printf formats of a bpftrace program, escapes resolved (only \n is used). */
function printfFormats(program: string): string[] {
  return [...program.matchAll(/\bprintf\("((?:[^"\\]|\\.)*)"/g)].map((m) => m[1]!.replace(/\\n/g, '\n'));
}

/** The format's tag: its text before the first conversion, trimmed ("E", "P 2"). */
const tagOf = (format: string): string => format.slice(0, format.indexOf('%')).trim();

/** Fills a format as bpftrace's printf does, checking each sample's type against its conversion. */
function fill(format: string, args: Sample[]): string {
  const conversions = [...format.matchAll(/%(d|llu|s)/g)].map((m) => m[1]);
  expect(format.replace(/%(d|llu|s)/g, '')).not.toContain('%');
  expect(conversions.map((c) => (c === 'd' ? 'number' : c === 'llu' ? 'bigint' : 'string'))).toEqual(args.map((a) => typeof a));
  let i = 0;
  return format.replace(/%(d|llu|s)/g, () => String(args[i++]));
}

/** A printf record as bpftrace -f json writes it. */
const jsonLine = (text: string): string => `{"type": "printf", "data": ${JSON.stringify(text)}}`;

const VARIANTS: [string, RenderOptions][] = [
  ['', {}],
  [' --ancestry', { ancestry: true }],
  [' --exits', { exits: true }],
  [' --ancestry --exits', { ancestry: true, exits: true }],
];

const CASES = Object.keys(NODES).flatMap((node) =>
  VARIANTS.map(([flags, opts]) => [`${node}${flags}`, node as keyof typeof NODES, opts] as const),
);

describe('every printf of the bpftrace program parses as records.ts expects', () => {
  it.each(CASES)('%s', (_name, node, opts) => {
    const formats = printfFormats(renderProgram(parseProbe(NODES[node]), opts).program);
    expect(formats.length).toBeGreaterThan(0);
    for (const format of formats) {
      const tag = tagOf(format);
      const contract = CONTRACT[tag];
      if (!contract) expect.fail(`printf "${format}" has no entry in the contract: teach records.ts and this table its tag "${tag}"`);
      expect(format.endsWith('\n') && !format.slice(0, -1).includes('\n')).toBe(true);
      const text = fill(format, contract.args);
      expect(parseRecord(jsonLine(text)), format).toEqual(contract.record);
      // bpftrace escapes bytes >= 0x80 (0.17: as \uffffffXX): the slow path must read the same.
      const escaped = jsonLine(text).replace(/[^\u0000-\u007f]/g, (c) =>
        [...Buffer.from(c)].map((b) => `\\uffffff${b.toString(16)}`).join(''),
      );
      expect(parseRecord(escaped), format).toEqual(contract.record);
    }
  });

  it('each tag of the contract is printed by some variant (no stale entries)', () => {
    const printed = new Set(
      CASES.flatMap(([, node, opts]) => printfFormats(renderProgram(parseProbe(NODES[node]), opts).program).map(tagOf)),
    );
    expect([...printed].sort()).toEqual(Object.keys(CONTRACT).sort());
  });
});
