import { describe, expect, it } from 'vitest';
import type { AttributedEvent } from '../join/types.js';
import { continuesSearch, folded, HOLD_MS, PathSearchMarker, recordClock, type Schedule } from './path-search.js';
import { podEvent, T0 } from './fixtures.test-helpers.js';

const attempt = (filename: string, retval: number | null, dt = 0, pid = 4242, args = ['curl', '-s', 'x']): AttributedEvent =>
  podEvent({ filename, retval, timeMs: T0 + dt, pid, tid: pid, args, comm: retval === 0 ? 'curl' : 'sh' });

/** What the table shows: the marker's output without the folded attempts. */
class PathSearchFolder extends PathSearchMarker {
  constructor(emit: (e: AttributedEvent) => void, schedule: Schedule) {
    super((e) => {
      if (!folded(e)) emit(e);
    }, schedule);
  }
}

/** A scheduler the test advances by hand. */
function manualClock(): { schedule: Schedule; advance(ms: number): void } {
  let now = 0;
  const timers = new Set<{ at: number; fn: () => void }>();
  return {
    schedule: (fn, ms) => {
      const t = { at: now + ms, fn };
      timers.add(t);
      return () => timers.delete(t);
    },
    advance(ms) {
      now += ms;
      for (const t of [...timers].sort((a, b) => a.at - b.at)) {
        if (t.at <= now) {
          timers.delete(t);
          t.fn();
        }
      }
    },
  };
}

describe('continuesSearch', () => {
  const first = attempt('/usr/local/bin/curl', -2);
  it.each<[string, AttributedEvent, AttributedEvent, boolean]>([
    ['the next PATH directory, same argv', first, attempt('/usr/bin/curl', 0, 0), true],
    ['after EACCES', attempt('/opt/bin/curl', -13), attempt('/usr/bin/curl', 0), true],
    ['after ENOTDIR', attempt('/x/curl', -20), attempt('/usr/bin/curl', 0), true],
    ['a later failure too', first, attempt('/usr/bin/curl', -2, 1), true],
    ['within the window', first, attempt('/usr/bin/curl', 0, 20), true],
    ['too late', first, attempt('/usr/bin/curl', 0, 21), false],
    ['another pid', first, attempt('/usr/bin/curl', 0, 0, 7), false],
    ['another command', first, attempt('/usr/bin/wget', 0), false],
    ['the same path again (a retry, not a search)', first, attempt('/usr/local/bin/curl', 0), false],
    ['other arguments', first, attempt('/usr/bin/curl', 0, 0, 4242, ['curl', '-v']), false],
    ['after another error (ENOEXEC: not a search)', attempt('/usr/local/bin/curl', -8), attempt('/usr/bin/curl', 0), false],
    ['after success', attempt('/usr/local/bin/curl', 0), attempt('/usr/bin/curl', 0), false],
    ['after an unknown result', attempt('/usr/local/bin/curl', null), attempt('/usr/bin/curl', 0), false],
    ['a directory repeated in PATH (the same path, failing the same way)', attempt('/tmp/x/curl', -2), attempt('/tmp/x/curl', -2), true],
    ['the same path failing another way (not a repeated directory)', attempt('/tmp/x/curl', -2), attempt('/tmp/x/curl', -13), false],
  ])('%s → %s', (_what, prev, next, expected) => {
    expect(continuesSearch(prev, next)).toBe(expected);
  });
});

