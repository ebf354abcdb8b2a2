import { describe, expect, it } from 'vitest';
import { ExecAssembler, type AssemblerOptions } from './assemble.js';
import type { TraceRecord } from './records.js';
import { UNKNOWN_CONTEXT, type ExecEvent } from './types.js';

// --- record builders, in the order and shape bpf/trace-exec.bt.tmpl prints them -------------------

type E = Extract<TraceRecord, { kind: 'execEnter' }>;

const B = (monoNs: bigint): TraceRecord => ({ kind: 'clock', monoNs });
const A = (tid: number, enterMonoNs: bigint, index: number, arg: string): TraceRecord => ({
  kind: 'execArg',
  key: `${tid}:${enterMonoNs}`,
  tid,
  index,
  arg,
});
const F = (tid: number, enterMonoNs: bigint, argc: number, filename: string): TraceRecord => ({
  kind: 'rereadFilename',
  key: `${tid}:${enterMonoNs}`,
  tid,
  argc,
  filename,
});
const R = (tid: number, enterMonoNs: bigint, index: number, arg: string): TraceRecord => ({
  kind: 'rereadArg',
  key: `${tid}:${enterMonoNs}`,
  tid,
  index,
  arg,
});
const X = (tid: number, retval: number, enterMonoNs: bigint, comm: string, upper: 0 | 1 | 2 = 0): TraceRecord => ({
  kind: 'execReturn',
  key: `${tid}:${enterMonoNs}`,
  tid,
  retval,
  upper,
  memfd: false,
  deleted: false,
  tree: 0,
  tty: 0,
  loginUid: null,
  sessionId: null,
  leader: 0,
  cwdId: '0',
  exeId: '0',
  comm,
});
const E = (fields: Partial<E> & Pick<E, 'tid' | 'monoNs'>): E => ({
  kind: 'execEnter',
  key: `${fields.tid}:${fields.monoNs}`,
  pid: fields.tid,
  ppid: 1,
  uid: 0,
  cg2: '0',
  cg1: '0',
  argc: 0,
  filename: '/bin/true',
  ...fields,
});

/** The P records of one cgroup: leaf first, then the root ('') when it is within `levels`. */
function P(hier: 1 | 2, cgroupId: string, path: string, levels = LEVELS): TraceRecord[] {
  const names = path === '/' ? [] : path.split('/').slice(1).reverse();
  return [...names, ''].slice(0, levels).map((name, level) => ({ kind: 'cgroupName', hier, cgroupId, level, name }));
}

/** One whole exec in record order: E, A×argc, X. */
function exec(opts: {
  tid: number;
  monoNs: bigint;
  filename: string;
  args: string[];
  retval?: number;
  comm?: string;
  cg2?: string;
  cg1?: string;
  more?: boolean;
}): TraceRecord[] {
  const { tid, monoNs, filename, args } = opts;
  return [
    // argc one above ARGS_MAX says argv had more entries than were read.
    E({ tid, monoNs, argc: opts.more ? ARGS_MAX + 1 : args.length, filename, cg2: opts.cg2 ?? '0', cg1: opts.cg1 ?? '0' }),
    ...args.map((a, i) => A(tid, monoNs, i, a)),
    X(tid, opts.retval ?? 0, monoNs, opts.comm ?? filename.split('/').pop()!),
  ];
}

const ARGS_MAX = 32;
const POD_UID = '3f8e5a1c_2b7d_4c9e_8f10_6a5b4c3d2e1f';
const CONTAINER_ID = 'a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90';
const CONTAINER_CGROUP = `/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${POD_UID}.slice/cri-containerd-${CONTAINER_ID}.scope`;
const LEVELS = 8;
const WALL = 1_700_000_000_000;
const MONO = 5_000_000_000_000n;

function assembler(opts: Partial<AssemblerOptions> = {}): ExecAssembler {
  return new ExecAssembler({ strlen: 200, levels: LEVELS, holdMs: 1000, ...opts });
}

/** Pushes every record at nowMs; returns what they completed. */
function feed(a: ExecAssembler, records: TraceRecord[], nowMs = WALL): ExecEvent[] {
  return records.flatMap((r) => a.push(r, nowMs));
}

