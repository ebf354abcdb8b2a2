/**
 * The fields of issue 23 that a baseline keys on — `workload`, `exe`, `entry`, `sessionLeaderPid` —
 * as an exec record (-o json, JsonExecRecord in src/output/json.ts: keep in sync) or a live exec
 * carries them. Older recordings, and builds whose join does not set them yet, have none: every
 * field is then null and the comparison falls back (src/report/sighting.ts). Pure.
 */
import type { AttributedEvent } from '../join/types.js';

export type EntryKind = 'init' | 'exec' | 'probe' | 'hook';

export interface ExecFacts {
  /** `deploy/web`, `sts/db`, `ds/agent`, `job/x`, `cronjob/y`, `pod/name`. */
  readonly workload: string | null;
  /** The file that ran (mm->exe_file), absolute. */
  readonly exe: string | null;
  readonly entry: EntryKind | null;
  /** The host pid through which the process entered its container (one exec session per leader). */
  readonly sessionLeaderPid: number | null;
}

export const NO_FACTS: ExecFacts = Object.freeze({ workload: null, exe: null, entry: null, sessionLeaderPid: null });

const ENTRIES: readonly string[] = ['init', 'exec', 'probe', 'hook'];

const text = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);
const entryOf = (v: unknown): EntryKind | null => (typeof v === 'string' && ENTRIES.includes(v) ? (v as EntryKind) : null);
const pidOf = (v: unknown): number | null => (Number.isSafeInteger(v) && (v as number) > 0 ? (v as number) : null);

/** From a record's object; a field of the wrong type counts as unknown (record.ts checks the rest). */
export function execFactsOf(r: Readonly<Record<string, unknown>>): ExecFacts {
  if (r.workload === undefined && r.exe === undefined && r.entry === undefined && r.sessionLeaderPid === undefined) return NO_FACTS;
  return { workload: text(r.workload), exe: text(r.exe), entry: entryOf(r.entry), sessionLeaderPid: pidOf(r.sessionLeaderPid) };
}

/**
 * From a live exec: issue 23 puts `workload` and `entry` on the joined exec and `exe` and
 * `sessionLeaderPid` on its event; read where present, so this works before and after that lands.
 */
export function execFactsOfEvent(a: AttributedEvent): ExecFacts {
  const joined = a as unknown as Readonly<Record<string, unknown>>;
  const ev = a.event as unknown as Readonly<Record<string, unknown>>;
  return execFactsOf({ workload: joined.workload, entry: joined.entry, exe: ev.exe, sessionLeaderPid: ev.sessionLeaderPid });
}
