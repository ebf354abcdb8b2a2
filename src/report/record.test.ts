import { describe, expect, it } from 'vitest';
import type { AttributedEvent } from '../join/types.js';
import { formatJsonLine } from '../output/json.js';
import { Summary } from '../output/summary.js';
import { CONTAINER_ID, POD_UID, T0, hostEvent, podEvent, unattributedEvent } from '../output/fixtures.test-helpers.js';
import { parseRecordLine } from './record.js';

const conmon = (): AttributedEvent => {
  const e = podEvent({ comm: 'conmon' }, { container: null });
  return {
    ...e,
    identity: { ...(e.identity as Extract<AttributedEvent['identity'], { kind: 'pod' }>), helper: 'conmon', containerId: null },
    containerId: null,
  };
};

const CASES: [string, AttributedEvent][] = [
  ['an exec in a pod', podEvent({ args: ['curl', '-s', 'with space', '', 'grüße ✓'], timeMs: T0 + 7 })],
  ['a failed exec', podEvent({ retval: -2, filename: '/nope' })],
  ['an exec whose exit record never came', podEvent({ retval: null })],
  ['argv cut', podEvent({ argsTruncated: true })],
  ['a host process in a unit', hostEvent({}, 'sshd.service')],
  ['a host process in no unit', hostEvent({}, null)],
  ['a pod cgroup no pod record matched', unattributedEvent()],
  ['a runtime helper', conmon()],
  ['a static pod', podEvent({}, { podUid: 'a'.repeat(32) })],
  ['an executable from the writable layer (drift)', podEvent({ upperLayer: true, filename: '/tmp/miner' })],
  ['an executable from an image layer', podEvent({ upperLayer: false })],
  ['a failed attempt of a PATH search that went on', { ...podEvent({ retval: -2, filename: '/usr/local/bin/curl' }), pathSearch: true }],
];

