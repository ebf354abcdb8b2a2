import type { AttributedEvent } from '../join/types.js';
import { attributionOf, podUidOf, unitOf, type Attribution } from './attribution.js';
import type { Ancestor } from '../join/process-table.js';
import { errnoName } from './errno.js';
import { signalName } from './signal.js';
import type { Entry } from '../join/entry.js';

/** One exec as printed by `-o json` (one object a line). Field order is part of the format. */
export interface JsonExecRecord {
  /** What the line is: every exec line says "exec" (--exits adds "exit" lines). */
  type: 'exec';
  /** RFC 3339, UTC, milliseconds: 2026-11-26T11:41:16.123Z */
  time: string;
  node: string;
  /** null for host processes and unattributed pod cgroups. */
  namespace: string | null;
  /** null for host processes and unattributed pod cgroups. */
  pod: string | null;
  /** Container name; null for host processes or when not known. */
  container: string | null;
  containerId: string | null;
  /** The pod's workload as users name it: `deploy/web`, `sts/db`, `ds/agent`, `job/x`, `cronjob/y`, `pod/name`; null without a pod record. */
  workload: string | null;
  /** The container's image and image id (digest) from its status; null when not known. */
  image: string | null;
  imageId: string | null;
  pid: number;
  ppid: number;
  uid: number;
  /** The audit login uid (who logged in, kept across su and sudo); null when unset. */
  loginUid: number | null;
  /** The audit session id; null when unset. */
  sessionId: number | null;
  /** The controlling terminal: "pts/N", "ttyN" ("major:minor" for others); null when none. */
  tty: string | null;
  /**
   * How the process got into its container: "init" (descends from its first process), "exec"
   * (entered through the runtime's exec: kubectl exec, crictl exec, and everything run under it),
   * "probe" / "hook" (an exec the kubelet runs: an exec probe, a postStart/preStop exec hook, and
   * what runs under it); null for host processes and where not known.
   */
  entry: Entry | null;
  /**
   * Host pid of the process through which this one entered its container (the topmost ancestor in
   * its container's cgroup): the exec session's first process, or the container's own first
   * process for "init"; null for host processes and where not known. Execs with the same node,
   * containerId and sessionLeaderPid are one session.
   */
  sessionLeaderPid: number | null;
  /** The working directory (absolute within the process's root); null when not known. */
  cwd: string | null;
  /** cwd was cut (deeper or longer than the program reads): it starts with "…/". */
  cwdTruncated: boolean;
  /**
   * The file that runs after the exec: the interpreter of a script, the loader for `ld.so ./x`,
   * "/memfd:NAME" for a memfd; null for a failed exec or when not known.
   */
  exe: string | null;
  /** The executable is a memfd (fileless execution); null for a failed exec or when not known. */
  exeFromMemfd: boolean | null;
  /** The executable's file had no link left (deleted, or a memfd); null for a failed exec or when not known. */
  exeDeleted: boolean | null;
  comm: string;
  filename: string;
  /** argv, argv[0] first. */
  args: string[];
  argsTruncated: boolean;
  /** 0 on success, -errno on failure, null when the exit record never came. */
  retval: number | null;
  /** The errno name of a failed exec ("ENOENT"); null on success or when the exit record never came. */
  error: string | null;
  /**
   * Only on a failed attempt of a PATH search that went on to a next directory (src/output/
   * path-search.ts): the human outputs fold it into the attempt after it. Absent elsewhere, so
   * other lines keep their bytes.
   */
  pathSearch?: true;
  /**
   * The executable came from the writable (upper) overlayfs layer of its container: written or
   * changed after the container started, not part of its image (drift). false: from an image
   * (lower) layer; null: not on overlayfs, a failed exec, or not known.
   */
  upperLayer: boolean | null;
  /** The cgroup path that decided the attribution. */
  cgroup: string;
  /** Pod uid (or static pod config hash) from the cgroup; null for host processes. */
  podUid: string | null;
  /** systemd unit of a host process; null for pods or when unknown. */
  unit: string | null;
  /** A container runtime helper the exec ran in, in the pod's cgroup ("conmon"), else null. */
  helper: string | null;
  attribution: Attribution;
  /** With --ancestry: the parent chain, nearest first (pid, comm, and the pod or host of each). */
  ancestry?: Ancestor[];
}

