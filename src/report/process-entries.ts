/**
 * `report --sessions / --no-probes` on exit lines: an exit line does not say how its process entered
 * its container; the exec line of the same node and pid, read before it, does. Bounded, as the
 * drift memory beside it in src/report.ts. Pure.
 */
import type { Entry } from '../join/entry.js';
import type { AttributedEvent } from '../join/types.js';

/** Processes remembered; the oldest are forgotten first. */
export const MAX_PROCESSES = 65_536;

export class ProcessEntries {
  private readonly entries = new Map<string, Entry | null>();

  /** `active`: a filter needs it (else nothing is kept). */
  constructor(
    private readonly active: boolean,
    private readonly max = MAX_PROCESSES,
  ) {}

  /** A successful exec line: its process's entry from now on. */
  exec(e: AttributedEvent): void {
    if (!this.active || e.event.retval !== 0) return;
    const key = `${e.node}\0${e.event.pid}`;
    this.entries.delete(key);
    if (this.entries.size >= this.max) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(key, e.entry);
  }

  /** The entry of the process's last exec read; null when none was read or it was not known. */
  entryOf(node: string, pid: number): Entry | null {
    return this.entries.get(`${node}\0${pid}`) ?? null;
  }
}

/** --sessions and --no-probes for a process whose entry is `entry`. */
export function entryKept(entry: Entry | null, f: { readonly sessions: boolean; readonly noProbes: boolean }): boolean {
  if (f.sessions && entry !== 'exec') return false;
  if (f.noProbes && (entry === 'probe' || entry === 'hook')) return false;
  return true;
}
