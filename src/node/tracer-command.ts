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
 *
 * It also holds the dead-man switch (src/node/lease.ts) — its select loop is the one place on the
 * node that already waits with a timeout: fd 5 is the exec's stdin, where the client writes a
 * heartbeat every few seconds. A heartbeat touches the pod's lease file ($ARGV[1]); its end, or no
 * heartbeat for $ARGV[2] seconds, sends SIGINT to bpftrace (pid in $ARGV[0]), which flushes and
 * closes the pipe: what it still wrote goes out and the batcher exits. SIGKILL 10 s later if not.
 * The heartbeat costs one select bit and nothing per record.
 */
export const BATCHER_PERL = [
  `$SIG{INT} = 'IGNORE';`,
  `my ($max, $wait, $nap) = (${BATCH_BYTES}, ${BATCH_MS / 1000}, ${BATCH_NAP_MS / 1000});`,
  `my ($pidf, $lease, $limit) = @ARGV;`,
  `my ($buf, $left, $in) = ('', 0, '');`,
  `vec($in, fileno(STDIN), 1) = 1;`,
  `my ($hb, $due, $stage) = (undef, 0, 0);`,
  `if ($limit > 0 && open($hb, '<&=', 5)) { vec($in, 5, 1) = 1; $due = time + $limit + 1 } else { undef $hb }`,
  `sub flush { my $o = 0; while ($o < length $buf) { my $w = syswrite(STDOUT, $buf, length($buf) - $o, $o); die "trace-exec batcher: write: $!\\n" unless defined $w; $o += $w } $buf = '' }`,
  `sub tracer { my ($p, $f); open($f, '<', $pidf) and $p = <$f>; $p = '' unless defined $p; chomp $p; $p =~ /^\\d+$/ ? $p : 0 }`,
  // Stage 0: watching the heartbeat; 1: SIGINT sent; 2: SIGKILL sent.
  `sub release { my ($why) = @_; if ($stage == 0) { print STDERR "trace-exec: $why: stopping bpftrace\\n"; vec($in, 5, 1) = 0; undef $hb; my $p = tracer(); kill('INT', $p) if $p; ($stage, $due) = (1, time + 10) } elsif ($stage == 1) { my $p = tracer(); kill('KILL', $p) if $p; $stage = 2 } }`,
  `for (;;) {`,
  `  my $tmo = length $buf ? $left : undef;`,
  `  if ($stage < 2 && $due) { my $d = $due - time; $d = 0 if $d < 0; $tmo = $d if !defined $tmo || $d < $tmo }`,
  `  my ($n, $t) = select(my $r = $in, undef, undef, $tmo);`,
  `  $left -= $tmo - $t if length $buf && defined $tmo;`,
  `  if ($hb && $n > 0 && vec($r, 5, 1)) {`,
  `    my $got = sysread($hb, my $x, 512);`,
  `    if ($got) { $due = time + $limit + 1; utime(undef, undef, $lease) or (open(my $f, '>>', $lease) and close $f) if length $lease }`,
  `    elsif (defined $got || !$!{EINTR}) { release('the client closed the stream') }`,
  `  }`,
  // time() counts whole seconds: +1 above makes the limit a floor, not a ceiling.
  `  release("no heartbeat from the client for \${limit}s") if $stage < 2 && $due && time >= $due;`,
  `  if ($n > 0 && vec($r, fileno(STDIN), 1)) {`,
  `    my $had = length $buf;`,
  `    my $got = sysread(STDIN, $buf, $max - $had, $had);`,
  `    if (!$got) { next if !defined $got && $!{EINTR}; flush(); exit(defined $got ? 0 : 1) }`,
  `    $left = $wait unless $had;`,
  // A nap after a read lets bpftrace's next records gather in the pipe: one read then takes many
  // records instead of one (bpftrace writes each record on its own).
  `    if (length $buf < $max && $left > 0) { my $z = $left < $nap ? $left : $nap; select(undef, undef, undef, $z); $left -= $z }`,
  `  }`,
  `  flush() if length $buf >= $max || $left <= 0;`,
  `}`,
].join('\n');