/**
 * With --exits, the end of a process exec'd while tracing, as `-o json` prints it. Field order is
 * part of the format; the place fields are those of its exec's line.
 */
export interface JsonExitRecord {
  type: 'exit';
  /** When the process ended (its last thread exited). */
  time: string;
  node: string;
  namespace: string | null;
  pod: string | null;
  container: string | null;
  /** Set for a process in a container, also where no pod record matched its cgroup. */
  containerId: string | null;
  pid: number;
  /** The command name of its last exec. */
  comm: string;
  /** The exit status (0–255); null when a signal killed it. */
  exitCode: number | null;
  /** The signal that killed it ("SIGKILL"); null when it exited. */
  signal: string | null;
  /** From its last exec to its end, milliseconds (µs precision). */
  durationMs: number;
}

/**
 * Where the process ran, as exec and exit lines both print it (in this order): namespace and pod
 * only for an attributed pod, the container name for anything but a host process.
 */
function placeFields(
  e: AttributedEvent,
  attribution: Attribution,
): Pick<JsonExecRecord, 'node' | 'namespace' | 'pod' | 'container' | 'containerId'> {
  return {
    node: e.node,
    namespace: attribution === 'pod' ? e.namespace : null,
    pod: attribution === 'pod' ? e.pod : null,
    container: attribution === 'host' ? null : e.container,
    containerId: e.containerId,
  };
}

export function toJsonRecord(e: AttributedEvent): JsonExecRecord {
  const attribution = attributionOf(e);
  const ev = e.event;
  // Literal order = output order.
  return {
    type: 'exec',
    time: new Date(ev.timeMs).toISOString(),
    ...placeFields(e, attribution),
    workload: e.workload,
    image: e.image,
    imageId: e.imageId,
    pid: ev.pid,
    ppid: ev.ppid,
    uid: ev.uid,
    loginUid: ev.loginUid,
    sessionId: ev.sessionId,
    tty: ev.tty,
    entry: e.entry,
    sessionLeaderPid: ev.sessionLeaderPid,
    cwd: ev.cwd,
    cwdTruncated: ev.cwdTruncated,
    exe: ev.exe,
    exeFromMemfd: ev.exeFromMemfd,
    exeDeleted: ev.exeDeleted,
    comm: ev.comm,
    filename: ev.filename,
    args: [...ev.args],
    argsTruncated: ev.argsTruncated,
    retval: ev.retval,
    error: errnoName(ev.retval),
    ...(e.pathSearch ? { pathSearch: true as const } : {}),
    upperLayer: ev.upperLayer,
    cgroup: e.cgroup,
    podUid: podUidOf(e),
    unit: unitOf(e),
    helper: e.identity.kind === 'pod' ? e.identity.helper : null,
    attribution,
    ...(e.ancestry ? { ancestry: e.ancestry } : {}),
  };
}

/** The end of a process (an event with `exit` set, --exits). */
export function toJsonExitRecord(e: AttributedEvent): JsonExitRecord {
  const ev = e.event;
  const end = ev.exit;
  if (!end) throw new Error('toJsonExitRecord: not the end of a process');
  return {
    type: 'exit',
    time: new Date(ev.timeMs).toISOString(),
    ...placeFields(e, attributionOf(e)),
    pid: ev.pid,
    comm: ev.comm,
    exitCode: end.exitCode,
    signal: signalName(end.signal),
    durationMs: end.durationMs,
  };
}

/**
 * Characters JSON.stringify leaves raw that a terminal may act on (DEL, C1 controls such as CSI
 * U+009B) or that some line-oriented tools treat as line breaks (U+2028/U+2029). They only ever
 * occur inside JSON strings, where the \u form is equivalent.
 */
const RAW_HAZARDS = /[\u007f-\u009f\u2028\u2029]/g;
const HAS_HAZARD = /[\u007f-\u009f\u2028\u2029]/;

const escapeHazards = (json: string): string =>
  json.replace(RAW_HAZARDS, (c) => `\\u${(c.codePointAt(0) ?? 0).toString(16).padStart(4, '0')}`);

/** A string value as JSON, hazards escaped: JSON.stringify, then \u forms for what it left raw. */
function str(s: string): string {
  // Most strings need neither (~6 a line): quoted as they are, without JSON.stringify and the test.
  if (plain(s)) return `"${s}"`;
  const json = JSON.stringify(s);
  return HAS_HAZARD.test(json) ? escapeHazards(json) : json;
}

