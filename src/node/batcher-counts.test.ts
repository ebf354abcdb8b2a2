/**
 * bpf/batcher.pl's counting mode on its own (perl, as scripts.test.ts runs it): bpftrace output in,
 * count records (parsed with src/events/counts.ts, the other side of the contract) and what it left
 * whole out.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import type { Writable } from 'node:stream';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { removeTempDirs, tempDir } from '../../test/support/tmp.js';
import { COUNT_HEAD, parseCount, type CountRecord } from '../events/counts.js';
import { COUNT_EVERY_S, tracerStdin } from './tracer-command.js';

const BATCHER = fileURLToPath(new URL('../../bpf/batcher.pl', import.meta.url));
const dir = tempDir('trace-exec-batcher-counts-');
afterAll(removeTempDirs);

const SELF = 777;
const ARGS_MAX = 4;

const rec = (text: string): string => `{"type": "printf", "data": "${text}\\n"}\n`;
/** One exec's records: E, its A records, X (props: bits 0-1 layer, 4-5 tree). */
function exec(o: {
  tid: number;
  ns: number;
  cg?: number;
  ppid?: number;
  file: string;
  args: string[];
  ret?: number;
  props?: number;
  comm: string;
  argc?: number;
}): string[] {
  const argc = o.argc ?? o.args.length;
  return [
    rec(`E ${o.tid} ${o.tid} ${o.ppid ?? 1} 0 ${o.ns} ${o.cg ?? 77} 0 ${argc} ${o.file}`),
    ...o.args.slice(0, ARGS_MAX).map((a, i) => rec(`A ${o.tid} ${o.ns} ${i} ${a}`)),
    rec(`X ${o.tid} ${o.ret ?? 0} ${o.ns} ${o.props ?? 0} 0 0 0 0 5 6 ${o.comm}`),
  ];
}

interface Out {
  text: string;
  counts: CountRecord[];
  /** Lines that are not count records, as written. */
  rest: string[];
  stderr: string;
  code: number | null;
}

function split(text: string): Pick<Out, 'counts' | 'rest'> {
  const counts: CountRecord[] = [];
  const rest: string[] = [];
  for (const l of text.split('\n').filter((x) => x !== '')) {
    if (l.startsWith(COUNT_HEAD)) {
      const c = parseCount(l);
      if (typeof c === 'string') throw new Error(`${c}: ${l}`);
      counts.push(c);
    } else rest.push(`${l}\n`);
  }
  return { counts, rest };
}

/** The counter on fd 5, as the client sends it first on the exec's stdin (tracerStdin). */
const COUNTER = tracerStdin({ bpftrace: [], batch: true, counts: { argsMax: ARGS_MAX, selfPid: SELF } });

/** Starts the batcher with TRACE_EXEC_COUNTS=counting and the counter on fd 5. */
function start(counting: string) {
  const child = spawn('perl', [BATCHER, join(dir, 'none.pid'), '', '0'], {
    stdio: ['pipe', 'pipe', 'pipe', 'ignore', 'ignore', 'pipe'],
    env: { ...process.env, TRACE_EXEC_COUNTS: counting },
  });
  const fd5 = (child.stdio as unknown as Writable[])[5]!;
  fd5.on('error', () => {}); // not counting: the batcher never reads it
  fd5.end(COUNTER);
  return child as unknown as ChildProcessWithoutNullStreams;
}

