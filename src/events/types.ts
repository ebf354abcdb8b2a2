/**
 * One exec as the node saw it, decoded from the bpftrace records (see bpf/trace-exec.bt.tmpl and
 * src/events/records.ts, which must stay in sync with it).
 */
export interface ExecEvent extends ExecContext {
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
  /**
   * With node counts (-o summary, src/trace/node-counts.ts): this event stands for `count.execs`
   * execs of one cgroup and command that the node counted rather than sent; its comm and cgroups are
   * theirs, timeMs the first one's, args the commonest argv, and every other field unknown.
   */
  count?: NodeCount;
}

/** What the node counted for one cgroup and command since its previous count (src/events/counts.ts). */
export interface NodeCount {
  /** Execs counted (the folded attempts of a PATH search not among them). */
  execs: number;
  /** Of those, the failed ones, and by errno (positive: 2 = ENOENT). */
  failed: number;
  errnos: ReadonlyMap<number, number>;
  /** Failed attempts of a PATH search that went on (src/output/path-search.ts folds them too). */
  searches: number;
  /** The first and last exec's wall time, milliseconds since the epoch. */
  firstMs: number;
  lastMs: number;
  /** How many execs ran the commonest argv (the event's args). */
  argvExecs: number;
}

/**
 * The process and the program it runs, as the kernel holds them at exec time (issue 23). Every field
 * is null where not known: a failed exec (exe and its properties are about the new program), a
 * recording from before these fields, or a node whose program does not read them.
 */
export interface ExecContext {
  /** The working directory (task->fs->pwd), absolute within the process's mount namespace. */
  cwd: string | null;
  /** true when cwd was cut: deeper or longer than the program reads (its start is then missing). */
  cwdTruncated: boolean;
  /**
   * The file that runs after the exec (mm->exe_file): the interpreter of a script, the loader for
   * `ld.so ./x`; for a memfd the kernel's name of it ("/memfd:name (deleted)").
   */
  exe: string | null;
  /** The executable is a memfd (fileless execution). */
  exeFromMemfd: boolean | null;
  /** The executable's file had no link left when it ran (unlinked, or a memfd). */
  exeDeleted: boolean | null;
  /** The controlling terminal: 'pts/N' or 'ttyN' (others by their kernel name); null when none. */
  tty: string | null;
  /** The audit login uid; null when unset (4294967295). */
  loginUid: number | null;
  /** The audit session id; null when unset (4294967295). */
  sessionId: number | null;
  /**
   * For a process in a container's cgroup: true when its topmost ancestor still in that cgroup is
   * the container's first process (pid 1 in its pid namespace), false when it entered the cgroup
   * another way (the runtime's exec). null for host processes, or when not known.
   */
  inInitTree: boolean | null;
  /** The host pid of that topmost ancestor in the same cgroup (an exec session's first process). */
  sessionLeaderPid: number | null;
}

/** An ExecContext where nothing is known. */
export const UNKNOWN_CONTEXT: Readonly<ExecContext> = Object.freeze({
  cwd: null,
  cwdTruncated: false,
  exe: null,
  exeFromMemfd: null,
  exeDeleted: null,
  tty: null,
  loginUid: null,
  sessionId: null,
  inInitTree: null,
  sessionLeaderPid: null,
});

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
  /** Tracing: every probe is attached (both S records came); monoNs is the later's clock. */
  | { kind: 'started'; monoNs: bigint };