describe('ExecAssembler', () => {
  it('assembles a full exec from its records in order', () => {
    const a = assembler();
    const events = feed(a, [
      B(MONO),
      E({ tid: 4299, pid: 4299, ppid: 4100, uid: 1000, monoNs: MONO + 1_500_000n, cg2: '7421', argc: 3, filename: '/usr/bin/ls' }),
      ...P(2, '7421', CONTAINER_CGROUP),
      A(4299, MONO + 1_500_000n, 0, 'ls'),
      A(4299, MONO + 1_500_000n, 1, '-l'),
      A(4299, MONO + 1_500_000n, 2, '/tmp'),
      X(4299, 0, MONO + 1_500_000n, 'ls', 2),
    ]);
    expect(events).toEqual<ExecEvent[]>([
      {
        timeMs: WALL + 1.5,
        pid: 4299,
        tid: 4299,
        ppid: 4100,
        uid: 1000,
        comm: 'ls',
        filename: '/usr/bin/ls',
        args: ['ls', '-l', '/tmp'],
        argsTruncated: false,
        retval: 0,
        cgroupV2: CONTAINER_CGROUP,
        cgroupV1: null,
        upperLayer: false,
        ...UNKNOWN_CONTEXT,
        // A successful exec's new program: neither a memfd nor deleted.
        exeFromMemfd: false,
        exeDeleted: false,
      },
    ]);
    expect(a.stats).toEqual({ events: 1, incomplete: 0, orphanReturns: 0, unknownEnds: 0, lost: 0, malformed: 0 });
    expect(a.waiting).toBe(0);
  });

  it('emits nothing until the last record of the exec came', () => {
    const a = assembler();
    const records = exec({ tid: 7, monoNs: MONO, filename: '/bin/true', args: ['true', 'x'] });
    const emittedAt = records.map((r) => a.push(r, WALL).length);
    expect(emittedAt).toEqual([0, 0, 0, 1]);
  });

  it('pairs an exit that came before its entry (other CPU) by (tid, enter time)', () => {
    const a = assembler();
    const [e, arg, x] = exec({ tid: 42, monoNs: MONO, filename: '/bin/sh', args: ['sh'] });
    expect(feed(a, [x!])).toEqual([]);
    expect(a.waiting).toBe(1);
    expect(feed(a, [e!, arg!])).toMatchObject([{ tid: 42, filename: '/bin/sh', args: ['sh'], retval: 0, comm: 'sh' }]);
    expect(a.waiting).toBe(0);
    expect(a.stats.orphanReturns).toBe(0);
  });

  describe('two execs by the same tid (a PATH search: failed, then found)', () => {
    const miss = exec({ tid: 9, monoNs: MONO + 10n, filename: '/usr/local/bin/app', args: ['app', '--v'], retval: -2, comm: 'bash' });
    const hit = exec({ tid: 9, monoNs: MONO + 20n, filename: '/usr/bin/app', args: ['app', '--v'], retval: 0, comm: 'app' });
    const expected = [
      { filename: '/usr/local/bin/app', retval: -2, comm: 'bash', args: ['app', '--v'] },
      { filename: '/usr/bin/app', retval: 0, comm: 'app', args: ['app', '--v'] },
    ];

    it.each<[string, TraceRecord[]]>([
      ['in record order', [...miss, ...hit]],
      // The first exit was buffered on the CPU the second exec ran on, and that buffer was read first.
      ['the first exit read after the second exec', [...miss.slice(0, -1), ...hit, miss.at(-1)!]],
    ])('%s: each keeps its own file, args and retval', (_name, records) => {
      const a = assembler();
      const events = feed(a, records);
      expect(events.map(({ filename, retval, comm, args }) => ({ filename, retval, comm, args }))).toEqual(
        expect.arrayContaining(expected),
      );
      expect(events).toHaveLength(2);
      expect(a.waiting).toBe(0);
    });
  });

  describe('cgroup paths from P records', () => {
    it.each<[string, Partial<AssemblerOptions>, TraceRecord[], { cg2: string; cg1: string }, Pick<ExecEvent, 'cgroupV2' | 'cgroupV1'>]>([
      [
        'a container scope on cgroup v2',
        {},
        P(2, '7421', CONTAINER_CGROUP),
        { cg2: '7421', cg1: '0' },
        { cgroupV2: CONTAINER_CGROUP, cgroupV1: null },
      ],
      ['the root cgroup: only the root component, ""', {}, P(2, '1', '/'), { cg2: '1', cg1: '0' }, { cgroupV2: '/', cgroupV1: null }],
      [
        'a host service',
        {},
        P(2, '311', '/system.slice/kubelet.service'),
        { cg2: '311', cg1: '0' },
        { cgroupV2: '/system.slice/kubelet.service', cgroupV1: null },
      ],
      [
        'a path deeper than `levels`: the top is cut and marked with …/',
        { levels: 3 },
        P(2, '7421', CONTAINER_CGROUP, 3),
        { cg2: '7421', cg1: '0' },
        {
          cgroupV2: `…/kubepods-burstable.slice/kubepods-burstable-pod${POD_UID}.slice/cri-containerd-${CONTAINER_ID}.scope`,
          cgroupV1: null,
        },
      ],
      [
        'cgroup v1 only (cg2 = 0): cgroupV2 is null',
        {},
        P(1, '88', '/kubepods.slice/kubepods-besteffort.slice'),
        { cg2: '0', cg1: '88' },
        { cgroupV2: null, cgroupV1: '/kubepods.slice/kubepods-besteffort.slice' },
      ],
      [
        'both hierarchies (hybrid host)',
        {},
        [...P(2, '500', '/user.slice/user-1000.slice/session-3.scope'), ...P(1, '88', '/user.slice')],
        { cg2: '500', cg1: '88' },
        { cgroupV2: '/user.slice/user-1000.slice/session-3.scope', cgroupV1: '/user.slice' },
      ],
    ])('%s', (_name, opts, pRecords, ids, paths) => {
      const a = assembler(opts);
      const events = feed(a, [...pRecords, ...exec({ tid: 5, monoNs: MONO, filename: '/bin/sh', args: ['sh'], ...ids })]);
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject(paths);
    });

    it('P records may come in any level order', () => {
      const a = assembler();
      feed(a, P(2, '7421', CONTAINER_CGROUP).reverse());
      expect(feed(a, exec({ tid: 5, monoNs: MONO, filename: '/bin/sh', args: [], cg2: '7421' }))).toMatchObject([
        { cgroupV2: CONTAINER_CGROUP },
      ]);
    });

    it('a cgroup is printed once: later execs in it reuse its path', () => {
      const a = assembler();
      feed(a, P(2, '7421', CONTAINER_CGROUP));
      const first = feed(a, exec({ tid: 5, monoNs: MONO, filename: '/bin/sh', args: [], cg2: '7421' }));
      const second = feed(a, exec({ tid: 6, monoNs: MONO + 5n, filename: '/bin/ls', args: [], cg2: '7421' }));
      expect([...first, ...second].map((e) => e.cgroupV2)).toEqual([CONTAINER_CGROUP, CONTAINER_CGROUP]);
    });

    it('an exec waits until the P records of its cgroup arrived', () => {
      const a = assembler();
      // Printed once per cgroup, by whichever exec saw it first: here one on another CPU, read later.
      expect(feed(a, exec({ tid: 5, monoNs: MONO, filename: '/bin/sh', args: ['sh'], cg2: '7421' }))).toEqual([]);
      const paths = P(2, '7421', CONTAINER_CGROUP);
      expect(feed(a, paths.slice(0, -1))).toEqual([]);
      expect(feed(a, paths.slice(-1))).toMatchObject([{ tid: 5, cgroupV2: CONTAINER_CGROUP, argsTruncated: false }]);
      expect(a.stats.incomplete).toBe(0);
      expect(a.waiting).toBe(0);
    });

    it('an exec waits for both hierarchies', () => {
      const a = assembler();
      feed(a, P(2, '500', '/system.slice/cron.service'));
      expect(feed(a, exec({ tid: 5, monoNs: MONO, filename: '/bin/sh', args: [], cg2: '500', cg1: '88' }))).toEqual([]);
      expect(feed(a, P(1, '88', '/system.slice/cron.service'))).toMatchObject([
        { cgroupV2: '/system.slice/cron.service', cgroupV1: '/system.slice/cron.service' },
      ]);
    });

    it('an exec whose P records never come is emitted after holdMs without its path', () => {
      const a = assembler();
      feed(a, exec({ tid: 5, monoNs: MONO, filename: '/bin/sh', args: [], cg2: '7421' }));
      expect(a.expire(WALL + 1000)).toMatchObject([{ tid: 5, cgroupV2: null, retval: 0 }]);
    });

    it('maxCgroups bounds the remembered paths, forgetting the oldest', () => {
      const a = assembler({ maxCgroups: 2 });
      feed(a, [...P(2, '1', '/a.slice'), ...P(2, '2', '/b.slice'), ...P(2, '3', '/c.slice')]);
      feed(a, [
        ...exec({ tid: 1, monoNs: MONO, filename: '/x', args: [], cg2: '1' }),
        ...exec({ tid: 3, monoNs: MONO, filename: '/x', args: [], cg2: '3' }),
      ]);
      expect(a.expire(WALL + 1000).map((e) => [e.tid, e.cgroupV2])).toEqual([[1, null]]);
    });
  });

  describe('expire(): execs whose records did not all come', () => {
    it.each<[string, TraceRecord[], Partial<ExecEvent>]>([
      [
        'no exit record: retval null, comm unknown',
        exec({ tid: 3, monoNs: MONO, filename: '/bin/sleep', args: ['sleep', '1'] }).slice(0, -1),
        { retval: null, comm: '', args: ['sleep', '1'], argsTruncated: false },
      ],
      [
        'a missing argument: empty, and argsTruncated',
        exec({ tid: 3, monoNs: MONO, filename: '/bin/sleep', args: ['sleep', '1'] }).filter((r) => r.kind !== 'execArg' || r.index !== 1),
        { retval: 0, comm: 'sleep', args: ['sleep', ''], argsTruncated: true },
      ],
    ])('%s', (_name, records, expected) => {
      const a = assembler();
      expect(feed(a, records)).toEqual([]);
      expect(a.expire(WALL + 999)).toEqual([]);
      expect(a.expire(WALL + 1000)).toMatchObject([{ tid: 3, ...expected }]);
      expect(a.stats).toMatchObject({ events: 1, incomplete: 1 });
      expect(a.waiting).toBe(0);
    });

    it('counts exit records whose exec never came (started before the tracer) and forgets them', () => {
      const a = assembler();
      feed(a, [X(77, 0, MONO - 1n, 'sh'), X(78, -13, MONO - 2n, 'sh')]);
      expect(a.waiting).toBe(2);
      expect(a.expire(WALL + 1000)).toEqual([]);
      expect(a.stats).toMatchObject({ events: 0, orphanReturns: 2 });
      expect(a.waiting).toBe(0);
    });

    it('force emits everything at the end of the stream, oldest first', () => {
      const a = assembler();
      feed(a, exec({ tid: 2, monoNs: MONO + 2_000_000n, filename: '/b', args: [] }).slice(0, -1));
      feed(a, exec({ tid: 1, monoNs: MONO + 1_000_000n, filename: '/a', args: [] }).slice(0, -1));
      feed(a, [B(MONO)]);
      feed(a, [X(99, 0, 1n, 'x')]);
      expect(a.expire(WALL, true).map((e) => [e.filename, e.timeMs])).toEqual([
        ['/a', WALL + 1],
        ['/b', WALL + 2],
      ]);
      expect(a.stats).toMatchObject({ incomplete: 2, orphanReturns: 1 });
      expect(a.waiting).toBe(0);
    });
  });

  describe('upperLayer: where the executable sits (X upper)', () => {
    it.each([
      ['1: an overlayfs upper layer (drift)', 0, 1, true],
      ['2: a lower (image) layer', 0, 2, false],
      ['0: not on overlayfs, or the node could not say', 0, 0, null],
      ['a failed exec (the program prints 0)', -2, 0, null],
    ] as const)('%s', (_name, retval, upper, upperLayer) => {
      const a = assembler();
      const events = feed(a, [B(MONO), E({ tid: 7, monoNs: MONO + 1n, argc: 0 }), X(7, retval, MONO + 1n, 'x', upper)]);
      expect(events.map((e) => e.upperLayer)).toEqual([upperLayer]);
    });

    it('an exec whose exit record never came: not known', () => {
      const a = assembler();
      feed(a, [B(MONO), E({ tid: 7, monoNs: MONO + 1n, argc: 0 })]);
      expect(a.expire(WALL, true).map((e) => e.upperLayer)).toEqual([null]);
    });
  });

  describe('the exec context (X and D records)', () => {
    type Ret = Extract<TraceRecord, { kind: 'execReturn' }>;
    const X2 = (retval: number, ctx: Partial<Ret>): TraceRecord => ({ ...(X(7, retval, MONO + 1n, 'x') as Ret), ...ctx });
    const D = (pathId: string, path: string): TraceRecord[] =>
      [...path.split('/').filter(Boolean).reverse(), ''].map((name, level) => ({ kind: 'pathName', pathId, level, name }));
    const run = (records: TraceRecord[]) => feed(assembler(), [B(MONO), E({ tid: 7, monoNs: MONO + 1n, argc: 0 }), ...records]);

    it('a script: cwd and exe (the interpreter) from their D records; tty, ids, init tree and leader from X', () => {
      const [e] = run([
        ...D('11', '/tmp/x'),
        ...D('12', '/usr/bin/dash'),
        X2(0, { cwdId: '11', exeId: '12', tty: 136 * 2 ** 20 + 3, loginUid: 1000, sessionId: 4, tree: 1, leader: 4100 }),
      ]);
      expect(e).toMatchObject({
        cwd: '/tmp/x',
        cwdTruncated: false,
        exe: '/usr/bin/dash',
        exeFromMemfd: false,
        exeDeleted: false,
        tty: 'pts/3',
        loginUid: 1000,
        sessionId: 4,
        inInitTree: true,
        sessionLeaderPid: 4100,
      });
    });

    it('a memfd: its exe, memfd and deleted; entered from outside the init tree', () => {
      const [e] = run([
        ...D('11', '/'),
        ...D('13', '/memfd:payload'),
        X2(0, { cwdId: '11', exeId: '13', memfd: true, deleted: true, tree: 2, leader: 50 }),
      ]);
      expect(e).toMatchObject({
        cwd: '/',
        exe: '/memfd:payload',
        exeFromMemfd: true,
        exeDeleted: true,
        inInitTree: false,
        sessionLeaderPid: 50,
        tty: null,
      });
    });

    it('a failed exec: no exe nor its properties; the cwd, tty and ids still hold', () => {
      const [e] = run([...D('11', '/tmp/x'), X2(-2, { cwdId: '11', tty: 4 * 2 ** 20 + 1, loginUid: 0, sessionId: 1 })]);
      expect(e).toMatchObject({
        retval: -2,
        cwd: '/tmp/x',
        exe: null,
        exeFromMemfd: null,
        exeDeleted: null,
        tty: 'tty1',
        loginUid: 0,
        sessionId: 1,
        inInitTree: null,
        sessionLeaderPid: null,
      });
    });

    it("waits for a path printed by another CPU's exec, after its X", () => {
      const a = assembler();
      expect(
        feed(a, [B(MONO), E({ tid: 7, monoNs: MONO + 1n, argc: 0 }), X2(0, { cwdId: '11', exeId: '12' }), ...D('12', '/bin/true')]),
      ).toEqual([]);
      expect(feed(a, D('11', '/srv')).map((e) => [e.cwd, e.exe])).toEqual([['/srv', '/bin/true']]);
    });

    it('a cut path: flagged; a path that never came: null once held too long', () => {
      const cut: TraceRecord[] = [
        { kind: 'pathName', pathId: '11', level: 0, name: 'deep' },
        { kind: 'pathName', pathId: '11', level: 1, name: '/' },
      ];
      expect(run([...cut, X2(-2, { cwdId: '11' })]).map((e) => [e.cwd, e.cwdTruncated])).toEqual([['…/deep', true]]);
      const a = assembler();
      feed(a, [B(MONO), E({ tid: 7, monoNs: MONO + 1n, argc: 0 }), X2(-2, { cwdId: '99' })]);
      expect(a.expire(WALL, true).map((e) => [e.cwd, e.cwdTruncated])).toEqual([[null, false]]);
    });
  });

  describe('argsTruncated', () => {
    const long = (n: number): string => 'a'.repeat(n);
    it.each<[string, { args: string[]; filename?: string; more?: boolean }, boolean]>([
      ['short arguments', { args: ['echo', 'hi'] }, false],
      [
        'argc = ARGS_MAX + 1: argv had more entries than were carried',
        { args: Array.from({ length: ARGS_MAX }, (_, i) => `a${i}`), more: true },
        true,
      ],
      ['exactly ARGS_MAX arguments, no more', { args: Array.from({ length: ARGS_MAX }, (_, i) => `a${i}`) }, false],
      ['an argument of 198 bytes (strlen 200): complete', { args: ['echo', long(198)] }, false],
      ['an argument of 199 bytes = strlen - 1: may have been cut', { args: ['echo', long(199)] }, true],
      ['199 bytes of UTF-8 (99 × ü + a): counted in bytes', { args: ['echo', `${'ü'.repeat(99)}a`] }, true],
      ['a filename of 199 bytes', { args: ['x'], filename: `/${long(198)}` }, true],
      ['a filename of 198 bytes', { args: ['x'], filename: `/${long(197)}` }, false],
    ])('%s → %s', (_name, { args, filename, more }, truncated) => {
      const a = assembler({ strlen: 200 });
      const events = feed(a, exec({ tid: 1, monoNs: MONO, filename: filename ?? '/bin/echo', args, more: more ?? false }));
      expect(events).toHaveLength(1);
      expect(events[0]!.argsTruncated).toBe(truncated);
    });
  });

  describe('time', () => {
    it.each<[string, bigint, number]>([
      ['at the B record', MONO, WALL],
      ['1.5 ms after it', MONO + 1_500_000n, WALL + 1.5],
      ['an hour after it', MONO + 3_600_000_000_000n, WALL + 3_600_000],
    ])('an exec entered %s', (_name, monoNs, timeMs) => {
      const a = assembler();
      feed(a, [B(MONO)], WALL);
      const [event] = feed(a, exec({ tid: 1, monoNs, filename: '/x', args: [] }), WALL + 99_999);
      expect(event!.timeMs).toBe(timeMs);
    });

    it('without a B record, the time the records arrived', () => {
      const a = assembler();
      const [event] = feed(a, exec({ tid: 1, monoNs: MONO, filename: '/x', args: [] }), WALL + 7);
      expect(event!.timeMs).toBe(WALL + 7);
    });
  });

  it('ignores records that do not fit: a repeated or out-of-range A, an A without an E', () => {
    const a = assembler();
    const events = feed(a, [
      A(1, MONO, 0, 'stray'),
      E({ tid: 1, monoNs: MONO, argc: 1, filename: '/bin/one' }),
      A(1, MONO, 5, 'out of range'),
      A(1, MONO, 0, 'one'),
      A(1, MONO, 0, 'again'),
      A(1, MONO + 1n, 0, 'of another exec of the same thread'),
      X(1, 0, MONO, 'one'),
    ]);
    expect(events).toMatchObject([{ filename: '/bin/one', args: ['one'], argsTruncated: false }]);
  });

  it('counts lost events and malformed lines; other records change nothing', () => {
    const a = assembler();
    const events = feed(a, [
      { kind: 'lost', count: 12 },
      { kind: 'lost', count: 3 },
      { kind: 'malformed', line: 'x', reason: 'not JSON' },
      { kind: 'attached', probes: 45 },
      { kind: 'other', type: 'keepalive' },
    ]);
    expect(events).toEqual([]);
    expect(a.stats).toEqual({ events: 0, incomplete: 0, orphanReturns: 0, unknownEnds: 0, lost: 15, malformed: 1 });
    expect(a.waiting).toBe(0);
  });
});

