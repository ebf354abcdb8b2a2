/**
 * The attempts of one PATH search. execvp(), posix_spawnp() and shells such as dash try `execve` in
 * every PATH directory until one works: `/usr/local/sbin/curl` ENOENT, `/usr/local/bin/curl` ENOENT,
 * `/usr/bin/curl` 0 — three execs with one argv, microseconds apart, by one pid. This is the one
 * definition of a search every output uses: PathSearchMarker passes every exec on and marks the
 * failed attempts after which the search went on (`pathSearch: true`); JSON writes them with the
 * mark, and the human outputs (table, wide, --failed, summaries, Markdown, timeline) leave the marked
 * ones out (folded()): a search that found its program is the exec that ran, one that found nothing
 * is its last failed attempt.
 *
 * A failed attempt is held until the next exec of its pid shows whether the search went on, or
 * until HOLD_MS passed (on the clock the marker is given: wall time live, record time in `report`):
 * per event, one Map lookup; only failed execs start a timer. Other processes' execs are not held
 * back, so a held attempt can be passed on after execs that came after it.
 */
import type { AttributedEvent } from '../join/types.js';

/** Errors after which the exec family tries the next PATH directory (glibc execvp: ENOENT, ENOTDIR, EACCES). */
const TRIES_NEXT = new Set([-2, -13, -20]);
/** Attempts of one search are microseconds apart; this allows for the clock's granularity and a busy CPU. */
export const SEARCH_WINDOW_MS = 20;
/** How long a failed attempt waits for the next one before it is passed on unmarked. */
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
  if (basename(a.filename) !== basename(b.filename)) return false;
  // The same path again is a directory repeated in PATH only when it fails the same way; one that
  // now runs is a retry (the file appeared), not the next directory of a search.
  if (a.filename === b.filename && a.retval !== b.retval) return false;
  if (a.args.length !== b.args.length) return false;
  for (let i = 0; i < a.args.length; i++) if (a.args[i] !== b.args[i]) return false;
  return true;
}

/** Left out of every human output: a failed attempt whose search went on (the attempt after it stands for the search). */
export const folded = (e: AttributedEvent): boolean => e.pathSearch === true;

export class PathSearchMarker {
  /** The last failed attempt of each pid still waiting for its successor, with its timer's cancel. */
  private readonly held = new Map<number | string, { e: AttributedEvent; cancel: () => void }>();
  /** Node name → its number in the held map's keys. */
  private readonly nodes = new Map<string, number>();

  constructor(
    private readonly emit: (e: AttributedEvent) => void,
    private readonly schedule: Schedule = realSchedule,
    private readonly holdMs = HOLD_MS,
  ) {}

  push(e: AttributedEvent): void {
    const key = this.keyOf(e);
    const prev = this.held.get(key);
    // The end of a process (--exits) is no attempt of a search, and ends the one it held: that
    // attempt was its last, passed on before its end.
    if (e.event.exit) {
      if (prev && prev.e.event.timeMs <= e.event.timeMs) {
        this.held.delete(key);
        prev.cancel();
        this.emit(prev.e);
      }
      this.emit(e);
      return;
    }
    if (prev && e.event.timeMs < prev.e.event.timeMs) {
      // An earlier exec of this pid that arrived late (records of one pid can cross CPUs): it says
      // nothing about the held attempt's search, which goes on waiting.
      this.emit(e);
      return;
    }
    if (prev) {
      this.held.delete(key);
      prev.cancel();
      this.emit(continuesSearch(prev.e, e) ? { ...prev.e, pathSearch: true } : prev.e);
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

  /**
   * One key per node and pid: a number made of both (no string per exec), or for a pid that is no
   * 32-bit count (never from the kernel) the two joined.
   */
  private keyOf(e: AttributedEvent): number | string {
    const pid = e.event.pid;
    let node = this.nodes.get(e.node);
    if (node === undefined) {
      node = this.nodes.size;
      this.nodes.set(e.node, node);
    }
    return Number.isInteger(pid) && pid >= 0 && pid < 2 ** 32 && node < 2 ** 20 ? node * 2 ** 32 + pid : `${e.node}\0${pid}`;
  }

  /** Passes on every held attempt now (end of the run), oldest first. */
  flush(): void {
    const rest = [...this.held.values()].sort((a, b) => a.e.event.timeMs - b.e.event.timeMs);
    this.held.clear();
    for (const h of rest) {
      h.cancel();
      this.emit(h.e);
    }
  }
}

/**
 * A Schedule on the records' own clock, for reading a recording (`report`): timers fire when a record
 * at least that much later is read (advanceTo), never on wall time, so a report does not depend on
 * how fast it reads. Records of several files may go back in time: the clock only moves forward.
 */
export function recordClock(): { schedule: Schedule; advanceTo(ms: number): void } {
  let now = -Infinity;
  // Due times in order. With one hold time on a clock that only moves forward, each new timer goes
  // at the end: insertion and firing cost O(1) a record; a cancelled timer stays until its turn.
  const queue: { at: number; fn: () => void; cancelled: boolean }[] = [];
  let head = 0;
  return {
    schedule: (fn, ms) => {
      const t = { at: (Number.isFinite(now) ? now : 0) + ms, fn, cancelled: false };
      let i = queue.length;
      while (i > head && queue[i - 1]!.at > t.at) i--;
      queue.splice(i, 0, t);
      return () => {
        t.cancelled = true;
      };
    },
    advanceTo(ms) {
      if (ms <= now) return;
      now = ms;
      while (head < queue.length && queue[head]!.at <= now) {
        const t = queue[head++]!;
        if (!t.cancelled) t.fn();
      }
      // Drop what has fired once it is the larger part, so the array does not grow with the input.
      if (head > 1024 && head * 2 > queue.length) {
        queue.splice(0, head);
        head = 0;
      }
    },
  };
}