/**
 * Nothing in s that JSON.stringify escapes (quote, backslash, controls below U+0020, surrogates,
 * which it escapes when lone) nor a hazard (U+007F–U+009F, U+2028, U+2029).
 */
function plain(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x7f) {
      if (c < 0x20 || c === 0x22 || c === 0x5c) return false;
    } else if (c <= 0x9f || (c >= 0xd800 && c <= 0xdfff) || c === 0x2028 || c === 0x2029) return false;
  }
  return true;
}

/**
 * new Date(ms).toISOString(), from the last second's text while the second stays the same (execs
 * come many a second): `2026-11-26T11:41:16.` + milliseconds + `Z`.
 */
let isoSecond = Number.NaN;
let isoPrefix = '';
function isoTime(timeMs: number): string {
  // As Date does: the time value is the integer part.
  const ms = Math.trunc(timeMs);
  const second = Math.floor(ms / 1000);
  if (second !== isoSecond) {
    const iso = new Date(ms).toISOString();
    // Years 0–9999 only (toISOString writes ±YYYYYY beyond): others are never cached.
    if (iso.length !== 24) return iso;
    isoSecond = second;
    isoPrefix = iso.slice(0, 20);
  }
  const m = ms - second * 1000;
  return isoPrefix + (m < 10 ? `00${m}Z` : m < 100 ? `0${m}Z` : `${m}Z`);
}

const orNull = (s: string | null): string => (s === null ? 'null' : str(s));

/**
 * The fields that depend only on where the exec ran (node, pod, container, cgroup…), serialized once
 * per cgroup identity and reused while they stay the same: most execs on a node come from a few
 * cgroups, and these fields are half of every line.
 */
type Placement = Pick<
  AttributedEvent,
  'node' | 'namespace' | 'pod' | 'container' | 'containerId' | 'cgroup' | 'unattributed' | 'workload' | 'image' | 'imageId'
> & {
  /** `"node":…,"containerId":…`, `"workload":…,"imageId":…` (exec lines only) and `"cgroup":…,"attribution":…` */
  head: string;
  podFacts: string;
  tail: string;
};

const placements = new WeakMap<object, Placement>();

function placementOf(e: AttributedEvent): Placement {
  const p = placements.get(e.identity);
  if (
    p !== undefined &&
    p.node === e.node &&
    p.namespace === e.namespace &&
    p.pod === e.pod &&
    p.container === e.container &&
    p.containerId === e.containerId &&
    p.cgroup === e.cgroup &&
    p.unattributed === e.unattributed &&
    p.workload === e.workload &&
    p.image === e.image &&
    p.imageId === e.imageId
  ) {
    return p;
  }
  const r = toJsonRecord(e);
  const made: Placement = {
    node: e.node,
    namespace: e.namespace,
    pod: e.pod,
    container: e.container,
    containerId: e.containerId,
    cgroup: e.cgroup,
    unattributed: e.unattributed,
    workload: e.workload,
    image: e.image,
    imageId: e.imageId,
    head: `"node":${str(r.node)},"namespace":${orNull(r.namespace)},"pod":${orNull(r.pod)},"container":${orNull(r.container)},"containerId":${orNull(r.containerId)}`,
    podFacts: `"workload":${orNull(r.workload)},"image":${orNull(r.image)},"imageId":${orNull(r.imageId)}`,
    tail: `"cgroup":${str(r.cgroup)},"podUid":${orNull(r.podUid)},"unit":${orNull(r.unit)},"helper":${orNull(r.helper)},"attribution":${str(r.attribution)}`,
  };
  placements.set(e.identity, made);
  return made;
}

/*
 * The last exec line's runs of context fields and of command fields, as text, reused while the next
 * exec's are the same: the execs of one session, of a loop, of a storm share them, and a few
 * comparisons cost less than quoting and joining twenty fields again.
 */
let cLoginUid: number | null = null;
let cSessionId: number | null = null;
let cTty: string | null = null;
let cEntry: AttributedEvent['entry'] = null;
let cLeader: number | null = null;
let cCwd: string | null = null;
let cCwdTruncated = false;
let cExe: string | null = null;
let cMemfd: boolean | null = null;
let cDeleted: boolean | null = null;
let cText = '';

