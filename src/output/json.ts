import type { AttributedEvent } from '../join/types.js';
import { attributionOf, podUidOf, unitOf, type Attribution } from './attribution.js';
import type { Ancestor } from '../join/process-table.js';
import { errnoName } from './errno.js';

/** One exec as printed by `-o json` (one object a line). Field order is part of the format. */
export interface JsonExecRecord {
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
  pid: number;
  ppid: number;
  uid: number;
  comm: string;
  filename: string;
  /** argv, argv[0] first. */
  args: string[];
  argsTruncated: boolean;
  /** 0 on success, -errno on failure, null when the exit record never came. */
  retval: number | null;
  /** The errno name of a failed exec ("ENOENT"); null on success or when the exit record never came. */
  error: string | null;
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

export function toJsonRecord(e: AttributedEvent): JsonExecRecord {
  const attribution = attributionOf(e);
  const ev = e.event;
  // Literal order = output order.
  return {
    time: new Date(ev.timeMs).toISOString(),
    node: e.node,
    namespace: attribution === 'pod' ? e.namespace : null,
    pod: attribution === 'pod' ? e.pod : null,
    container: attribution === 'host' ? null : e.container,
    containerId: e.containerId,
    pid: ev.pid,
    ppid: ev.ppid,
    uid: ev.uid,
    comm: ev.comm,
    filename: ev.filename,
    args: [...ev.args],
    argsTruncated: ev.argsTruncated,
    retval: ev.retval,
    error: errnoName(ev.retval),
    cgroup: e.cgroup,
    podUid: podUidOf(e),
    unit: unitOf(e),
    helper: e.identity.kind === 'pod' ? e.identity.helper : null,
    attribution,
    ...(e.ancestry ? { ancestry: e.ancestry } : {}),
  };
}

/**
 * Characters JSON.stringify leaves raw that a terminal may act on (DEL, C1 controls such as CSI
 * U+009B) or that some line-oriented tools treat as line breaks (U+2028/U+2029). They only ever
 * occur inside JSON strings, where the \u form is equivalent.
 */
const RAW_HAZARDS = /[\u007f-\u009f\u2028\u2029]/g;

/** The record as one line of JSON, without a trailing newline. Non-ASCII text is kept as is. */
export function formatJsonLine(e: AttributedEvent): string {
  return JSON.stringify(toJsonRecord(e)).replace(
    RAW_HAZARDS,
    (c) => `\\u${(c.codePointAt(0) ?? 0).toString(16).padStart(4, '0')}`,
  );
}