describe('PathSearchFolder', () => {
  const run = (events: AttributedEvent[], afterMs = 0): string[] => {
    const out: string[] = [];
    const clock = manualClock();
    const f = new PathSearchFolder((e) => out.push(`${e.event.filename}:${e.event.retval}`), clock.schedule);
    for (const e of events) f.push(e);
    clock.advance(afterMs);
    return out;
  };

  it.each<[string, AttributedEvent[], string[]]>([
    [
      'a search that found the command: one row, the path that ran',
      [attempt('/usr/local/sbin/curl', -2), attempt('/usr/local/bin/curl', -2), attempt('/usr/bin/curl', 0)],
      ['/usr/bin/curl:0'],
    ],
    [
      'a search that found nothing: the last attempt',
      [attempt('/usr/local/bin/nope', -2, 0, 1, ['nope']), attempt('/usr/bin/nope', -2, 0, 1, ['nope'])],
      ['/usr/bin/nope:-2'],
    ],
    ['a failed exec on its own', [attempt('/nonexistent', -2, 0, 1, ['/nonexistent'])], ['/nonexistent:-2']],
    [
      'successful execs pass straight through',
      [attempt('/usr/bin/curl', 0), attempt('/usr/bin/curl', 0, 1, 7)],
      ['/usr/bin/curl:0', '/usr/bin/curl:0'],
    ],
    [
      'a failure then something else: both',
      [attempt('/usr/local/bin/curl', -2), attempt('/usr/bin/wget', 0, 0, 4242, ['wget'])],
      ['/usr/local/bin/curl:-2', '/usr/bin/wget:0'],
    ],
    [
      'an earlier exec of the pid arriving late does not end the search (seen on a busy machine)',
      [
        attempt('/a/printf', -2, 5),
        attempt('/usr/bin/env', 0, 1, 4242, ['env', 'printf']),
        attempt('/b/printf', -2, 5),
        attempt('/usr/bin/printf', 0, 6),
      ],
      ['/usr/bin/env:0', '/usr/bin/printf:0'],
    ],
    [
      'a search through a directory repeated in PATH: one row',
      [attempt('/nonexistent/curl', -2), attempt('/tmp/x/curl', -2), attempt('/tmp/x/curl', -2), attempt('/usr/bin/curl', 0)],
      ['/usr/bin/curl:0'],
    ],
    [
      'a search through a repeated directory that found nothing: one row',
      [attempt('/tmp/x/nope', -2, 0, 1, ['nope']), attempt('/tmp/x/nope', -2, 0, 1, ['nope'])],
      ['/tmp/x/nope:-2'],
    ],
    [
      'searches of two pids interleaved',
      [attempt('/a/curl', -2, 0, 1), attempt('/a/curl', -2, 0, 2), attempt('/b/curl', 0, 0, 2), attempt('/b/curl', 0, 0, 1)],
      ['/b/curl:0', '/b/curl:0'],
    ],
  ])('%s', (_what, events, rows) => {
    expect(run(events, HOLD_MS)).toEqual(rows);
  });

  it('a held attempt waits for its successor, then is shown as it is', () => {
    const out: string[] = [];
    const clock = manualClock();
    const f = new PathSearchFolder((e) => out.push(e.event.filename), clock.schedule);
    f.push(attempt('/usr/local/bin/curl', -2));
    clock.advance(HOLD_MS - 1);
    expect(out).toEqual([]);
    clock.advance(1);
    expect(out).toEqual(['/usr/local/bin/curl']);
    f.push(attempt('/usr/bin/curl', 0, 5)); // too late to fold: its own row
    expect(out).toEqual(['/usr/local/bin/curl', '/usr/bin/curl']);
  });

  it('flush shows what is held, oldest first, and cancels the timers', () => {
    const out: string[] = [];
    const clock = manualClock();
    const f = new PathSearchFolder((e) => out.push(e.event.filename), clock.schedule);
    f.push(attempt('/b/x', -2, 5, 2, ['x']));
    f.push(attempt('/a/y', -2, 1, 1, ['y']));
    f.flush();
    clock.advance(HOLD_MS);
    expect(out).toEqual(['/a/y', '/b/x']);
  });
});