/** `"loginUid":…,"exeDeleted":…,` */
function contextFields(e: AttributedEvent): string {
  const ev = e.event;
  if (
    cText === '' ||
    ev.loginUid !== cLoginUid ||
    ev.sessionId !== cSessionId ||
    ev.tty !== cTty ||
    e.entry !== cEntry ||
    ev.sessionLeaderPid !== cLeader ||
    ev.cwd !== cCwd ||
    ev.cwdTruncated !== cCwdTruncated ||
    ev.exe !== cExe ||
    ev.exeFromMemfd !== cMemfd ||
    ev.exeDeleted !== cDeleted
  ) {
    cLoginUid = ev.loginUid;
    cSessionId = ev.sessionId;
    cTty = ev.tty;
    cEntry = e.entry;
    cLeader = ev.sessionLeaderPid;
    cCwd = ev.cwd;
    cCwdTruncated = ev.cwdTruncated;
    cExe = ev.exe;
    cMemfd = ev.exeFromMemfd;
    cDeleted = ev.exeDeleted;
    cText =
      `"loginUid":${ev.loginUid},"sessionId":${ev.sessionId},"tty":${orNull(ev.tty)},` +
      `"entry":${e.entry === null ? 'null' : `"${e.entry}"`},"sessionLeaderPid":${ev.sessionLeaderPid},"cwd":${orNull(ev.cwd)},"cwdTruncated":${ev.cwdTruncated},` +
      `"exe":${orNull(ev.exe)},"exeFromMemfd":${ev.exeFromMemfd},"exeDeleted":${ev.exeDeleted},`;
  }
  return cText;
}

let mComm = '';
let mFilename = '';
let mArgs: readonly string[] = [];
let mTruncated = false;
let mRetval: number | null = null;
let mText = '';

/** `"comm":…,"error":…,` */
function commandFields(ev: AttributedEvent['event']): string {
  if (
    mText !== '' &&
    ev.comm === mComm &&
    ev.filename === mFilename &&
    ev.argsTruncated === mTruncated &&
    ev.retval === mRetval &&
    sameArgs(ev.args, mArgs)
  ) {
    return mText;
  }
  let args = '';
  for (let i = 0; i < ev.args.length; i++) args += (i === 0 ? '' : ',') + str(ev.args[i]!);
  mComm = ev.comm;
  mFilename = ev.filename;
  // A copy: the memo must not see a later change to the event's own array.
  mArgs = ev.args.slice();
  mTruncated = ev.argsTruncated;
  mRetval = ev.retval;
  mText =
    `"comm":${str(ev.comm)},"filename":${str(ev.filename)},"args":[${args}],"argsTruncated":${ev.argsTruncated},` +
    `"retval":${ev.retval === null ? 'null' : ev.retval},"error":${orNull(errnoName(ev.retval))},`;
  return mText;
}

function sameArgs(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * The record as one line of JSON, without a trailing newline. Non-ASCII text is kept as is.
 * Byte for byte JSON.stringify(toJsonRecord(e)) with hazards escaped (json.test.ts checks it), built
 * without the intermediate object: this runs once per exec.
 */
export function formatJsonLine(e: AttributedEvent): string {
  const ev = e.event;
  const p = placementOf(e);
  if (ev.exit) {
    const end = ev.exit;
    return (
      `{"type":"exit","time":"${isoTime(ev.timeMs)}",${p.head},"pid":${ev.pid},"comm":${str(ev.comm)},` +
      `"exitCode":${end.exitCode === null ? 'null' : end.exitCode},"signal":${orNull(signalName(end.signal))},"durationMs":${JSON.stringify(end.durationMs)}}`
    );
  }
  return (
    `{"type":"exec","time":"${isoTime(ev.timeMs)}",${p.head},${p.podFacts},"pid":${ev.pid},"ppid":${ev.ppid},"uid":${ev.uid},` +
    contextFields(e) +
    commandFields(ev) +
    `${e.pathSearch ? '"pathSearch":true,' : ''}"upperLayer":${ev.upperLayer},${p.tail}` +
    // The ancestry chain (--ancestry) is rare enough for the general form.
    (e.ancestry ? `,"ancestry":${escapeHazards(JSON.stringify(e.ancestry))}` : '') +
    '}'
  );
}