/** Runs the batcher in counting mode over `input`, written at once; resolves at its exit. */
async function run(input: string, counting = `${COUNT_EVERY_S} ${ARGS_MAX} ${SELF}`): Promise<Out> {
  const child = start(counting);
  let text = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (text += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  child.stdin.end(input);
  const code = await new Promise<number | null>((r) => child.once('close', r));
  return { text, ...split(text), stderr, code };
}

const HEAD = [
  '{"type": "attached_probes", "data": {"probes": 5}}\n',
  rec('B 1000'),
  rec('P 2 77 0 web.scope'),
  rec('P 2 77 1 '),
  rec('P 2 88 0 db.scope'),
  rec('P 2 88 1 '),
];

describe('bpf/batcher.pl counting mode', () => {
  it('counts execs per cgroup and command; passes the other records on as written, in order', async () => {
    const input = [
      ...HEAD,
      ...exec({ tid: 10, ns: 5000, file: '/bin/ls', args: ['ls', '-l'], comm: 'ls' }),
      rec('D 6 0 ls'),
      ...exec({ tid: 11, ns: 6000, file: '/bin/ls', args: ['ls', '/x'], ret: -2, comm: 'sh' }),
      ...exec({ tid: 12, ns: 3000, file: '/bin/ls', args: ['ls', '-l'], comm: 'ls' }),
      ...exec({ tid: 13, ns: 7000, file: '/bin/ls', args: ['ls', 'gr\\uffffffc3\\uffffffbc'], comm: 'ls' }),
      ...exec({ tid: 14, ns: 8000, cg: 88, file: '/bin/ls', args: ['ls'], comm: 'ls' }),
      ...exec({ tid: 15, ns: 9000, file: '/nope', args: ['nope'], ret: -13, comm: 'sh' }),
      rec('K 9999'),
      '{"type": "lost_events", "data": {"events": 3}}\n',
    ].join('');
    const out = await run(input);
    expect(out.code).toBe(0);
    expect(out.stderr).toBe('');
    expect(out.rest).toEqual([...HEAD, rec('D 6 0 ls'), rec('K 9999'), '{"type": "lost_events", "data": {"events": 3}}\n']);
    expect(out.counts).toEqual([
      {
        kind: 'count',
        cg2: '77',
        cg1: '0',
        comm: 'ls',
        execs: 3,
        failed: 0,
        searches: 0,
        firstNs: 3000n,
        lastNs: 7000n,
        errnos: new Map(),
        argv: ['ls', '-l'],
        argvExecs: 2,
      },
      // Failed execs carry the parent's comm; both attempts here stand alone (no next attempt).
      {
        kind: 'count',
        cg2: '77',
        cg1: '0',
        comm: 'sh',
        execs: 2,
        failed: 2,
        searches: 0,
        firstNs: 6000n,
        lastNs: 9000n,
        errnos: new Map([
          [2, 1],
          [13, 1],
        ]),
        argv: ['ls', '/x'],
        argvExecs: 1,
      },
      expect.objectContaining({ cg2: '88', comm: 'ls', execs: 1, argv: ['ls'] }),
    ]);
  });

  it('folds the failed attempts of a PATH search as path-search.ts does', async () => {
    const ms = 1_000_000;
    const input = [
      ...HEAD,
      // execvp: ENOENT, ENOENT, then found, microseconds apart.
      ...exec({ tid: 20, ns: 10 * ms, file: '/usr/local/bin/curl', args: ['curl', 'x'], ret: -2, comm: 'sh' }),
      ...exec({ tid: 20, ns: 10 * ms + 50_000, file: '/usr/bin/curl', args: ['curl', 'x'], ret: -13, comm: 'sh' }),
      ...exec({ tid: 20, ns: 10 * ms + 90_000, file: '/bin/curl', args: ['curl', 'x'], comm: 'curl' }),
      // A search that found nothing: its last attempt counts as the failure.
      ...exec({ tid: 21, ns: 20 * ms, file: '/a/nope', args: ['nope'], ret: -2, comm: 'sh' }),
      ...exec({ tid: 21, ns: 20 * ms + 10_000, file: '/b/nope', args: ['nope'], ret: -2, comm: 'sh' }),
      // Not a search: another argv; too late (over 20 ms); the same path failing otherwise.
      ...exec({ tid: 22, ns: 30 * ms, file: '/a/x', args: ['x', '1'], ret: -2, comm: 'sh' }),
      ...exec({ tid: 22, ns: 30 * ms + 10_000, file: '/b/x', args: ['x', '2'], ret: -2, comm: 'sh' }),
      ...exec({ tid: 23, ns: 40 * ms, file: '/a/y', args: ['y'], ret: -2, comm: 'sh' }),
      ...exec({ tid: 23, ns: 61 * ms, file: '/b/y', args: ['y'], ret: -2, comm: 'sh' }),
      ...exec({ tid: 24, ns: 70 * ms, file: '/a/z', args: ['z'], ret: -2, comm: 'sh' }),
      ...exec({ tid: 24, ns: 70 * ms + 10_000, file: '/a/z', args: ['z'], comm: 'z' }),
    ].join('');
    const out = await run(input);
    const by = new Map(out.counts.map((c) => [c.comm, c]));
    expect(by.get('curl')).toMatchObject({ execs: 1, failed: 0 });
    expect(by.get('z')).toMatchObject({ execs: 1 });
    // sh: 2 folded (curl) + 1 folded (nope), and as execs: nope's last, x×2, y×2, z's attempt.
    expect(by.get('sh')).toMatchObject({ execs: 6, failed: 6, searches: 3, errnos: new Map([[2, 6]]) });
  });

  it("leaves whole the execs the summary needs whole: sessions, drift, the client's own; and unfinished ones at the end", async () => {
    const session = exec({ tid: 30, ns: 5000, file: '/bin/sh', args: ['sh'], props: 0x20, comm: 'sh' });
    const drift = exec({ tid: 31, ns: 6000, file: '/tmp/x', args: ['x'], props: 0x11, comm: 'x' });
    const self = exec({ tid: 32, ns: 7000, ppid: SELF, file: '/bin/kill', args: ['kill'], comm: 'kill' });
    // Its second argument never came; and an X whose E came before the trace.
    const cut = exec({ tid: 33, ns: 8000, file: '/bin/cat', args: ['cat', 'f'], comm: 'cat' }).filter((l) => !l.includes('A 33 8000 1 '));
    const orphan = rec('X 34 0 100 0 0 0 0 0 5 6 old');
    const counted = exec({ tid: 35, ns: 9000, file: '/bin/ls', args: ['ls'], comm: 'ls', props: 0x12 });
    const out = await run([...HEAD, ...session, ...drift, ...self, ...cut, orphan, ...counted].join(''));
    expect(out.rest.slice(0, HEAD.length + 9)).toEqual([...HEAD, ...session, ...drift, ...self]);
    // At the end, what never completed goes out as it came (the client decodes it as incomplete).
    expect(new Set(out.rest.slice(HEAD.length + 9))).toEqual(new Set([...cut, orphan]));
    expect(out.counts.map((c) => [c.comm, c.execs])).toEqual([['ls', 1]]);
  });

  it('argc above ARGS_MAX: waits for ARGS_MAX arguments', async () => {
    const input = [
      ...HEAD,
      ...exec({ tid: 40, ns: 5000, file: '/bin/echo', args: ['echo', '1', '2', '3', '4', '5'], argc: ARGS_MAX + 1, comm: 'echo' }),
    ];
    const out = await run(input.join(''));
    expect(out.counts).toMatchObject([{ comm: 'echo', execs: 1, argv: ['echo', '1', '2', '3'] }]);
  });

  it('a storm of one command: a few hundred bytes instead of every record', async () => {
    const lines = [...HEAD];
    for (let i = 0; i < 5000; i++)
      lines.push(...exec({ tid: 1000 + i, ns: 10_000 + i, file: '/bin/true', args: ['true', String(i % 3)], comm: 'true' }));
    const input = lines.join('');
    const out = await run(input);
    expect(out.counts).toMatchObject([{ comm: 'true', execs: 5000, argvExecs: 1667, argv: ['true', '0'] }]);
    expect(out.text.length).toBeLessThan(input.length / 500);
  });

  it(`writes counts every ${COUNT_EVERY_S} s at most while running, each only since the last (deltas)`, async () => {
    const child = start(`${COUNT_EVERY_S} ${ARGS_MAX} 0`);
    let text = '';
    child.stdout.on('data', (c: Buffer) => (text += c.toString()));
    child.stdin.write([...HEAD, ...exec({ tid: 50, ns: 5000, file: '/bin/a', args: ['a'], comm: 'a' })].join(''));
    const t0 = performance.now();
    while (!text.includes(COUNT_HEAD) && performance.now() - t0 < 10_000) await new Promise((r) => setTimeout(r, 50));
    // Whole seconds: between COUNT_EVERY_S - 1 and COUNT_EVERY_S (plus scheduling).
    expect(performance.now() - t0).toBeLessThan(COUNT_EVERY_S * 1000 + 1000);
    expect(split(text).counts).toMatchObject([{ comm: 'a', execs: 1 }]);
    child.stdin.end(exec({ tid: 51, ns: 6000, file: '/bin/a', args: ['a'], comm: 'a' }).join(''));
    expect(await new Promise((r) => child.once('close', r))).toBe(0);
    expect(split(text).counts).toMatchObject([
      { comm: 'a', execs: 1, firstNs: 5000n },
      { comm: 'a', execs: 1, firstNs: 6000n },
    ]);
  });

  it('more keys than it keeps: the execs beyond are left whole', async () => {
    const lines = [...HEAD];
    for (let i = 0; i < 10_002; i++) lines.push(...exec({ tid: 2000 + i, ns: 10_000 + i, file: '/bin/c', args: ['c'], comm: `c${i}` }));
    const out = await run(lines.join(''));
    expect(out.counts).toHaveLength(10_000);
    expect(out.rest.slice(HEAD.length).filter((l) => l.includes('"X '))).toHaveLength(2);
  });

  it('without TRACE_EXEC_COUNTS (or with a bad one) it passes everything on', async () => {
    const input = [...HEAD, ...exec({ tid: 60, ns: 5000, file: '/bin/a', args: ['a'], comm: 'a' })].join('');
    expect((await run(input, '')).text).toBe(input);
    expect((await run(input, 'x 3 0')).text).toBe(input);
  });
});