describe('successive execs of one thread (env → cmd) read out of order', () => {
  it('keeps each exec its own filename and arguments, whatever order the CPUs are read in', () => {
    // exec 1 (env) ran on CPU 0, then the task moved and exec 2 (cmd) ran on CPU 1; CPU 1 is read first.
    const m1 = 1_000n;
    const m2 = 2_000n;
    const a = new ExecAssembler({ strlen: 200, levels: 8 });
    const cpu1 = [E({ tid: 9, monoNs: m2, argc: 1, filename: '/usr/bin/cmd' }), A(9, m2, 0, 'cmd'), X(9, 0, m2, 'cmd')];
    const cpu0 = [E({ tid: 9, monoNs: m1, argc: 2, filename: '/usr/bin/env' }), A(9, m1, 0, 'env'), A(9, m1, 1, 'cmd'), X(9, 0, m1, 'env')];
    const events = [...cpu1, ...cpu0].flatMap((r) => a.push(r, 0));
    expect(events.map((e) => [e.filename, e.args])).toEqual([
      ['/usr/bin/cmd', ['cmd']],
      ['/usr/bin/env', ['env', 'cmd']],
    ]);
  });
});

describe('strings the probe could not read', () => {
  it('marks a successful exec whose filename came back empty as truncated, never as complete', () => {
    const a = new ExecAssembler({ strlen: 200, levels: 8 });
    const unread = [E({ tid: 3, monoNs: 5n, argc: 1, filename: '' }), A(3, 5n, 0, ''), X(3, 0, 5n, 'true')];
    // It waits for the second reading (F, R); when that never comes, it is emitted after holdMs.
    expect(unread.flatMap((r) => a.push(r, 0))).toEqual([]);
    expect(a.expire(2000)).toMatchObject([{ filename: '', args: [''], retval: 0, argsTruncated: true }]);
    const failed = [E({ tid: 4, monoNs: 6n, argc: 1, filename: '' }), A(4, 6n, 0, ''), X(4, -2, 6n, 'sh')];
    expect(failed.flatMap((r) => a.push(r, 0))).toMatchObject([{ retval: -2, argsTruncated: false }]);
  });
});

