import { describe, expect, it } from 'vitest';
import type { AttributedEvent } from '../join/types.js';
import { formatJsonLine, toJsonExitRecord, toJsonRecord, type JsonExecRecord } from './json.js';
import { CONTAINER_ID, POD_UID, T0, hostEvent, podEvent, unattributedEvent } from './fixtures.test-helpers.js';

const FIELD_ORDER = [
  'type',
  'time',
  'node',
  'namespace',
  'pod',
  'container',
  'containerId',
  'workload',
  'image',
  'imageId',
  'pid',
  'ppid',
  'uid',
  'loginUid',
  'sessionId',
  'tty',
  'entry',
  'sessionLeaderPid',
  'cwd',
  'cwdTruncated',
  'exe',
  'exeFromMemfd',
  'exeDeleted',
  'comm',
  'filename',
  'args',
  'argsTruncated',
  'retval',
  'error',
  'upperLayer',
  'cgroup',
  'podUid',
  'unit',
  'helper',
  'attribution',
];

const POD_CGROUP = `/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${POD_UID.replaceAll('-', '_')}.slice/crio-${CONTAINER_ID}.scope`;

/** The record of the default pod event; rows override what they change. */
const base: JsonExecRecord = {
  type: 'exec',
  time: '2026-11-26T11:41:16.123Z',
  node: 'worker-1',
  namespace: 'default',
  pod: 'web-7d9f8b6c5d-x2x9q',
  container: 'nginx',
  containerId: CONTAINER_ID,
  pid: 4242,
  ppid: 4200,
  uid: 0,
  loginUid: null,
  sessionId: null,
  tty: null,
  cwd: null,
  cwdTruncated: false,
  exe: null,
  exeFromMemfd: null,
  exeDeleted: null,
  comm: 'sh',
  filename: '/bin/sh',
  args: ['sh', '-c', 'true'],
  argsTruncated: false,
  retval: 0,
  error: null,
  upperLayer: null,
  cgroup: POD_CGROUP,
  podUid: POD_UID,
  unit: null,
  helper: null,
  attribution: 'pod',
  workload: null,
  image: null,
  imageId: null,
  entry: null,
  sessionLeaderPid: null,
};

/** An interactive shell's command in a Deployment's pod, with every fact of issue 23 known. */
const SESSION_FACTS = {
  tty: 'pts/0',
  loginUid: 1000,
  sessionId: 7,
  sessionLeaderPid: 4200,
  inInitTree: false,
  exe: '/usr/bin/dash',
  exeFromMemfd: false,
  exeDeleted: false,
  cwd: '/srv',
  cwdTruncated: false,
};
const POD_FACTS = {
  entry: 'exec' as const,
  workload: 'deploy/web',
  image: 'docker.io/library/nginx:1.27',
  imageId: `docker.io/library/nginx@sha256:${'e'.repeat(64)}`,
};

