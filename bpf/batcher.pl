#!/usr/bin/perl
# The batcher (run by bpf/tracer.sh as `perl -e`): bpftrace writes (and flushes) every record on its
# own, about three per exec, and every write becomes an exec-stream frame that the kubelet, the API
# server and the client each pay for. This reads what bpftrace wrote and passes it on in one write
# when $max bytes have gathered or $wait seconds after the first byte of a batch, whichever comes
# first: a storm crosses the stream in a few large frames and a quiet node still shows each exec
# within $wait. After each read it naps $nap seconds, so that a read takes what bpftrace wrote
# meanwhile rather than one record: at a storm's ~1 MB/s that is ~10 kB a read, far below the
# pipe's 64 KiB, so bpftrace never waits on the pipe. ($max, $wait, $nap: BATCH_BYTES, BATCH_MS
# and BATCH_NAP_MS in src/node/tracer-command.ts, checked by its test.)
#
# Perl because it needs a read with a timeout and a write of arbitrary size, and `perl` is in every
# Debian- and Ubuntu-based image (perl-base is Essential there), the default image's included; awk
# is not an option (mawk waits for a full input block before it runs a rule). Only core built-ins:
# 4-argument select (which returns the time left on Linux), sysread, syswrite. SIGINT is ignored so
# that a Ctrl-C in the terminal (--local) stops bpftrace, which then flushes and closes the pipe,
# rather than this process with a batch in hand.
#
# It also holds the dead-man switch (src/node/lease.ts): its select loop is the one place on the
# node that already waits with a timeout. fd 5 is the exec's stdin, where the client writes a
# heartbeat every few seconds. A heartbeat touches the pod's lease file ($ARGV[1]); its end, or no
# heartbeat for $ARGV[2] seconds, sends SIGINT to bpftrace (pid in the file $ARGV[0]), which
# flushes and closes the pipe: what it still wrote goes out and the batcher exits. SIGKILL 10 s
# later if not. The heartbeat costs one select bit and nothing per record.
#
# Counting mode (-o summary, issue 25): with TRACE_EXEC_COUNTS set to "<every> <args_max> <self_pid>"
# in its environment, the first thing on fd 5 is bpf/counter.pl (its length in bytes, a newline, its
# text), which it runs; the loop below then hands it bpftrace's lines (take) and calls it every
# <every> seconds and at the end (period). The counter travels on stdin rather than in argv: an
# exec request carries its argv in the URL, which API servers and proxies limit to a few kilobytes.
#
# Full-line comments are stripped before it is sent to the node (so no line of code may start
# with #; scripts.test.ts checks the sent form too).
$SIG{INT} = 'IGNORE';
my ($max, $wait, $nap) = (65536, 0.1, 0.01);
my ($pidf, $lease, $limit) = @ARGV;
my ($buf, $left, $in) = ('', 0, '');
vec($in, fileno(STDIN), 1) = 1;
my ($hb, $due, $stage) = (undef, 0, 0);
if ($limit > 0 && open($hb, '<&=', 5)) { vec($in, 5, 1) = 1; $due = time + $limit + 1 } else { undef $hb }
sub flush { my $o = 0; while ($o < length $buf) { my $w = syswrite(STDOUT, $buf, length($buf) - $o, $o); die "trace-exec batcher: write: $!\n" unless defined $w; $o += $w } $buf = '' }
sub tracer { my ($p, $f); open($f, '<', $pidf) and $p = <$f>; $p = '' unless defined $p; chomp $p; $p =~ /^\d+$/ ? $p : 0 }
# Stage 0: watching the heartbeat; 1: SIGINT sent; 2: SIGKILL sent.
sub release { my ($why) = @_; if ($stage == 0) { print STDERR "trace-exec: $why: stopping bpftrace\n"; vec($in, 5, 1) = 0; undef $hb; my $p = tracer(); kill('INT', $p) if $p; ($stage, $due) = (1, time + 10) } elsif ($stage == 1) { my $p = tracer(); kill('KILL', $p) if $p; $stage = 2 } }
my ($every, $argsmax, $self) = split / /, ($ENV{TRACE_EXEC_COUNTS} // '');
$every = 0 unless defined $every && $every =~ /^\d+$/ && $argsmax =~ /^\d+$/;
# $cf lives as long as the batcher: its end would close fd 5, where the heartbeats come.
my ($inb, $tick, $cf) = ('', time + $every);
if ($every) {
  my ($n, $c, $code) = ('', '', '');
  open($cf, '<&=', 5) or die "trace-exec batcher: no counter on fd 5: $!\n";
  while (sysread($cf, $c, 1) && $c ne "\n") { $n .= $c }
  while ($n =~ /^\d+$/ && length $code < $n) { sysread($cf, $code, $n - length $code, length $code) or last }
  eval $code;
  die "trace-exec batcher: counter: $@" if $@ || length $code != $n;
}
for (;;) {
  my $tmo = length $buf ? $left : undef;
  if ($stage < 2 && $due) { my $d = $due - time; $d = 0 if $d < 0; $tmo = $d if !defined $tmo || $d < $tmo }
  if ($every) { my $d = $tick - time; $d = 0 if $d < 0; $tmo = $d if !defined $tmo || $d < $tmo }
  my ($n, $t) = select(my $r = $in, undef, undef, $tmo);
  $left -= $tmo - $t if length $buf && defined $tmo;
  if ($hb && $n > 0 && vec($r, 5, 1)) {
    my $got = sysread($hb, my $x, 512);
    if ($got) { $due = time + $limit + 1; utime(undef, undef, $lease) or (open(my $f, '>>', $lease) and close $f) if length $lease }
    elsif (defined $got || !$!{EINTR}) { release('the client closed the stream') }
  }
  # time() counts whole seconds: +1 above makes the limit a floor, not a ceiling.
  release("no heartbeat from the client for ${limit}s") if $stage < 2 && $due && time >= $due;
  if ($every && $n > 0 && vec($r, fileno(STDIN), 1)) {
    my $had = length $buf;
    my $got = sysread(STDIN, $inb, $max, length $inb);
    if (!$got) { next if !defined $got && $!{EINTR}; take(); period(1); pass($inb); flush(); exit(defined $got ? 0 : 1) }
    take();
    $left = $wait if !$had && length $buf;
    # As below: let records gather, so that a read takes many (counting costs per read, too).
    select(undef, undef, undef, $nap);
  } elsif ($n > 0 && vec($r, fileno(STDIN), 1)) {
    my $had = length $buf;
    my $got = sysread(STDIN, $buf, $max - $had, $had);
    if (!$got) { next if !defined $got && $!{EINTR}; flush(); exit(defined $got ? 0 : 1) }
    $left = $wait unless $had;
    # A nap after a read lets bpftrace's next records gather in the pipe: one read then takes many
    # records instead of one (bpftrace writes each record on its own).
    if (length $buf < $max && $left > 0) { my $z = $left < $nap ? $left : $nap; select(undef, undef, undef, $z); $left -= $z }
  }
  if ($every && time >= $tick) { my $had = length $buf; period(0); $left = 0 if !$had && length $buf }
  flush() if length $buf >= $max || $left <= 0;
}
