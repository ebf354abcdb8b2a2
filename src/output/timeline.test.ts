import { describe, expect, it } from 'vitest';
import type { AttributedEvent } from '../join/types.js';
import { Timeline, type TraceEvent } from './timeline.js';
import { T0, hostEvent, podEvent, unattributedEvent } from './fixtures.test-helpers.js';
import { traceEventProblems } from '../../test/support/trace-events.js';

const at = (ms: number) => T0 + ms;
const END = at(10_000);

/** A timeline of `events`, rendered at END; with the exits given as [node, pid, ms, exitCode]. */
function build(events: AttributedEvent[], exits: [string, number, number, number | null, string | null][] = []) {
  const t = new Timeline();
  for (const e of events) t.exec(e);
  for (const [node, pid, ms, exitCode, signal] of exits) t.exit(node, pid, at(ms), { exitCode, signal });
  return t.render(END);
}

const names = (evs: TraceEvent[], kind: string): Map<number, string> =>
  new Map(
    evs
      .filter((e) => e.ph === 'M' && e.name === kind)
      .map((e) => [kind === 'thread_name' ? e.tid! : e.pid, (e.args as { name: string }).name]),
  );

/** Each exec event as [track group name, track name, ph, name, start ms, duration ms, ended]. */
function shape(file: ReturnType<typeof build>): (string | number | undefined)[][] {
  const groups = names(file.traceEvents, 'process_name');
  const threads = names(file.traceEvents, 'thread_name');
  return file.traceEvents
    .filter((e) => e.ph !== 'M')
    .map((e) => [
      groups.get(e.pid)!,
      threads.get(e.tid!)!,
      e.ph,
      e.name,
      (e.ts! - T0 * 1000) / 1000,
      e.dur === undefined ? undefined : e.dur / 1000,
      (e.args as { ended?: string }).ended,
    ]);
}