describe('toJsonRecord', () => {
  it.each<{ name: string; e: AttributedEvent; expected: JsonExecRecord }>([
    { name: 'pod container', e: podEvent(), expected: base },
    {
      name: 'pod, container not known yet',
      e: podEvent({}, { container: null, containerId: null }),
      expected: {
        ...base,
        container: null,
        containerId: null,
        cgroup: `/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${POD_UID.replaceAll('-', '_')}.slice`,
      },
    },
    {
      name: 'host process in a unit',
      e: hostEvent({ uid: 1000 }, 'sshd.service'),
      expected: {
        ...base,
        namespace: null,
        pod: null,
        container: null,
        containerId: null,
        uid: 1000,
        comm: 'bash',
        filename: '/usr/bin/bash',
        args: ['bash'],
        cgroup: '/system.slice/sshd.service',
        podUid: null,
        unit: 'sshd.service',
        attribution: 'host',
      },
    },
    {
      name: 'host process, unit unknown',
      e: hostEvent({}, null),
      expected: {
        ...base,
        namespace: null,
        pod: null,
        container: null,
        containerId: null,
        comm: 'bash',
        filename: '/usr/bin/bash',
        args: ['bash'],
        cgroup: '/',
        podUid: null,
        unit: null,
        attribution: 'host',
      },
    },
    {
      name: 'unattributed pod cgroup',
      e: unattributedEvent(),
      expected: { ...base, namespace: null, pod: null, container: null, attribution: 'unattributed' },
    },
    {
      name: 'failed exec, truncated args',
      e: podEvent({ retval: -2, args: ['x', 'y'], argsTruncated: true }),
      expected: { ...base, retval: -2, error: 'ENOENT', args: ['x', 'y'], argsTruncated: true },
    },
    { name: 'exit record never came', e: podEvent({ retval: null }), expected: { ...base, retval: null } },
    { name: 'permission denied', e: podEvent({ retval: -13 }), expected: { ...base, retval: -13, error: 'EACCES' } },
    { name: 'an errno without a name here', e: podEvent({ retval: -200 }), expected: { ...base, retval: -200, error: 'E200' } },
    { name: 'executable from the upper layer (drift)', e: podEvent({ upperLayer: true }), expected: { ...base, upperLayer: true } },
    { name: 'executable from an image layer', e: podEvent({ upperLayer: false }), expected: { ...base, upperLayer: false } },
    {
      name: 'a command in an exec session, with its workload and image',
      e: podEvent(SESSION_FACTS, POD_FACTS),
      expected: {
        ...base,
        ...POD_FACTS,
        tty: 'pts/0',
        loginUid: 1000,
        sessionId: 7,
        sessionLeaderPid: 4200,
        exe: '/usr/bin/dash',
        exeFromMemfd: false,
        exeDeleted: false,
        cwd: '/srv',
      },
    },
    {
      name: 'a memfd exec with its cwd cut',
      e: podEvent(
        { exe: '/memfd:x (deleted)', exeFromMemfd: true, exeDeleted: true, cwd: 'deep/dir', cwdTruncated: true },
        { entry: 'init' },
      ),
      expected: {
        ...base,
        entry: 'init',
        exe: '/memfd:x (deleted)',
        exeFromMemfd: true,
        exeDeleted: true,
        cwd: 'deep/dir',
        cwdTruncated: true,
      },
    },
    {
      name: 'the exec context: a terminal session in /tmp/x running a script (exe: its interpreter)',
      e: podEvent({
        loginUid: 1000,
        sessionId: 4,
        tty: 'pts/3',
        cwd: '/tmp/x',
        exe: '/usr/bin/dash',
        exeFromMemfd: false,
        exeDeleted: false,
        inInitTree: false,
        sessionLeaderPid: 4100,
      }),
      expected: {
        ...base,
        loginUid: 1000,
        sessionId: 4,
        tty: 'pts/3',
        sessionLeaderPid: 4100,
        cwd: '/tmp/x',
        exe: '/usr/bin/dash',
        exeFromMemfd: false,
        exeDeleted: false,
      },
    },
    {
      name: 'a memfd exec from a cut cwd',
      e: podEvent({ cwd: '…/b/c', cwdTruncated: true, exe: '/memfd:x', exeFromMemfd: true, exeDeleted: true }),
      expected: { ...base, cwd: '…/b/c', cwdTruncated: true, exe: '/memfd:x', exeFromMemfd: true, exeDeleted: true },
    },
    {
      name: 'non-ASCII args',
      e: podEvent({ args: ['echo', 'héllo', '日本語', '👍🏽'] }),
      expected: { ...base, args: ['echo', 'héllo', '日本語', '👍🏽'] },
    },
  ])('$name', ({ e, expected }) => {
    const r = toJsonRecord(e);
    expect(r).toStrictEqual(expected);
    expect(Object.keys(r)).toStrictEqual(FIELD_ORDER);
  });

  it.each([
    { timeMs: T0, time: '2026-11-26T11:41:16.123Z' },
    { timeMs: Date.UTC(2026, 0, 1), time: '2026-01-01T00:00:00.000Z' },
    { timeMs: Date.UTC(2026, 11, 31, 23, 59, 59, 999), time: '2026-12-31T23:59:59.999Z' },
    { timeMs: 0, time: '1970-01-01T00:00:00.000Z' },
  ])('time $timeMs → $time', ({ timeMs, time }) => {
    expect(toJsonRecord(podEvent({ timeMs })).time).toBe(time);
  });

  it('copies argv rather than sharing it', () => {
    const e = podEvent();
    toJsonRecord(e).args.push('more');
    expect(e.event.args).toStrictEqual(['sh', '-c', 'true']);
  });
});

