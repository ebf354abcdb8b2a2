/**
 * The node-side command that runs bpftrace: tracefs mounted, bpftrace's pid written where stop()
 * finds it, its output batched before it leaves the node, and bpftrace's own exit code as the
 * command's. Fixed scripts; argv is passed as "$@", never interpolated.
 *
 * Why batch: bpftrace writes (and flushes) every record on its own, about three per exec, and every
 * write becomes an exec-stream frame that the kubelet, the API server and the client each pay for.
 * The batcher reads what bpftrace wrote and passes it on in one write when BATCH_BYTES have
 * gathered or BATCH_MS after the first byte of a batch, whichever comes first: a storm crosses the
 * stream in a few large frames and a quiet node still shows each exec within BATCH_MS.
 */

/** A batch is written when it holds this many bytes… */
export const BATCH_BYTES = 65536;
/** …or this long after its first byte arrived, whichever comes first. */
export const BATCH_MS = 100;
/**
 * After each read the batcher waits this long before the next one, so that a read takes what
 * bpftrace wrote meanwhile rather than one record: at a storm's ~1 MB/s that is ~10 kB a read,
 * far below the pipe's 64 KiB, so bpftrace never waits on the pipe.
 */
export const BATCH_NAP_MS = 10;

/**
 * The batcher, in Perl because it needs a read with a timeout and a write of arbitrary size, and
 * `perl` is in every Debian- and Ubuntu-based image (perl-base is Essential there), the default
 * image's included; awk is not an option (mawk waits for a full input block before it runs a rule).
 * Only core built-ins: 4-argument select (which returns the time left on Linux), sysread, syswrite.
 * SIGINT is ignored so that a Ctrl-C in the terminal (--local) stops bpftrace, which then flushes
 * and closes the pipe, rather than this process with a batch in hand.
 */
export const BATCHER_PERL = [
  `$SIG{INT} = 'IGNORE';`,
  `my ($max, $wait, $nap) = (${BATCH_BYTES}, ${BATCH_MS / 1000}, ${BATCH_NAP_MS / 1000});`,
  `my ($buf, $left, $in) = ('', 0, '');`,
  `vec($in, fileno(STDIN), 1) = 1;`,
  `sub flush { my $o = 0; while ($o < length $buf) { my $w = syswrite(STDOUT, $buf, length($buf) - $o, $o); die "trace-exec batcher: write: $!\\n" unless defined $w; $o += $w } $buf = '' }`,
  `for (;;) {`,
  `  my ($n, $t) = select(my $r = $in, undef, undef, length $buf ? $left : undef);`,
  `  if ($n > 0) {`,
  `    my $had = length $buf;`,
  `    my $got = sysread(STDIN, $buf, $max - $had, $had);`,
  `    if (!$got) { next if !defined $got && $!{EINTR}; flush(); exit(defined $got ? 0 : 1) }`,
  `    $left = $had ? $t : $wait;`,
  // A nap after a read lets bpftrace's next records gather in the pipe: one read then takes many
  // records instead of one (bpftrace writes each record on its own).
  `    if (length $buf < $max && $left > 0) { my $z = $left < $nap ? $left : $nap; select(undef, undef, undef, $z); $left -= $z }`,
  `  } elsif ($n == 0) { $left = 0 }`,
  `  flush() if length $buf >= $max || $left <= 0;`,
  `}`,
].join('\n');

/**
 * $1 pid file, $2 the batcher ('' = none), then bpftrace's argv. With a batcher, bpftrace runs in
 * the background of a pipeline so that its pid and exit code can be kept: the code travels back
 * through fd 3 while the batcher's output goes to the original stdout (fd 4). SIGINT is ignored by
 * the shell and the batcher; bpftrace installs its own handler and stops cleanly on it.
 */
const TRACER_SCRIPT = [
  'pidf=$1; batcher=$2; shift 2',
  '[ -e /sys/kernel/tracing/events ] || mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null',
  '[ -e /sys/kernel/debug/tracing ] || mount -t debugfs nodev /sys/kernel/debug 2>/dev/null',
  'if [ -z "$batcher" ]; then echo $$ > "$pidf"; exec "$@"; fi',
  "trap '' INT",
  'exec 4>&1',
  'rc=$( { { "$@" 3>&- 4>&- & echo $! > "$pidf"; wait $!; echo $? >&3; } | perl -e "$batcher" 3>&- >&4; } 3>&1 )',
  'exit "${rc:-1}"',
].join('\n');

export interface TracerCommand {
  /** bpftrace's argv (src/node/render.ts bpftraceCommand). */
  bpftrace: readonly string[];
  /** Batch the output on the node (the node has perl); false streams every record as written. */
  batch: boolean;
}

/** The argv to run on the node; bpftrace's pid goes to pidFile. */
export function tracerArgv(cmd: TracerCommand, pidFile: string): string[] {
  return ['sh', '-c', TRACER_SCRIPT, 'trace-exec', pidFile, cmd.batch ? BATCHER_PERL : '', ...cmd.bpftrace];
}