describe('Timeline', () => {
  it.each<{
    name: string;
    events: AttributedEvent[];
    exits?: [string, number, number, number | null, string | null][];
    shape: (string | number | undefined)[][];
  }>([
    { name: 'nothing traced: no events', events: [], shape: [] },
    {
      name: 'one exec runs to the end of the trace',
      events: [podEvent({ comm: 'curl', pid: 10, timeMs: at(1000) }, { namespace: 'pay', pod: 'api-0' })],
      shape: [['pay/api-0', 'curl 10', 'X', 'curl', 1000, 9000, 'end of trace']],
    },
    {
      name: 'the next exec of the same pid ends the span (sh → curl), on one track',
      events: [
        podEvent({ comm: 'sh', pid: 10, timeMs: at(0) }, { namespace: 'pay', pod: 'api-0' }),
        podEvent({ comm: 'curl', pid: 10, timeMs: at(250) }, { namespace: 'pay', pod: 'api-0' }),
      ],
      shape: [
        ['pay/api-0', 'sh 10', 'X', 'sh', 0, 250, 'next exec'],
        ['pay/api-0', 'sh 10', 'X', 'curl', 250, 9750, 'end of trace'],
      ],
    },
    {
      name: 'a failed exec is an instant and ends nothing (a PATH search: the shell goes on)',
      events: [
        podEvent({ comm: 'sh', pid: 10, timeMs: at(0) }),
        podEvent({ comm: 'sh', pid: 10, timeMs: at(5), filename: '/usr/local/bin/curl', retval: -2 }),
        podEvent({ comm: 'curl', pid: 10, timeMs: at(6), filename: '/usr/bin/curl' }),
      ],
      shape: [
        ['default/web-7d9f8b6c5d-x2x9q', 'sh 10', 'X', 'sh', 0, 6, 'next exec'],
        ['default/web-7d9f8b6c5d-x2x9q', 'sh 10', 'i', 'curl ENOENT', 5, undefined, undefined],
        ['default/web-7d9f8b6c5d-x2x9q', 'sh 10', 'X', 'curl', 6, 9994, 'end of trace'],
      ],
    },
    {
      name: 'an exit ends the span when it is known (a later --exits)',
      events: [podEvent({ comm: 'true', pid: 10, timeMs: at(100) })],
      exits: [
        ['worker-1', 10, 130, 0, null],
        ['worker-1', 99, 140, 1, null],
      ],
      shape: [['default/web-7d9f8b6c5d-x2x9q', 'true 10', 'X', 'true', 100, 30, 'exit']],
    },
    {
      name: 'one track group per pod, host processes in host, unmatched pods by uid',
      events: [
        podEvent({ pid: 1, timeMs: at(1) }, { namespace: 'a', pod: 'p' }),
        podEvent({ pid: 2, timeMs: at(2) }, { namespace: 'b', pod: 'p' }),
        hostEvent({ pid: 3, timeMs: at(3) }, 'sshd.service'),
        hostEvent({ pid: 4, timeMs: at(4) }, 'cron.service'),
        unattributedEvent({ pid: 5, timeMs: at(5) }),
      ],
      shape: [
        ['a/p', 'sh 1', 'X', 'sh', 1, 9999, 'end of trace'],
        ['b/p', 'sh 2', 'X', 'sh', 2, 9998, 'end of trace'],
        ['host', 'bash 3', 'X', 'bash', 3, 9997, 'end of trace'],
        ['host', 'bash 4', 'X', 'bash', 4, 9996, 'end of trace'],
        ['<unknown>/pod-uid:da0fc44d', 'sh 5', 'X', 'sh', 5, 9995, 'end of trace'],
      ],
    },
    {
      name: 'the same pid in two pods, or on two nodes: separate tracks, each span to the end',
      events: [hostEvent({ pid: 7, timeMs: at(1) }, null, 'n1'), hostEvent({ pid: 7, timeMs: at(2) }, null, 'n2')],
      shape: [
        ['host n1', 'bash 7', 'X', 'bash', 1, 9999, 'end of trace'],
        ['host n2', 'bash 7', 'X', 'bash', 2, 9998, 'end of trace'],
      ],
    },
    {
      name: 'an exec whose command name never came: named by its file, never empty',
      events: [
        podEvent({ comm: '', pid: 3, timeMs: at(1), filename: '/usr/bin/env' }),
        podEvent({ comm: '', pid: 4, timeMs: at(2), filename: '' }),
      ],
      shape: [
        ['default/web-7d9f8b6c5d-x2x9q', 'env 3', 'X', 'env', 1, 9999, 'end of trace'],
        ['default/web-7d9f8b6c5d-x2x9q', '(unknown) 4', 'X', '(unknown)', 2, 9998, 'end of trace'],
      ],
    },
    {
      name: 'events out of order are written by time; an exec before its predecessor gives no negative span',
      events: [podEvent({ comm: 'b', pid: 1, timeMs: at(20) }), podEvent({ comm: 'a', pid: 1, timeMs: at(19) })],
      shape: [
        ['default/web-7d9f8b6c5d-x2x9q', 'b 1', 'X', 'a', 19, 9981, 'end of trace'],
        ['default/web-7d9f8b6c5d-x2x9q', 'b 1', 'X', 'b', 20, 0, 'next exec'],
      ],
    },
  ])('$name', ({ events, exits, shape: expected }) => {
    const file = build(events, exits);
    expect(traceEventProblems(JSON.parse(JSON.stringify(file)))).toEqual([]);
    expect(shape(file)).toEqual(expected);
  });

  it('args carry argv, container, node, retval and error; the real pid; microseconds', () => {
    const file = build([
      podEvent(
        { pid: 10, ppid: 9, uid: 1000, timeMs: T0 + 1.5, args: ['curl', '-s', 'x y'], filename: '/usr/bin/curl', comm: 'curl' },
        { container: 'api' },
      ),
      podEvent({ pid: 11, timeMs: at(2), retval: -13, filename: '/bin/nope' }, { container: 'api' }),
    ]);
    const [ok, failed] = file.traceEvents.filter((e) => e.ph !== 'M');
    expect(ok).toMatchObject({ ph: 'X', cat: 'exec', ts: T0 * 1000 + 1500, dur: 10_000_000 - 1500 });
    expect(ok!.args).toEqual({
      pid: 10,
      ppid: 9,
      uid: 1000,
      argv: ['curl', '-s', 'x y'],
      filename: '/usr/bin/curl',
      container: 'api',
      node: 'worker-1',
      retval: 0,
      error: null,
      ended: 'end of trace',
    });
    expect(failed).toMatchObject({ ph: 'i', s: 't', name: 'nope EACCES', args: { retval: -13, error: 'EACCES', filename: '/bin/nope' } });
    expect(file.otherData).toMatchObject({ execs: 2, dropped: 0 });
  });

  it('pids and tids are numbers it gives out, never the same twice', () => {
    const file = build([podEvent({ pid: 1 }, { pod: 'a' }), podEvent({ pid: 1 }, { pod: 'b' }), podEvent({ pid: 2 }, { pod: 'a' })]);
    const ids = file.traceEvents.filter((e) => e.ph === 'M').map((e) => (e.name === 'process_name' ? e.pid : e.tid));
    expect(ids).toHaveLength(5);
    expect(new Set(ids).size).toBe(5);
  });

  it('keeps at most its bound; later execs are counted, and still end the span they replace', () => {
    const t = new Timeline(2);
    t.exec(podEvent({ pid: 1, timeMs: at(0) }));
    t.exec(podEvent({ pid: 2, timeMs: at(1) }));
    t.exec(podEvent({ pid: 1, timeMs: at(5) })); // not kept, but pid 1's sh ended here
    t.exec(podEvent({ pid: 3, timeMs: at(6) }));
    const file = t.render(END);
    expect(t.size).toBe(2);
    expect(t.dropped).toBe(2);
    expect(file.otherData).toMatchObject({ execs: 2, dropped: 2 });
    expect(file.traceEvents.filter((e) => e.ph === 'X').map((e) => e.dur! / 1000)).toEqual([5, 9999]);
  });

  it('the checker itself finds what is wrong (so that the tests above can fail)', () => {
    const good = build([podEvent({ pid: 1 })]);
    const bad = (f: (evs: TraceEvent[]) => void): string[] => {
      const copy = JSON.parse(JSON.stringify(good)) as { traceEvents: TraceEvent[] };
      f(copy.traceEvents);
      return traceEventProblems(copy);
    };
    expect(bad(() => {})).toEqual([]);
    expect(bad((evs) => evs.splice(0, 1)).join()).toMatch(/has no process_name/);
    expect(bad((evs) => evs.splice(1, 1)).join()).toMatch(/has no thread_name/);
    expect(bad((evs) => void (evs[2]!.ts = T0)).join()).toMatch(/not epoch microseconds/);
    expect(bad((evs) => void (evs[2]!.ts = T0 * 1000 + 0.5)).join()).toMatch(/whole microseconds/);
    expect(bad((evs) => void delete evs[2]!.dur).join()).toMatch(/needs dur/);
    expect(bad((evs) => void (evs[2]!.ph = 'B' as 'X')).join()).toMatch(/phase B/);
    expect(traceEventProblems([])).toEqual(['not the object form {"traceEvents": [...]}']);
  });
});