describe('formatJsonLine', () => {
  it.each([
    { name: 'plain', args: ['sh', '-c', 'true'], raw: [] as string[], escaped: [] as string[] },
    { name: 'non-ASCII kept as is', args: ['echo', 'héllo', '日本語', '👍🏽'], raw: ['héllo', '日本語', '👍🏽'], escaped: [] },
    { name: 'newline and ESC escaped by JSON', args: ['printf', 'a\nb\x1b[31m'], raw: [], escaped: ['\\n', '\\u001b'] },
    { name: 'DEL and C1 controls escaped', args: ['x', '\x7f\u009b'], raw: [], escaped: ['\\u007f\\u009b'] },
    { name: 'line separators escaped', args: ['x', 'a\u2028b\u2029'], raw: [], escaped: ['a\\u2028b\\u2029'] },
  ])('$name', ({ args, raw, escaped }) => {
    const e = podEvent({ args });
    const line = formatJsonLine(e);
    expect(line).not.toMatch(/[\n\r\u007f-\u009f\u2028\u2029]/);
    for (const s of raw) expect(line).toContain(s);
    for (const s of escaped) expect(line).toContain(s);
    expect(JSON.parse(line)).toStrictEqual(toJsonRecord(e));
  });

  it('the fields before "error" are byte for byte what they were before it was added', () => {
    const line = formatJsonLine(podEvent({ retval: -2 }));
    const before = JSON.stringify({ ...toJsonRecord(podEvent({ retval: -2 })), error: undefined });
    expect(line.replace(',"error":"ENOENT"', '')).toBe(before);
    expect(line).toContain('"retval":-2,"error":"ENOENT","upperLayer":null,"cgroup":');
  });

  it('"pathSearch": true right after "error", only on a marked attempt; the line is otherwise unchanged', () => {
    const plain = formatJsonLine(podEvent({ retval: -2 }));
    const marked = formatJsonLine({ ...podEvent({ retval: -2 }), pathSearch: true });
    expect(marked).toContain('"retval":-2,"error":"ENOENT","pathSearch":true,"upperLayer":null,"cgroup":');
    expect(marked.replace('"pathSearch":true,', '')).toBe(plain);
    expect(plain).not.toContain('pathSearch');
  });

  it('starts with type and time and ends with attribution, no trailing newline', () => {
    const line = formatJsonLine(hostEvent());
    expect(line.startsWith('{"type":"exec","time":"2026-11-26T11:41:16.123Z","node":"worker-1","namespace":null,')).toBe(true);
    expect(line.endsWith(`"podUid":null,"unit":"sshd.service","helper":null,"attribution":"host"}`)).toBe(true);
  });
});

describe('exit lines (--exits)', () => {
  const ended = (
    exit: NonNullable<AttributedEvent['event']['exit']>,
    over: Partial<AttributedEvent['event']> = {},
    e = podEvent(over),
  ): AttributedEvent => ({
    ...e,
    event: { ...e.event, exit },
  });
  it.each<[string, AttributedEvent, Record<string, unknown>]>([
    [
      'exit(3) in a pod',
      ended({ exitCode: 3, signal: null, core: false, durationMs: 1520.25 }),
      {
        type: 'exit',
        time: '2026-11-26T11:41:16.123Z',
        node: 'worker-1',
        namespace: 'default',
        pod: 'web-7d9f8b6c5d-x2x9q',
        container: 'nginx',
        containerId: CONTAINER_ID,
        pid: 4242,
        comm: 'sh',
        exitCode: 3,
        signal: null,
        durationMs: 1520.25,
      },
    ],
    ['killed by SIGKILL', ended({ exitCode: null, signal: 9, core: false, durationMs: 7 }), { exitCode: null, signal: 'SIGKILL' }],
    ['SIGSEGV with a core dump', ended({ exitCode: null, signal: 11, core: true, durationMs: 7 }), { exitCode: null, signal: 'SIGSEGV' }],
    [
      'a host process',
      { ...hostEvent(), event: { ...hostEvent().event, exit: { exitCode: 0, signal: null, core: false, durationMs: 0.001 } } },
      { namespace: null, pod: null, container: null, exitCode: 0, durationMs: 0.001 },
    ],
  ])('%s', (_n, e, expected) => {
    const line = formatJsonLine(e);
    const reference = JSON.stringify(toJsonExitRecord(e));
    expect(line).toBe(reference);
    expect(Object.keys(JSON.parse(line))).toEqual([
      'type',
      'time',
      'node',
      'namespace',
      'pod',
      'container',
      'containerId',
      'pid',
      'comm',
      'exitCode',
      'signal',
      'durationMs',
    ]);
    expect(JSON.parse(line)).toMatchObject(expected);
  });

  it('an exec and its end share the placement cache without mixing their shapes', () => {
    const e = podEvent();
    const end = ended({ exitCode: 1, signal: null, core: false, durationMs: 2 }, {}, e);
    expect(formatJsonLine(e)).toBe(JSON.stringify(toJsonRecord(e)));
    expect(formatJsonLine(end)).toBe(JSON.stringify(toJsonExitRecord(end)));
    expect(formatJsonLine(e)).toBe(JSON.stringify(toJsonRecord(e)));
  });
});

