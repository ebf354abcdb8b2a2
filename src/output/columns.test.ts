import { describe, expect, it } from 'vitest';
import type { AttributedEvent } from '../join/types.js';
import {
  TABLE_COLUMNS,
  WIDE_COLUMNS,
  exeCell,
  columnsFor,
  containerCell,
  formatArgs,
  formatDuration,
  formatClock,
  namespaceCell,
  podCell,
  rowCells,
  retCell,
  ancestryCell,
  type ColumnSet,
} from './columns.js';
import { hostEvent, podEvent, T0, unattributedEvent } from './fixtures.test-helpers.js';

const TABLE: ColumnSet = { wide: false, nodes: false, ancestry: false };
const WIDE: ColumnSet = { wide: true, nodes: false, ancestry: false };

describe('column sets', () => {
  it.each<[Partial<ColumnSet>, string[]]>([
    [{}, ['TIME', 'NAMESPACE', 'POD', 'CONTAINER', 'PID', 'PPID', 'COMM', 'RET', 'ARGS']],
    [{ nodes: true }, ['TIME', 'NODE', 'NAMESPACE', 'POD', 'CONTAINER', 'PID', 'PPID', 'COMM', 'RET', 'ARGS']],
    [{ ancestry: true }, ['TIME', 'NAMESPACE', 'POD', 'CONTAINER', 'PID', 'PPID', 'COMM', 'RET', 'ANCESTRY', 'ARGS']],
    [
      { wide: true },
      ['TIME', 'NAMESPACE', 'POD', 'CONTAINER', 'PID', 'PPID', 'COMM', 'CWD', 'EXE', 'NODE', 'UID', 'RET', 'CONTAINER-ID', 'DRIFT', 'ARGS'],
    ],
    [
      { wide: true, nodes: true },
      ['TIME', 'NAMESPACE', 'POD', 'CONTAINER', 'PID', 'PPID', 'COMM', 'CWD', 'EXE', 'NODE', 'UID', 'RET', 'CONTAINER-ID', 'DRIFT', 'ARGS'],
    ],
    [
      { wide: true, ancestry: true },
      [
        'TIME',
        'NAMESPACE',
        'POD',
        'CONTAINER',
        'PID',
        'PPID',
        'COMM',
        'CWD',
        'EXE',
        'NODE',
        'UID',
        'RET',
        'CONTAINER-ID',
        'DRIFT',
        'ANCESTRY',
        'ARGS',
      ],
    ],
    // On a terminal -o wide shows NODE only when it tells rows apart; piped it keeps every column.
    [
      { wide: true, terminal: true },
      ['TIME', 'NAMESPACE', 'POD', 'CONTAINER', 'PID', 'PPID', 'COMM', 'CWD', 'EXE', 'UID', 'RET', 'CONTAINER-ID', 'DRIFT', 'ARGS'],
    ],
    [
      { wide: true, nodes: true, terminal: true },
      ['TIME', 'NAMESPACE', 'POD', 'CONTAINER', 'PID', 'PPID', 'COMM', 'CWD', 'EXE', 'NODE', 'UID', 'RET', 'CONTAINER-ID', 'DRIFT', 'ARGS'],
    ],
    [{ terminal: true }, ['TIME', 'NAMESPACE', 'POD', 'CONTAINER', 'PID', 'PPID', 'COMM', 'RET', 'ARGS']],
    [{ nodes: true, terminal: true }, ['TIME', 'NODE', 'NAMESPACE', 'POD', 'CONTAINER', 'PID', 'PPID', 'COMM', 'RET', 'ARGS']],
  ])('%j', (set, names) => {
    expect(columnsFor({ ...TABLE, ...set }).map((c) => c.name)).toStrictEqual(names);
  });
  it('the constants are the plain sets', () => {
    expect(columnsFor(TABLE).map((c) => c.name)).toStrictEqual(TABLE_COLUMNS);
    expect(columnsFor(WIDE).map((c) => c.name)).toStrictEqual(WIDE_COLUMNS);
  });
  it.each([TABLE, WIDE, { wide: true, nodes: true, ancestry: true }])('minimum widths hold the header (%j)', (set) => {
    for (const c of columnsFor(set)) expect(c.minWidth).toBeGreaterThanOrEqual(c.name.length);
  });
});

