import { describe, expect, it } from 'vitest';
import type { AttributedEvent } from '../join/types.js';
import { continuesSearch, HOLD_MS, PathSearchFolder, type Schedule } from './path-search.js';
import { podEvent, T0 } from './fixtures.test-helpers.js';

const attempt = (filename: string, retval: number | null, dt = 0, pid = 4242, args = ['curl', '-s', 'x']): AttributedEvent =>
  podEvent({ filename, retval, timeMs: T0 + dt, pid, tid: pid, args, comm: retval === 0 ? 'curl' : 'sh' });

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
    ['a search that found the command: one row, the path that ran', [attempt('/usr/local/sbin/curl', -2), attempt('/usr/local/bin/curl', -2), attempt('/usr/bin/curl', 0)], ['/usr/bin/curl:0']],
    ['a search that found nothing: the last attempt', [attempt('/usr/local/bin/nope', -2, 0, 1, ['nope']), attempt('/usr/bin/nope', -2, 0, 1, ['nope'])], ['/usr/bin/nope:-2']],
    ['a failed exec on its own', [attempt('/nonexistent', -2, 0, 1, ['/nonexistent'])], ['/nonexistent:-2']],
    ['successful execs pass straight through', [attempt('/usr/bin/curl', 0), attempt('/usr/bin/curl', 0, 1, 7)], ['/usr/bin/curl:0', '/usr/bin/curl:0']],
    ['a failure then something else: both', [attempt('/usr/local/bin/curl', -2), attempt('/usr/bin/wget', 0, 0, 4242, ['wget'])], ['/usr/local/bin/curl:-2', '/usr/bin/wget:0']],
    ['an earlier exec of the pid arriving late does not end the search (seen on a busy machine)', [attempt('/a/printf', -2, 5), attempt('/usr/bin/env', 0, 1, 4242, ['env', 'printf']), attempt('/b/printf', -2, 5), attempt('/usr/bin/printf', 0, 6)], ['/usr/bin/env:0', '/usr/bin/printf:0']],
    ['searches of two pids interleaved', [attempt('/a/curl', -2, 0, 1), attempt('/a/curl', -2, 0, 2), attempt('/b/curl', 0, 0, 2), attempt('/b/curl', 0, 0, 1)], ['/b/curl:0', '/b/curl:0']],
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