describe('formatJsonLine is JSON.stringify(toJsonRecord(e)), byte for byte', () => {
  const reference = (e: AttributedEvent): string =>
    JSON.stringify(toJsonRecord(e)).replace(/[\u007f-\u009f\u2028\u2029]/g, (c) => `\\u${c.codePointAt(0)!.toString(16).padStart(4, '0')}`);
  const odd = ['', ' ', '"q"', 'back\\slash', 'tab\tnl\n', '\x00\x1f', '\x7f\u0085\u009f', 'a\u2028b\u2029', 'héllo 日本語 👍🏽', '\ud800'];
  it.each([
    ['pod', podEvent()],
    ['pod, container not known', podEvent({}, { container: null, containerId: null })],
    ['host in a unit', hostEvent({ uid: 1000 }, 'sshd.service')],
    ['host, no unit', hostEvent({}, null)],
    ['unattributed', unattributedEvent()],
    ['failed, truncated', podEvent({ retval: -2, argsTruncated: true })],
    ['no exit record', podEvent({ retval: null })],
    ['no args', podEvent({ args: [] })],
    ['upper layer', podEvent({ upperLayer: true })],
    ['image layer', podEvent({ upperLayer: false })],
    ['odd strings everywhere', podEvent({ args: odd, comm: odd[6]!, filename: odd[7]!, cwd: odd[5]!, exe: odd[4]! })],
    [
      'the exec context',
      podEvent({ loginUid: 0, sessionId: 1, tty: 'tty1', cwd: '/', exe: '/memfd:x', exeFromMemfd: true, exeDeleted: true }),
    ],
    ['odd names', podEvent({}, { namespace: 'n\u2028s', pod: 'p"o\\d', container: '\x7fc' })],
    ['a failed attempt of a PATH search that went on', { ...podEvent({ retval: -2 }), pathSearch: true } as AttributedEvent],
    ['session facts', podEvent(SESSION_FACTS, POD_FACTS)],
    [
      'odd cwd, exe, tty, image',
      podEvent({ cwd: odd[4]!, exe: odd[6]!, tty: odd[7]! }, { entry: 'probe', workload: odd[3]!, image: odd[8]!, imageId: odd[2]! }),
    ],
    [
      'with ancestry',
      {
        ...podEvent(),
        ancestry: [{ pid: 1, comm: 'sh\u009b', namespace: null, pod: null, container: null, host: true }],
      } as AttributedEvent,
    ],
  ])('%s', (_n, e) => {
    expect(formatJsonLine(e)).toBe(reference(e));
  });

  it.each([
    0,
    1,
    999,
    1000,
    1001,
    1.5,
    999.999,
    -1,
    -1.5,
    -999,
    -1000,
    -1001,
    1_700_000_000_000,
    1_700_000_000_000.75,
    1_700_000_000_999.99,
    1_700_000_001_000,
    1_700_000_001_007,
    1_700_000_001_070,
    253_402_300_799_999,
    253_402_300_800_000,
    -62_167_219_200_001,
    8.64e15 - 1000,
  ])('time %s ms, after the same second and after another', (timeMs) => {
    // The time text is reused within a second: each time right after another in the same second and in the one before.
    for (const before of [timeMs, timeMs - 1, timeMs - 1000, timeMs + 1]) {
      const e = podEvent({ timeMs });
      formatJsonLine(podEvent({ timeMs: before }));
      expect(formatJsonLine(e)).toBe(reference(e));
    }
  });

  it('an identity seen before with other names is serialized with the new ones', () => {
    const first = podEvent();
    const later = { ...first, container: 'sidecar', containerId: 'f'.repeat(64) };
    expect(formatJsonLine(first)).toBe(reference(first));
    expect(formatJsonLine(later)).toBe(reference(later));
    expect(formatJsonLine({ ...first, node: 'worker-2' })).toBe(reference({ ...first, node: 'worker-2' }));
    expect(formatJsonLine({ ...first, unattributed: true })).toBe(reference({ ...first, unattributed: true }));
    // The workload is set again once the pod's ReplicaSet was read (src/kube/owners.ts).
    expect(formatJsonLine({ ...first, workload: 'deploy/web' })).toBe(reference({ ...first, workload: 'deploy/web' }));
    expect(formatJsonLine(first)).toBe(reference(first));
  });
});