describe('RET and ANCESTRY cells', () => {
  const chain = (...comms: string[]) =>
    comms.map((comm, i) => ({ pid: 100 - i, comm, namespace: null, pod: null, container: null, host: true }));
  it.each<[string, AttributedEvent, string, string]>([
    ['success', podEvent({ retval: 0 }), '0', '-'],
    ['ENOENT', podEvent({ retval: -2 }), 'ENOENT', '-'],
    ['EACCES', podEvent({ retval: -13 }), 'EACCES', '-'],
    ['exit record never came', podEvent({ retval: null }), '-', '-'],
    [
      'a chain, nearest parent first',
      { ...podEvent(), ancestry: chain('sh', 'bash', 'containerd-shim') },
      '0',
      'sh ← bash ← containerd-shim',
    ],
    ['an empty chain', { ...podEvent(), ancestry: [] }, '0', '-'],
    ['control characters in a parent', { ...podEvent(), ancestry: chain('x\x1b[2J') }, '0', 'x\\x1b[2J'],
  ])('%s', (_what, e, ret, ancestry) => {
    expect(retCell(e)).toBe(ret);
    expect(ancestryCell(e)).toBe(ancestry);
  });
});

describe('formatClock', () => {
  it.each([
    { timeMs: T0, millis: true, out: '11:41:16.123' },
    { timeMs: T0, millis: false, out: '11:41:16' },
    { timeMs: Date.UTC(2026, 0, 1, 0, 0, 0, 5), millis: true, out: '00:00:00.005' },
    { timeMs: Date.UTC(2026, 0, 1, 23, 59, 59, 999), millis: false, out: '23:59:59' },
  ])('$timeMs (millis=$millis) → $out', ({ timeMs, millis, out }) => {
    expect(formatClock(timeMs, millis)).toBe(out);
  });
});

describe('formatArgs', () => {
  it.each([
    { args: ['sh', '-c', 'true'], truncated: false, out: 'sh -c true' },
    { args: ['sh', '-c', 'echo hi; exit 1'], truncated: false, out: "sh -c 'echo hi; exit 1'" },
    { args: ['touch', 'with space', ''], truncated: false, out: "touch 'with space' ''" },
    { args: ['echo', "it's"], truncated: false, out: "echo 'it'\\''s'" },
    { args: ['printf', 'a\nb'], truncated: false, out: "printf $'a\\nb'" },
    { args: ['echo', 'héllo', '日本語'], truncated: false, out: 'echo héllo 日本語' },
    { args: ['find', '/', '-name'], truncated: true, out: 'find / -name …' },
    { args: [], truncated: false, out: '' },
    { args: [], truncated: true, out: '…' },
  ])('$args (truncated=$truncated)', ({ args, truncated, out }) => {
    expect(formatArgs(args, truncated)).toBe(out);
  });
});

describe('who cells', () => {
  it.each<{ name: string; e: AttributedEvent; ns: string; pod: string; container: string }>([
    { name: 'pod container', e: podEvent(), ns: 'default', pod: 'web-7d9f8b6c5d-x2x9q', container: 'nginx' },
    { name: 'pod, container unknown', e: podEvent({}, { container: null }), ns: 'default', pod: 'web-7d9f8b6c5d-x2x9q', container: '-' },
    { name: 'host, unit known', e: hostEvent({}, 'sshd.service'), ns: '<host>', pod: 'sshd.service', container: '-' },
    { name: 'host, session scope', e: hostEvent({}, 'session-3.scope'), ns: '<host>', pod: 'session-3.scope', container: '-' },
    { name: 'host, no unit', e: hostEvent({}, null), ns: '<host>', pod: '-', container: '-' },
    { name: 'unattributed', e: unattributedEvent(), ns: '<unknown>', pod: 'pod-uid:da0fc44d', container: '-' },
    {
      name: 'unattributed static pod (config hash)',
      e: unattributedEvent({}, { podUid: '0123456789abcdef0123456789abcdef' }),
      ns: '<unknown>',
      pod: 'pod-uid:01234567',
      container: '-',
    },
  ])('$name', ({ e, ns, pod, container }) => {
    expect([namespaceCell(e), podCell(e), containerCell(e)]).toStrictEqual([ns, pod, container]);
  });
});

