/**
 * A PATH search as one row. execvp(), posix_spawnp() and shells such as dash try `execve` in every
 * PATH directory until one works: `/usr/local/sbin/curl` ENOENT, `/usr/local/bin/curl` ENOENT,
 * `/usr/bin/curl` 0 — three execs with one argv, microseconds apart, by one pid. The table and
 * wide outputs show only the last attempt (the path that ran, or the last failure when none did);
 * JSON keeps every attempt.
 *
 * A failed attempt is held until the next exec of its pid shows whether the search went on, or
 * until HOLD_MS passed: per event, one Map lookup; only failed execs start a timer.
 */
import type { AttributedEvent } from '../join/types.js';

/** Errors after which the exec family tries the next PATH directory (glibc execvp: ENOENT, ENOTDIR, EACCES). */
const TRIES_NEXT = new Set([-2, -13, -20]);
/** Attempts of one search are microseconds apart; this allows for the clock's granularity and a busy CPU. */
export const SEARCH_WINDOW_MS = 20;
/** How long a failed attempt waits for the next one before it is shown as it is. */
export const HOLD_MS = 150;

export type Schedule = (fn: () => void, ms: number) => () => void;

const realSchedule: Schedule = (fn, ms) => {
  const t = setTimeout(fn, ms);
  t.unref();
  return () => clearTimeout(t);
};

const basename = (path: string): string => path.slice(path.lastIndexOf('/') + 1);

/** Whether `next` is the attempt after `prev` in one PATH search. */
export function continuesSearch(prev: AttributedEvent, next: AttributedEvent): boolean {
  const a = prev.event;
  const b = next.event;
  if (a.pid !== b.pid || prev.node !== next.node) return false;
  if (a.retval === null || !TRIES_NEXT.has(a.retval)) return false;
  const dt = b.timeMs - a.timeMs;
  if (dt < 0 || dt > SEARCH_WINDOW_MS) return false;
  if (a.filename === b.filename || basename(a.filename) !== basename(b.filename)) return false;
  if (a.args.length !== b.args.length) return false;
  for (let i = 0; i < a.args.length; i++) if (a.args[i] !== b.args[i]) return false;
  return true;
}

export class PathSearchFolder {
  /** The last failed attempt of each pid still waiting for its successor, with its timer's cancel. */
  private readonly held = new Map<string, { e: AttributedEvent; cancel: () => void }>();

  constructor(
    private readonly emit: (e: AttributedEvent) => void,
    private readonly schedule: Schedule = realSchedule,
    private readonly holdMs = HOLD_MS,
  ) {}

  push(e: AttributedEvent): void {
    // The end of a process (--exits) is no attempt of a search: shown as it comes.
    if (e.event.exit) {
      this.emit(e);
      return;
    }
    const key = `${e.node}\0${e.event.pid}`;
    const prev = this.held.get(key);
    if (prev && e.event.timeMs < prev.e.event.timeMs) {
      // An earlier exec of this pid that arrived late (records of one pid can cross CPUs): it says
      // nothing about the held attempt's search, which goes on waiting.
      this.emit(e);
      return;
    }
    if (prev) {
      this.held.delete(key);
      prev.cancel();
      if (!continuesSearch(prev.e, e)) this.emit(prev.e); // not a search: both rows are shown
    }
    if (e.event.retval !== null && TRIES_NEXT.has(e.event.retval)) {
      const cancel = this.schedule(() => {
        if (this.held.get(key)?.e !== e) return;
        this.held.delete(key);
        this.emit(e);
      }, this.holdMs);
      this.held.set(key, { e, cancel });
      return;
    }
    this.emit(e);
  }

  /** Shows every held attempt now (end of the run), oldest first. */
  flush(): void {
    const rest = [...this.held.values()].sort((a, b) => a.e.event.timeMs - b.e.event.timeMs);
    this.held.clear();
    for (const h of rest) {
      h.cancel();
      this.emit(h.e);
    }
  }
}