describe('strings read again from the new program (F, R)', () => {
  const untouched = [E({ tid: 5, monoNs: 9n, argc: 2, filename: '' }), A(5, 9n, 0, ''), A(5, 9n, 1, '')];
  it.each<[string, TraceRecord[], Partial<ExecEvent> | null]>([
    [
      'a successful exec that read as empty waits for F and R, then takes them',
      [...untouched, X(5, 0, 9n, 'app'), F(5, 9n, 2, '/bin/app'), R(5, 9n, 0, 'app'), R(5, 9n, 1, '--v')],
      { filename: '/bin/app', args: ['app', '--v'], argsTruncated: false, retval: 0 },
    ],
    [
      'F and R may come first (another CPU), even before E',
      [F(5, 9n, 2, '/bin/app'), R(5, 9n, 1, '--v'), ...untouched, R(5, 9n, 0, 'app'), X(5, 0, 9n, 'app')],
      { filename: '/bin/app', args: ['app', '--v'], argsTruncated: false },
    ],
    [
      'a legitimately empty argument is kept when the second reading says so too',
      [
        E({ tid: 5, monoNs: 9n, argc: 3, filename: '/bin/echo' }),
        A(5, 9n, 0, 'echo'),
        A(5, 9n, 1, ''),
        A(5, 9n, 2, 'b'),
        X(5, 0, 9n, 'echo'),
        F(5, 9n, 3, '/bin/echo'),
        R(5, 9n, 0, 'echo'),
        R(5, 9n, 1, ''),
        R(5, 9n, 2, 'b'),
      ],
      { filename: '/bin/echo', args: ['echo', '', 'b'], argsTruncated: false },
    ],
    [
      "a #! script: the interpreter's argv has another count; it replaces argv only when all read as empty",
      [...untouched, X(5, 0, 9n, 'sh'), F(5, 9n, 3, '/opt/run.sh'), R(5, 9n, 0, '/bin/sh'), R(5, 9n, 1, '/opt/run.sh'), R(5, 9n, 2, '--v')],
      { filename: '/opt/run.sh', args: ['/bin/sh', '/opt/run.sh', '--v'], argsTruncated: false },
    ],
    [
      'a failed exec does not wait: it had no new program',
      [...untouched, X(5, -2, 9n, 'bash')],
      { filename: '', args: ['', ''], retval: -2 },
    ],
    [
      'without the second reading nothing is emitted before holdMs',
      [...untouched, X(5, 0, 9n, 'app'), F(5, 9n, 2, '/bin/app'), R(5, 9n, 0, 'app')],
      null,
    ],
  ])('%s', (_name, records, expected) => {
    const a = assembler();
    const events = feed(a, records);
    if (expected === null) {
      expect(events).toEqual([]);
      expect(a.expire(WALL + 2000)).toMatchObject([{ filename: '/bin/app', args: ['app', ''], argsTruncated: true }]);
      expect(a.stats.incomplete).toBe(1);
    } else {
      expect(events).toMatchObject([expected]);
    }
    expect(a.waiting).toBe(0);
  });

  it('a second reading of an exec whose strings were fine is dropped after holdMs', () => {
    const a = assembler();
    expect(feed(a, [F(8, 1n, 1, '/x'), R(8, 1n, 0, 'x')])).toEqual([]);
    expect(a.waiting).toBe(1);
    expect(a.expire(WALL + 2000)).toEqual([]);
    expect(a.waiting).toBe(0);
  });
});

