/**
 * One line of a recording (`-o json`, see JsonExecRecord in src/output/json.ts: keep in sync) → the
 * joined exec it was printed from, so that `report` summarises, filters and draws timelines with the
 * very code of a live run. Pure.
 *
 * Also read: exit lines (`"type": "exit"`, --exits: JsonExitRecord), `upperLayer` on exec lines (issue 12 part
 * 2) and `pathSearch` (issue 24), when a recording has them; the totals line (`{"kind":"trace-exec.totals"}`, when stderr went
 * into the same file) and lines of a type this version does not know are skipped, not malformed.
 * Pod labels are not in the record: -l cannot be applied to a recording.
 */
import { decodeCgroupPath } from '../cgroup/decode.js';
import type { CgroupIdentity } from '../cgroup/types.js';
import type { AttributedEvent } from '../join/types.js';
import type { EndedProcess } from '../output/markdown.js';
import { execFactsOf, type ExecFacts } from './exec-facts.js';
import { UNKNOWN_CONTEXT, type ExecContext } from '../events/types.js';
import type { Entry } from '../join/entry.js';

export type ReportLine =
  | {
      kind: 'exec';
      event: AttributedEvent;
      /** Present when the record has the field. */
      upperLayer?: boolean | null;
      /** What a baseline keys on (issue 23's fields; all null in older recordings). */
      facts: ExecFacts;
    }
  | { kind: 'exit'; exit: EndedProcess }
  /** Not an exec or exit: a totals line, a blank line, a type this version does not know. */
  | { kind: 'skip'; why: string }
  | { kind: 'malformed'; reason: string };

type Obj = Record<string, unknown>;

class Bad extends Error {}

const str = (o: Obj, k: string): string => {
  if (typeof o[k] !== 'string') throw new Bad(`"${k}" is not a string`);
  return o[k];
};
/** A string or null; absent counts as null (fields added to the format later). */
const strOrNull = (o: Obj, k: string): string | null => {
  const v = o[k];
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string') throw new Bad(`"${k}" is neither a string nor null`);
  return v;
};
const int = (o: Obj, k: string): number => {
  if (!Number.isSafeInteger(o[k])) throw new Bad(`"${k}" is not a whole number`);
  return o[k] as number;
};
const intOrNull = (o: Obj, k: string): number | null => (o[k] === null || o[k] === undefined ? null : int(o, k));
const timeOf = (o: Obj): number => {
  const t = Date.parse(str(o, 'time'));
  if (Number.isNaN(t)) throw new Bad(`"time" ${JSON.stringify(o.time)} is not an RFC 3339 time`);
  return t;
};

export function parseRecordLine(line: string): ReportLine {
  const text = line.trim();
  if (text === '') return { kind: 'skip', why: 'blank' };
  let o: unknown;
  try {
    o = JSON.parse(text);
  } catch (e) {
    return { kind: 'malformed', reason: `not JSON (${(e as Error).message})` };
  }
  if (typeof o !== 'object' || o === null || Array.isArray(o)) return { kind: 'malformed', reason: 'not a JSON object' };
  const r = o as Obj;
  try {
    if (typeof r.kind === 'string') return { kind: 'skip', why: r.kind };
    const type = r.type ?? 'exec';
    if (type === 'exit') return { kind: 'exit', exit: exitOf(r) };
    if (type !== 'exec') return { kind: 'skip', why: `type ${String(type)}` };
    return { kind: 'exec', event: execOf(r), ...('upperLayer' in r ? { upperLayer: upperLayerOf(r) } : {}), facts: execFactsOf(r) };
  } catch (e) {
    if (e instanceof Bad) return { kind: 'malformed', reason: e.message };
    throw e;
  }
}

/** The `kind` of the totals line a run writes at its end (src/cli/trace-command.ts: keep in sync). */
export const TOTALS_KIND = 'trace-exec.totals';

/** The `shown` count of a totals line, or null when it has none. */
export function totalsShown(line: string): number | null {
  try {
    const shown = (JSON.parse(line) as { shown?: unknown }).shown;
    return Number.isSafeInteger(shown) ? (shown as number) : null;
  } catch {
    return null;
  }
}

function upperLayerOf(r: Obj): boolean | null {
  if (r.upperLayer !== null && typeof r.upperLayer !== 'boolean') throw new Bad('"upperLayer" is neither true, false nor null');
  return r.upperLayer;
}