describe('PathSearchMarker', () => {
  const mark = (events: AttributedEvent[], afterMs = HOLD_MS): string[] => {
    const out: string[] = [];
    const clock = manualClock();
    const m = new PathSearchMarker(
      (e) => out.push(`${e.event.filename}:${e.event.retval}${e.pathSearch ? ' pathSearch' : ''}`),
      clock.schedule,
    );
    for (const e of events) m.push(e);
    clock.advance(afterMs);
    return out;
  };

  it.each<[string, AttributedEvent[], string[]]>([
    [
      'every attempt passes; the failed ones of a search that went on are marked',
      [attempt('/usr/local/sbin/curl', -2), attempt('/usr/local/bin/curl', -2), attempt('/usr/bin/curl', 0)],
      ['/usr/local/sbin/curl:-2 pathSearch', '/usr/local/bin/curl:-2 pathSearch', '/usr/bin/curl:0'],
    ],
    [
      'a search that found nothing: its last attempt is not marked',
      [attempt('/a/nope', -2, 0, 1, ['nope']), attempt('/b/nope', -2, 0, 1, ['nope'])],
      ['/a/nope:-2 pathSearch', '/b/nope:-2'],
    ],
    [
      'a repeated directory',
      [attempt('/nonexistent/curl', -2), attempt('/tmp/x/curl', -2), attempt('/tmp/x/curl', -2), attempt('/usr/bin/curl', 0)],
      ['/nonexistent/curl:-2 pathSearch', '/tmp/x/curl:-2 pathSearch', '/tmp/x/curl:-2 pathSearch', '/usr/bin/curl:0'],
    ],
    ['a failed exec on its own is not marked', [attempt('/nonexistent', -2, 0, 1, ['/nonexistent'])], ['/nonexistent:-2']],
    [
      'not a search: neither is marked',
      [attempt('/usr/local/bin/curl', -2), attempt('/usr/bin/wget', 0, 0, 4242, ['wget'])],
      ['/usr/local/bin/curl:-2', '/usr/bin/wget:0'],
    ],
    [
      'other processes are not held back by a held attempt',
      [attempt('/a/curl', -2, 0, 1), attempt('/usr/bin/true', 0, 1, 2, ['true']), attempt('/b/curl', 0, 1, 1)],
      ['/usr/bin/true:0', '/a/curl:-2 pathSearch', '/b/curl:0'],
    ],
  ])('%s', (_what, events, out) => {
    expect(mark(events)).toEqual(out);
  });

  it('the end of the process passes its held attempt on first, unmarked (--exits)', () => {
    const out: string[] = [];
    const m = new PathSearchMarker(
      (e) => out.push(`${e.event.exit ? 'exit' : e.event.filename}${e.pathSearch ? ' pathSearch' : ''}`),
      manualClock().schedule,
    );
    m.push(attempt('/a/nope', -2, 0, 1, ['nope']));
    m.push(attempt('/b/nope', -2, 0, 1, ['nope']));
    const last = attempt('/b/nope', -2, 1, 1, ['nope']);
    m.push({ ...last, event: { ...last.event, exit: { exitCode: 127, signal: null, core: false, durationMs: 1 } } });
    expect(out).toEqual(['/a/nope pathSearch', '/b/nope', 'exit']);
  });

  it('a recorded mark is kept when the attempt after it is not in the input (a recording made with --failed)', () => {
    expect(mark([{ ...attempt('/a/curl', -2), pathSearch: true }])).toEqual(['/a/curl:-2 pathSearch']);
  });
});

describe('recordClock', () => {
  it('releases a held attempt once a record HOLD_MS later is read, not on wall time', () => {
    const out: string[] = [];
    const clock = recordClock();
    const m = new PathSearchMarker((e) => out.push(e.event.filename), clock.schedule);
    const push = (e: AttributedEvent) => {
      clock.advanceTo(e.event.timeMs);
      m.push(e);
    };
    push(attempt('/a/x', -2, 0, 1, ['x']));
    push(attempt('/usr/bin/y', 0, HOLD_MS - 1, 2, ['y']));
    expect(out).toEqual(['/usr/bin/y']);
    push(attempt('/usr/bin/z', 0, HOLD_MS, 3, ['z']));
    expect(out).toEqual(['/usr/bin/y', '/a/x', '/usr/bin/z']);
  });

  it('does not go back in time (files of several nodes)', () => {
    const fired: number[] = [];
    const clock = recordClock();
    clock.advanceTo(1000);
    clock.schedule(() => fired.push(1), 10);
    clock.advanceTo(5);
    expect(fired).toEqual([]);
    clock.advanceTo(1010);
    expect(fired).toEqual([1]);
  });
});