describe('ExecAssembler --exits', () => {
  const Z = (pid: number, execMonoNs: bigint, monoNs: bigint, status: number): TraceRecord => ({
    kind: 'processEnd',
    pid,
    execMonoNs,
    monoNs,
    status,
  });
  const t0 = MONO + 1_000_000n;
  const run = exec({ tid: 40, monoNs: t0, filename: '/bin/sleep', args: ['sleep', '1'] });

  it.each<[string, TraceRecord[], Partial<ExecEvent>[]]>([
    [
      "exit(0) after 1.5 s: the exec, then its end at its time, with the exec's fields",
      [B(MONO), ...run, Z(40, t0, t0 + 1_500_000_000n, 0)],
      [
        { comm: 'sleep', retval: 0 },
        {
          comm: 'sleep',
          args: ['sleep', '1'],
          timeMs: WALL + 1 + 1500,
          exit: { exitCode: 0, signal: null, core: false, durationMs: 1500 },
        },
      ],
    ],
    [
      'exit(3)',
      [B(MONO), ...run, Z(40, t0, t0 + 2_345_678n, 3 << 8)],
      [{}, { exit: { exitCode: 3, signal: null, core: false, durationMs: 2.346 } }],
    ],
    [
      'killed by SIGKILL',
      [B(MONO), ...run, Z(40, t0, t0 + 1_000_000n, 9)],
      [{}, { exit: { exitCode: null, signal: 9, core: false, durationMs: 1 } }],
    ],
    [
      'SIGSEGV with a core dump',
      [B(MONO), ...run, Z(40, t0, t0 + 1_000_000n, 11 | 0x80)],
      [{}, { exit: { exitCode: null, signal: 11, core: true, durationMs: 1 } }],
    ],
    [
      "the end before its exec's last record (another CPU): it waits for the exec, and comes after it",
      [B(MONO), ...run.slice(0, -1), Z(40, t0, t0 + 5_000_000n, 0), run.at(-1)!],
      [{ retval: 0 }, { exit: { exitCode: 0, signal: null, core: false, durationMs: 5 } }],
    ],
    [
      'a second end of one exec (two threads read the process gone) is dropped',
      [B(MONO), ...run, Z(40, t0, t0 + 1_000_000n, 0), Z(40, t0, t0 + 1_000_001n, 0)],
      [{}, { exit: { exitCode: 0, signal: null, core: false, durationMs: 1 } }],
    ],
    [
      'an end that names an earlier exec than the last one seen is not joined to the later',
      [B(MONO), ...run, Z(40, t0 - 1n, t0 + 1_000_000n, 0)],
      [{}],
    ],
    [
      'a failed exec is not remembered: the process runs on',
      [B(MONO), ...exec({ tid: 41, monoNs: t0, filename: '/nope', args: ['nope'], retval: -2 }), Z(41, t0, t0 + 1n, 0)],
      [{ retval: -2 }],
    ],
  ])('%s', (_name, records, expected) => {
    const a = assembler({ exits: true });
    const events = [...feed(a, records), ...a.expire(WALL + 5000)];
    expect(events).toMatchObject(expected);
    expect(events.every((e, i) => (i === 1) === (e.exit !== undefined))).toBe(true);
  });

  it("the end of a process that exec'd again is measured from its last exec", () => {
    const a = assembler({ exits: true });
    const again = exec({ tid: 40, monoNs: t0 + 10_000_000n, filename: '/bin/app', args: ['app'] });
    const events = feed(a, [B(MONO), ...run, ...again, Z(40, t0 + 10_000_000n, t0 + 12_000_000n, 256)]);
    expect(events).toMatchObject([{ comm: 'sleep' }, { comm: 'app' }, { comm: 'app', exit: { exitCode: 1, durationMs: 2 } }]);
  });

  it('ends of processes it never saw exec are dropped after holdMs and counted', () => {
    const a = assembler({ exits: true });
    expect(feed(a, [B(MONO), Z(99, 1n, 2n, 0)])).toEqual([]);
    expect(a.waiting).toBe(1);
    expect(a.expire(WALL + 2000)).toEqual([]);
    expect(a.stats.unknownEnds).toBe(1);
    expect(a.waiting).toBe(0);
  });

  it('remembers at most maxExecd execs, the oldest forgotten first; without --exits none', () => {
    const a = assembler({ exits: true, maxExecd: 2 });
    for (const tid of [1, 2, 3]) feed(a, exec({ tid, monoNs: BigInt(tid), filename: '/bin/x', args: [] }));
    expect(a.remembered).toBe(2);
    expect(feed(a, [Z(1, 1n, 9n, 0)])).toEqual([]);
    expect(feed(a, [Z(3, 3n, 9n, 0)])).toMatchObject([{ pid: 3, exit: { exitCode: 0 } }]);
    const off = assembler();
    feed(off, exec({ tid: 1, monoNs: 1n, filename: '/bin/x', args: [] }));
    expect(off.remembered).toBe(0);
  });
});
