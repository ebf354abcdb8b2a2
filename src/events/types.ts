/**
 * One exec as the node saw it, decoded from the bpftrace records (see bpf/trace-exec.bt.tmpl and
 * src/events/records.ts, which must stay in sync with it).
 */
export interface ExecEvent {
  /** Wall-clock time of the exec, milliseconds since the epoch (UTC). */
  timeMs: number;
  pid: number;
  tid: number;
  ppid: number;
  uid: number;
  /** The command name after the exec (the parent's comm when the exec failed). */
  comm: string;
  filename: string;
  /** argv, argv[0] first. */
  args: string[];
  /** true when argv (count or length of an argument) exceeded what bpftrace could carry. */
  argsTruncated: boolean;
  /** 0 on success, -errno on failure; null when the exit record never came. */
  retval: number | null;
  /** cgroup paths relative to each hierarchy's root, as captured ('/' = root); null = not captured. */
  cgroupV2: string | null;
  cgroupV1: string | null;
  /**
   * Where the new program's executable sits on overlayfs (a container's root): true in the upper,
   * writable layer (written or changed after the container started: drift), false in a lower (image)
   * layer; null when not on overlayfs, the exec failed, or the node could not say.
   */
  upperLayer: boolean | null;
  /**
   * With --exits, on the event that reports a process's end: that event is its last successful
   * exec's (pid, comm, argv, cgroups…) with timeMs the time of the end.
   */
  exit?: ProcessEnd;
}

/** How a process exec'd while tracing ended (its whole thread group), from the kernel's wait status. */
export interface ProcessEnd {
  /** The exit status (0–255); null when a signal killed it. */
  exitCode: number | null;
  /** The number of the signal that killed it; null when it exited. */
  signal: number | null;
  /** The signal dumped core. */
  core: boolean;
  /** From its last exec (entry) to its end, in milliseconds (µs precision). */
  durationMs: number;
}

/** Diagnostics that travel in the stream with the events. */
export type StreamNotice =
  | { kind: 'lost'; count: number }
  | { kind: 'malformed'; line: string; reason: string }
  | { kind: 'started'; monoNs: bigint };