describe('rowCells', () => {
  it.each<{ name: string; e: AttributedEvent; table: string[]; wide: string[] }>([
    {
      name: 'pod container',
      e: podEvent(),
      table: ['11:41:16.123', 'default', 'web-7d9f8b6c5d-x2x9q', 'nginx', '4242', '4200', 'sh', 'sh -c true'],
      wide: [
        '11:41:16.123',
        'default',
        'web-7d9f8b6c5d-x2x9q',
        'nginx',
        '4242',
        '4200',
        'sh',
        '-',
        '-',
        'worker-1',
        '0',
        '0',
        '0123456789abc',
        '-',
        'sh -c true',
      ],
    },
    {
      name: 'host, failed exec',
      e: hostEvent({ uid: 1000, retval: -13, comm: 'bash', args: ['/opt/x'] }, 'sshd.service'),
      table: ['11:41:16.123', '<host>', 'sshd.service', '-', '4242', '4200', 'bash', '/opt/x'],
      wide: [
        '11:41:16.123',
        '<host>',
        'sshd.service',
        '-',
        '4242',
        '4200',
        'bash',
        '-',
        '-',
        'worker-1',
        '1000',
        'EACCES',
        '-',
        '-',
        '/opt/x',
      ],
    },
    {
      name: 'unattributed, exit record never came',
      e: unattributedEvent({ retval: null }),
      table: ['11:41:16.123', '<unknown>', 'pod-uid:da0fc44d', '-', '4242', '4200', 'sh', 'sh -c true'],
      wide: [
        '11:41:16.123',
        '<unknown>',
        'pod-uid:da0fc44d',
        '-',
        '4242',
        '4200',
        'sh',
        '-',
        '-',
        'worker-1',
        '0',
        '-',
        '0123456789abc',
        '-',
        'sh -c true',
      ],
    },
    {
      name: 'truncated argv',
      e: podEvent({ args: ['xargs', '-n1'], argsTruncated: true }, { containerId: null }),
      table: ['11:41:16.123', 'default', 'web-7d9f8b6c5d-x2x9q', 'nginx', '4242', '4200', 'sh', 'xargs -n1 …'],
      wide: [
        '11:41:16.123',
        'default',
        'web-7d9f8b6c5d-x2x9q',
        'nginx',
        '4242',
        '4200',
        'sh',
        '-',
        '-',
        'worker-1',
        '0',
        '0',
        '-',
        '-',
        'xargs -n1 …',
      ],
    },
    {
      name: 'control characters in comm and args',
      e: podEvent({ comm: 'x\x1b[2J', args: ['x', '\x1b[2J'] }),
      table: ['11:41:16.123', 'default', 'web-7d9f8b6c5d-x2x9q', 'nginx', '4242', '4200', 'x\\x1b[2J', "x $'\\x1b[2J'"],
      wide: [
        '11:41:16.123',
        'default',
        'web-7d9f8b6c5d-x2x9q',
        'nginx',
        '4242',
        '4200',
        'x\\x1b[2J',
        '-',
        '-',
        'worker-1',
        '0',
        '0',
        '0123456789abc',
        '-',
        "x $'\\x1b[2J'",
      ],
    },
    {
      name: 'from the writable layer (drift)',
      e: podEvent({ upperLayer: true, args: ['./miner', '--pool', 'x y'] }),
      table: ['11:41:16.123', 'default', 'web-7d9f8b6c5d-x2x9q', 'nginx', '4242', '4200', 'sh', "[drift] ./miner --pool 'x y'"],
      wide: [
        '11:41:16.123',
        'default',
        'web-7d9f8b6c5d-x2x9q',
        'nginx',
        '4242',
        '4200',
        'sh',
        '-',
        '-',
        'worker-1',
        '0',
        '0',
        '0123456789abc',
        'yes',
        "./miner --pool 'x y'",
      ],
    },
    {
      name: 'drift with an empty argv',
      e: podEvent({ upperLayer: true, args: [] }),
      table: ['11:41:16.123', 'default', 'web-7d9f8b6c5d-x2x9q', 'nginx', '4242', '4200', 'sh', '[drift]'],
      wide: [
        '11:41:16.123',
        'default',
        'web-7d9f8b6c5d-x2x9q',
        'nginx',
        '4242',
        '4200',
        'sh',
        '-',
        '-',
        'worker-1',
        '0',
        '0',
        '0123456789abc',
        'yes',
        '',
      ],
    },
    {
      name: 'from an image layer',
      e: podEvent({ upperLayer: false }),
      table: ['11:41:16.123', 'default', 'web-7d9f8b6c5d-x2x9q', 'nginx', '4242', '4200', 'sh', 'sh -c true'],
      wide: [
        '11:41:16.123',
        'default',
        'web-7d9f8b6c5d-x2x9q',
        'nginx',
        '4242',
        '4200',
        'sh',
        '-',
        '-',
        'worker-1',
        '0',
        '0',
        '0123456789abc',
        'no',
        'sh -c true',
      ],
    },
    {
      name: 'an argument that reads like the mark is quoted: the mark cannot be forged',
      e: podEvent({ upperLayer: false, args: ['[drift]', 'x'] }),
      table: ['11:41:16.123', 'default', 'web-7d9f8b6c5d-x2x9q', 'nginx', '4242', '4200', 'sh', "'[drift]' x"],
      wide: [
        '11:41:16.123',
        'default',
        'web-7d9f8b6c5d-x2x9q',
        'nginx',
        '4242',
        '4200',
        'sh',
        '-',
        '-',
        'worker-1',
        '0',
        '0',
        '0123456789abc',
        'no',
        "'[drift]' x",
      ],
    },
  ])('$name', ({ e, table, wide }) => {
    expect(rowCells(e, TABLE)).toStrictEqual([...table.slice(0, -1), retCell(e), table.at(-1)]);
    expect(rowCells(e, WIDE)).toStrictEqual(wide);
  });
});