function execOf(r: Obj): AttributedEvent {
  const attribution = str(r, 'attribution');
  if (attribution !== 'pod' && attribution !== 'host' && attribution !== 'unattributed')
    throw new Bad(`"attribution" ${JSON.stringify(attribution)} is not pod, host or unattributed`);
  if (!Array.isArray(r.args) || !r.args.every((a) => typeof a === 'string')) throw new Bad('"args" is not a list of strings');
  if (typeof r.argsTruncated !== 'boolean') throw new Bad('"argsTruncated" is not true or false');
  const cgroup = str(r, 'cgroup');
  const namespace = strOrNull(r, 'namespace');
  const pod = strOrNull(r, 'pod');
  if (attribution === 'pod' && (namespace === null || pod === null))
    throw new Bad('an exec attributed to a pod without "namespace" and "pod"');
  const containerId = strOrNull(r, 'containerId');
  return {
    event: {
      timeMs: timeOf(r),
      pid: int(r, 'pid'),
      tid: int(r, 'pid'),
      ppid: int(r, 'ppid'),
      uid: int(r, 'uid'),
      comm: str(r, 'comm'),
      filename: str(r, 'filename'),
      args: r.args as string[],
      argsTruncated: r.argsTruncated,
      retval: intOrNull(r, 'retval'),
      cgroupV2: cgroup,
      cgroupV1: null,
      // A recording from before drift was recorded has no such field: not known.
      upperLayer: 'upperLayer' in r ? upperLayerOf(r) : null,
      ...contextOf(r),
    },
    node: str(r, 'node'),
    identity: identityOf(attribution, cgroup, strOrNull(r, 'podUid'), containerId, strOrNull(r, 'unit'), strOrNull(r, 'helper')),
    namespace: attribution === 'pod' ? namespace : null,
    pod: attribution === 'pod' ? pod : null,
    container: strOrNull(r, 'container'),
    containerId,
    cgroup,
    unattributed: attribution === 'unattributed',
    labels: {},
    ...(pathSearchOf(r) ? { pathSearch: true as const } : {}),
    entry: entryOf(r),
    workload: strOrNull(r, 'workload'),
    image: strOrNull(r, 'image'),
    imageId: strOrNull(r, 'imageId'),
  };
}

/** true, false or null; absent counts as null (fields added to the format later). */
const boolOrNull = (o: Obj, k: string): boolean | null => {
  const v = o[k];
  if (v === undefined || v === null) return null;
  if (typeof v !== 'boolean') throw new Bad(`"${k}" is neither true, false nor null`);
  return v;
};

const ENTRIES: readonly string[] = ['init', 'exec', 'probe', 'hook'];

function entryOf(r: Obj): Entry | null {
  const v = strOrNull(r, 'entry');
  if (v !== null && !ENTRIES.includes(v)) throw new Bad(`"entry" ${JSON.stringify(v)} is not init, exec, probe, hook or null`);
  return v as Entry | null;
}

/** The exec context of issue 23 as the record states it; a recording from before it has none (all unknown). */
function contextOf(r: Obj): ExecContext {
  const entry = entryOf(r);
  return {
    ...UNKNOWN_CONTEXT,
    cwd: strOrNull(r, 'cwd'),
    cwdTruncated: boolOrNull(r, 'cwdTruncated') ?? false,
    exe: strOrNull(r, 'exe'),
    exeFromMemfd: boolOrNull(r, 'exeFromMemfd'),
    exeDeleted: boolOrNull(r, 'exeDeleted'),
    tty: strOrNull(r, 'tty'),
    loginUid: intOrNull(r, 'loginUid'),
    sessionId: intOrNull(r, 'sessionId'),
    // The record says how the process entered (entry), from which inInitTree follows.
    inInitTree: entry === null ? null : entry === 'init',
    sessionLeaderPid: intOrNull(r, 'sessionLeaderPid'),
  };
}

/** `"pathSearch": true` on a failed attempt of a PATH search that went on; absent (or false) otherwise. */
function pathSearchOf(r: Obj): boolean {
  const v = r.pathSearch;
  if (v !== undefined && typeof v !== 'boolean') throw new Bad('"pathSearch" is neither true nor false');
  return v === true;
}

/**
 * The cgroup identity as the record states it. The decoder, given the record's cgroup path again,
 * supplies what the record does not carry (runtime, QoS); the record's own fields win.
 */
function identityOf(
  attribution: string,
  cgroup: string,
  podUid: string | null,
  containerId: string | null,
  unit: string | null,
  helper: string | null,
): CgroupIdentity {
  if (attribution === 'host') return { kind: 'host', unit };
  const decoded = decodeCgroupPath(cgroup);
  const base = decoded.kind === 'pod' ? decoded : { runtime: null, qos: 'besteffort' as const };
  const uid = podUid ?? (decoded.kind === 'pod' ? decoded.podUid : '');
  return {
    kind: 'pod',
    podUid: uid,
    staticPod: uid !== '' && !uid.includes('-'),
    containerId,
    runtime: base.runtime,
    qos: base.qos,
    helper: helper === 'conmon' || helper === 'kata' ? helper : null,
  };
}

function exitOf(r: Obj): EndedProcess {
  const exitCode = intOrNull(r, 'exitCode');
  const signal = strOrNull(r, 'signal');
  if (exitCode === null && signal === null) throw new Bad('an exit with neither "exitCode" nor "signal"');
  const d = r.durationMs;
  if (d !== undefined && d !== null && typeof d !== 'number') throw new Bad('"durationMs" is not a number');
  return {
    timeMs: timeOf(r),
    node: str(r, 'node'),
    namespace: strOrNull(r, 'namespace'),
    pod: strOrNull(r, 'pod'),
    container: strOrNull(r, 'container'),
    containerId: strOrNull(r, 'containerId'),
    pid: int(r, 'pid'),
    comm: str(r, 'comm'),
    exitCode,
    signal,
    durationMs: typeof d === 'number' ? d : null,
  };
}