describe('parseRecordLine', () => {
  it.each(CASES)('%s: read back, it prints the same JSON line', (_name, e) => {
    const line = formatJsonLine(e);
    const r = parseRecordLine(line);
    expect(r.kind).toBe('exec');
    if (r.kind !== 'exec') return;
    expect(formatJsonLine(r.event)).toBe(line);
    expect(r.upperLayer).toBe(e.event.upperLayer);
  });

  it('a recording from before upperLayer: not known (null), and the record says it had no such field', () => {
    const o = JSON.parse(formatJsonLine(podEvent())) as Record<string, unknown>;
    delete o.upperLayer;
    const r = parseRecordLine(JSON.stringify(o));
    expect(r).toMatchObject({ kind: 'exec', event: { event: { upperLayer: null } } });
    expect(r).not.toHaveProperty('upperLayer');
  });

  it('read back, the records give the same summary as the events they were printed from', () => {
    const live = new Summary();
    const offline = new Summary();
    for (const [, e] of CASES) {
      live.add(e);
      const r = parseRecordLine(formatJsonLine(e));
      if (r.kind === 'exec') offline.add(r.event);
    }
    expect(offline.render()).toBe(live.render());
  });

  it('reads the exit lines --exits prints, and old exec lines without "type"; the summary of both is the live one', () => {
    const e = podEvent({ comm: 'curl' });
    const ends = [
      { ...e, event: { ...e.event, timeMs: T0 + 100, exit: { exitCode: 3, signal: null, core: false, durationMs: 100.5 } } },
      { ...e, event: { ...e.event, timeMs: T0 + 200, exit: { exitCode: null, signal: 9, core: false, durationMs: 200 } } },
    ];
    const live = new Summary();
    const offline = new Summary();
    for (const x of [e, ...ends]) {
      live.add(x);
      const r = parseRecordLine(formatJsonLine(x));
      if (r.kind === 'exec') offline.add(r.event);
      else if (r.kind === 'exit') offline.exit(r.exit);
    }
    expect(parseRecordLine(formatJsonLine(ends[1]!))).toMatchObject({
      kind: 'exit',
      exit: { pid: e.event.pid, comm: 'curl', exitCode: null, signal: 'SIGKILL', durationMs: 200, pod: e.pod },
    });
    expect(offline.render()).toBe(live.render());
    expect(live.render()).toContain('Processes that exited non-zero or by a signal (of 2 that ended)');
    const old = JSON.parse(formatJsonLine(e)) as Record<string, unknown>;
    delete old.type;
    expect(parseRecordLine(JSON.stringify(old)).kind).toBe('exec');
  });

  it.each<[string, Record<string, unknown>, unknown]>([
    ['upperLayer true (drift)', { upperLayer: true }, { kind: 'exec', upperLayer: true, event: { event: { upperLayer: true } } }],
    ['upperLayer null', { upperLayer: null }, { kind: 'exec', upperLayer: null }],
    ['type exec', { type: 'exec' }, { kind: 'exec' }],
    ['pathSearch true', { retval: -2, pathSearch: true }, { kind: 'exec', event: { pathSearch: true } }],
    ['pathSearch not a boolean', { pathSearch: 1 }, { kind: 'malformed', reason: '"pathSearch" is neither true nor false' }],
    ['a type this version does not know', { type: 'fork' }, { kind: 'skip', why: 'type fork' }],
    ['upperLayer not a boolean', { upperLayer: 'yes' }, { kind: 'malformed', reason: '"upperLayer" is neither true, false nor null' }],
    ['no pid', { pid: undefined }, { kind: 'malformed', reason: '"pid" is not a whole number' }],
    ['a bad time', { time: 'yesterday' }, { kind: 'malformed', reason: '"time" "yesterday" is not an RFC 3339 time' }],
    ['args not strings', { args: [1] }, { kind: 'malformed', reason: '"args" is not a list of strings' }],
    [
      'an unknown attribution',
      { attribution: 'cluster' },
      { kind: 'malformed', reason: '"attribution" "cluster" is not pod, host or unattributed' },
    ],
    ['a pod without its name', { pod: null }, { kind: 'malformed', reason: 'an exec attributed to a pod without "namespace" and "pod"' }],
    ['no helper field (older recordings): null', { helper: undefined }, { kind: 'exec' }],
    [
      'the exec context',
      {
        cwd: '/tmp/x',
        cwdTruncated: false,
        exe: '/memfd:x',
        exeFromMemfd: true,
        exeDeleted: true,
        tty: 'pts/3',
        loginUid: 1000,
        sessionId: 4,
      },
      {
        kind: 'exec',
        event: {
          event: { cwd: '/tmp/x', exe: '/memfd:x', exeFromMemfd: true, exeDeleted: true, tty: 'pts/3', loginUid: 1000, sessionId: 4 },
        },
      },
    ],
    [
      'no exec context (older recordings): not known',
      {
        cwd: undefined,
        cwdTruncated: undefined,
        exe: undefined,
        exeFromMemfd: undefined,
        exeDeleted: undefined,
        tty: undefined,
        loginUid: undefined,
        sessionId: undefined,
      },
      {
        kind: 'exec',
        event: {
          event: {
            cwd: null,
            cwdTruncated: false,
            exe: null,
            exeFromMemfd: null,
            exeDeleted: null,
            tty: null,
            loginUid: null,
            sessionId: null,
          },
        },
      },
    ],
    ['a tty not a string', { tty: 3 }, { kind: 'malformed', reason: '"tty" is neither a string nor null' }],
    ['exeFromMemfd not a boolean', { exeFromMemfd: 1 }, { kind: 'malformed', reason: '"exeFromMemfd" is neither true, false nor null' }],
  ])('an exec line with %s', (_name, change, expected) => {
    const o = { ...(JSON.parse(formatJsonLine(podEvent())) as Record<string, unknown>), ...change };
    expect(parseRecordLine(JSON.stringify(o))).toMatchObject(expected as object);
  });

  it.each<[string, string, unknown]>([
    ['a blank line', '  ', { kind: 'skip', why: 'blank' }],
    ['the totals line', '{"kind":"trace-exec.totals","events":1}', { kind: 'skip', why: 'trace-exec.totals' }],
    ['not JSON', '{"time": "2026-', { kind: 'malformed', reason: expect.stringMatching(/^not JSON/) }],
    ['a cut line', formatJsonLine(podEvent()).slice(0, 40), { kind: 'malformed' }],
    ['a JSON array', '[1]', { kind: 'malformed', reason: 'not a JSON object' }],
    [
      'an exit',
      '{"type":"exit","time":"2026-11-26T11:41:16.123Z","node":"n","namespace":"a","pod":"p","container":"c","containerId":null,"pid":7,"comm":"sh","exitCode":null,"signal":"SIGKILL","durationMs":12.5}',
      {
        kind: 'exit',
        exit: {
          timeMs: T0,
          node: 'n',
          namespace: 'a',
          pod: 'p',
          container: 'c',
          pid: 7,
          comm: 'sh',
          exitCode: null,
          signal: 'SIGKILL',
          durationMs: 12.5,
        },
      },
    ],
    [
      'an exit with neither code nor signal',
      '{"type":"exit","time":"2026-11-26T11:41:16.123Z","node":"n","pid":7,"comm":"sh","exitCode":null,"signal":null}',
      { kind: 'malformed' },
    ],
  ])('%s', (_name, line, expected) => {
    expect(parseRecordLine(line)).toMatchObject(expected as object);
  });

  it('keeps what the record says over what the cgroup path would decode to', () => {
    const e = podEvent({}, { podUid: POD_UID, containerId: CONTAINER_ID });
    const o = { ...(JSON.parse(formatJsonLine(e)) as Record<string, unknown>), cgroup: '/somewhere/else' };
    const r = parseRecordLine(JSON.stringify(o));
    expect(r).toMatchObject({
      kind: 'exec',
      event: { identity: { kind: 'pod', podUid: POD_UID, containerId: CONTAINER_ID }, cgroup: '/somewhere/else' },
    });
  });
});