/**
 * $1 this attachment's pid file (`BASE.N`, N counting attachments), $2 the pod's lease file ('' =
 * none), $3 the lease limit in seconds, $4 the batcher ('' = none), then bpftrace's argv.
 *
 * Never two tracers of one run on a node: each attachment first writes `BASE.N.sh` (its intent),
 * then looks at the others'. A newer one means this attachment was given up (its stream was lost
 * while it started): it never starts bpftrace. An older one is waited for until it has started
 * its bpftrace or given up (5 s at most), and that bpftrace is stopped, by its pid file. Writing
 * before looking, on both sides, means at least one of two attachments sees the other.
 *
 * The exec's stdin (the heartbeat) moves to fd 5. With a batcher, bpftrace runs in the background
 * of a pipeline so that its pid and exit code can be kept: the code travels back through fd 3
 * while the batcher's output goes to the original stdout (fd 4). SIGINT is ignored by the shell
 * and the batcher; bpftrace installs its own handler and stops cleanly on it. Without perl, a read
 * loop on fd 5 renews the lease and stops bpftrace when the stream ends; a silent client is then
 * left to the pod's own lease check (src/node/lease.ts).
 */
const TRACER_SCRIPT = [
  'pidf=$1; lease=$2; limit=$3; batcher=$4; shift 4',
  'base=${pidf%.*}; me=${pidf##*.}',
  'echo $$ > "$pidf.sh"',
  "trap 'rm -f \"$pidf.sh\"' EXIT",
  '[ -e /sys/kernel/tracing/events ] || mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null',
  '[ -e /sys/kernel/debug/tracing ] || mount -t debugfs nodev /sys/kernel/debug 2>/dev/null',
  'for f in "$base".*.sh; do',
  '  k=${f%.sh}; k=${k##*.}',
  '  case $k in "$me"|*[!0-9]*|"") continue;; esac',
  '  [ "$k" -gt "$me" ] && exit 0',
  '  i=0; while [ $i -lt 25 ] && [ -e "$f" ] && [ ! -s "$base.$k" ]; do sleep 0.2; i=$((i + 1)); done',
  '  old=$(cat "$base.$k" 2>/dev/null)',
  '  if [ -n "$old" ] && [ "$(cat "/proc/$old/comm" 2>/dev/null)" = bpftrace ]; then',
  '    kill -INT "$old" 2>/dev/null; i=0',
  '    while [ $i -lt 25 ] && kill -0 "$old" 2>/dev/null; do sleep 0.2; i=$((i + 1)); done',
  '    kill -KILL "$old" 2>/dev/null',
  '  fi',
  '  rm -f "$base.$k" "$f"',
  'done',
  "trap '' INT",
  'exec 4>&1 5<&0 </dev/null',
  'if [ -z "$batcher" ]; then',
  '  "$@" 4>&- 5<&- & bp=$!; echo $bp > "$pidf"',
  '  ( while IFS= read -r _; do [ -z "$lease" ] || touch "$lease"; done; kill -INT "$bp" ) <&5 >/dev/null 2>&1 & hb=$!',
  '  exec 5<&-',
  '  wait $bp; rc=$?; kill $hb 2>/dev/null; exit $rc',
  'fi',
  'rc=$( { { "$@" 3>&- 4>&- 5<&- & echo $! > "$pidf"; wait $!; echo $? >&3; } 5<&- | perl -e "$batcher" "$pidf" "$lease" "$limit" 3>&- >&4; } 3>&1 )',
  'exit "${rc:-1}"',
].join('\n');

export interface TracerCommand {
  /** bpftrace's argv (src/node/render.ts bpftraceCommand). */
  bpftrace: readonly string[];
  /** Batch the output on the node (the node has perl); false streams every record as written. */
  batch: boolean;
}

export interface TracerFiles {
  /** Where bpftrace's pid goes: `BASE.N` for the Nth attachment (earlier ones are stopped first). */
  pid: string;
  /** The pod's lease file, touched on each heartbeat; null with --local (no pod). */
  lease: string | null;
}

/** The argv to run on the node; limitS: no heartbeat on stdin for this long stops bpftrace. */
export function tracerArgv(cmd: TracerCommand, files: TracerFiles, limitS: number): string[] {
  return ['sh', '-c', TRACER_SCRIPT, 'trace-exec', files.pid, files.lease ?? '', String(limitS), cmd.batch ? BATCHER_PERL : '', ...cmd.bpftrace];
}