describe('CWD and EXE (-o wide)', () => {
  it.each<[string, Partial<AttributedEvent['event']>, string, string]>([
    ['not known (a recording without them)', {}, '-', '-'],
    ['a script: EXE its interpreter', { filename: '/usr/local/bin/deploy.sh', cwd: '/srv', exe: '/usr/bin/dash' }, '/srv', '/usr/bin/dash'],
    ['the file the filename names: no EXE', { filename: '/usr/bin/ls', cwd: '/', exe: '/usr/bin/ls' }, '/', '-'],
    ['./tool in its directory: resolved against cwd, no EXE', { filename: './tool', cwd: '/tmp/x', exe: '/tmp/x/tool' }, '/tmp/x', '-'],
    ['a symlink: EXE its target', { filename: '/bin/sh', cwd: '/', exe: '/usr/bin/dash' }, '/', '/usr/bin/dash'],
    ['a memfd', { filename: '/proc/self/fd/3', cwd: '/', exe: '/memfd:x', exeFromMemfd: true }, '/', '/memfd:x'],
    ['a failed exec: no EXE', { filename: '/nope', cwd: '/root', retval: -2 }, '/root', '-'],
    ['control characters in a path', { cwd: '/tmp/\x1b[2J', exe: '/tmp/\x1b[2J/x' }, '/tmp/\\x1b[2J', '/tmp/\\x1b[2J/x'],
  ])('%s', (_name, fields, cwd, exe) => {
    const row = rowCells(podEvent(fields), WIDE);
    expect(row.slice(7, 9)).toStrictEqual([cwd, exe]);
    expect(exeCell(podEvent(fields))).toBe(exe);
  });
});

describe('formatDuration (--exits)', () => {
  it.each([
    [0.001, '0 ms'],
    [0.25, '0.25 ms'],
    [9.994, '9.99 ms'],
    [12.4, '12 ms'],
    [999.4, '999 ms'],
    [1520, '1.52 s'],
    [59_994, '59.99 s'],
    [192_000, '3m12s'],
    [7_380_000, '2h03m'],
  ])('%s ms → %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});
