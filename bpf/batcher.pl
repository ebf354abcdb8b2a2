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
# Counting mode (issue 25, -o summary: src/trace/node-counts.ts decides it): with TRACE_EXEC_COUNTS
# set to "<every> <args_max> <self_pid>" in its environment, the batcher stops passing on every exec
# and counts them instead. It joins each exec's E, A and X records by their key (tid, enter time)
# and counts it per (cgroup ids, command): execs, failures by errno, the first and last enter time
# and the commonest argv. Every <every> seconds (1 to <every>: time() has whole seconds), and once
# more at the end, it writes one count record per key counted since the last one: deltas, so that
# counts written by an attachment whose stream was then lost are never sent twice. Whatever it
# does not count is passed on as written, for the client to decode as in per-exec mode: the other
# records (B, P, D, K, F, R, lost events), and the whole exec (E, A, X) when the exec entered its
# cgroup from outside (a kubectl exec session, a probe: X's tree is 2), ran a file from an overlay
# upper layer (drift), was started by the client itself (ppid <self_pid>, --local), did not gather
# all its records within one to two periods, or would make more than $keys keys. The failed
# attempts of a PATH search (execvp tries each directory) are folded as src/output/path-search.ts
# folds them: an attempt followed within 20 ms by the same pid's exec of the same argv and file
# name is counted as `searches`, not as an exec. KEEP IN SYNC with src/events/counts.ts: the
# count record's format,
#   {"type": "counts", "data": {"cg2": "<id>", "cg1": "<id>", "comm": "<comm>", "execs": N,
#    "failed": N, "searches": N, "first": "<mono_ns>", "last": "<mono_ns>", "errnos": {"<errno>": N},
#    "argv": ["<arg>", ...], "argvExecs": N}}
# its strings copied as bpftrace escaped them. Without TRACE_EXEC_COUNTS nothing of this runs.
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
$self = 0 unless defined $self && $self =~ /^\d+$/;
my ($keys, $argvs, $inb, $gen, $tick) = (10000, 16, '', 0, time + $every);
my (%exec, %held, %cnt);
sub pass { $buf .= $_ for @_ }
sub basename { my ($f) = @_; substr($f, rindex($f, '/') + 1) }
sub tally {
  my ($p, $searched) = @_;
  my $k = "$p->{cg} $p->{comm}";
  if (!exists $cnt{$k} && keys %cnt >= $keys) { pass(@{$p->{l}}); return }
  my $c = $cnt{$k} //= { n => 0, f => 0, s => 0, e => {}, v => {}, vn => 0 };
  if ($searched) { $c->{s}++; return }
  $c->{n}++;
  if ($p->{ret} < 0) { $c->{f}++; $c->{e}{-$p->{ret}}++ }
  $c->{lo} = $p->{mono} if !defined $c->{lo} || $p->{mono} < $c->{lo};
  $c->{hi} = $p->{mono} if !defined $c->{hi} || $p->{mono} > $c->{hi};
  $c->{v}{$p->{argv}}++ if exists $c->{v}{$p->{argv}} || $c->{vn}++ < $argvs;
}
sub continues {
  my ($a, $b) = @_;
  my $dt = $b->{mono} - $a->{mono};
  return 0 if $dt < 0 || $dt > 20e6 || basename($a->{file}) ne basename($b->{file}) || $a->{argv} ne $b->{argv};
  return !($a->{file} eq $b->{file} && $a->{ret} != $b->{ret});
}
sub searchable { my ($r) = @_; $r == -2 || $r == -13 || $r == -20 }
sub done {
  my ($k) = @_;
  my $p = delete $exec{$k};
  my ($tid, $pid, $ppid, $uid, $mono, $cg2, $cg1, $argc, $file) = @{$p->{e}};
  my ($ret, $props, $comm) = @{$p->{x}}[1, 3, 10];
  @$p{qw(pid mono ret file comm cg)} = ($pid, $mono, $ret, $file, $comm, "$cg2 $cg1");
  $p->{argv} = join(', ', map { '"' . ($_ // '') . '"' } @{$p->{a}});
  my $whole = (($props >> 4) & 3) == 2 || ($props & 3) == 1 || ($self > 0 && $ppid == $self);
  my $h = $held{$pid};
  if ($h && $mono >= $h->{mono}) {
    delete $held{$pid};
    tally($h, continues($h, $p));
  }
  if ($whole) { pass(@{$p->{l}}) }
  elsif (searchable($ret) && !($h && $mono < $h->{mono})) { $p->{g} = $gen; $held{$pid} = $p }
  else { tally($p, 0) }
}
sub record {
  my ($line) = @_;
  if ($line !~ /^\{"type": "printf", "data": "([EAX]) (.*)\\n"\}\n\z/s) { pass($line); return }
  my ($tag, $text) = ($1, $2);
  my ($k, $p, @f);
  if ($tag eq 'E') {
    @f = $text =~ /^(\d+) (\d+) (\d+) (\d+) (\d+) (\d+) (\d+) (\d+) (.*)\z/s or return pass($line);
    $k = "$f[0] $f[4]";
    $p = $exec{$k} //= { l => [], a => [], n => 0, g => $gen };
    $p->{e} = [@f];
    $p->{want} = $f[7] < $argsmax ? $f[7] : $argsmax;
  } elsif ($tag eq 'A') {
    @f = $text =~ /^(\d+) (\d+) (\d+) (.*)\z/s or return pass($line);
    $k = "$f[0] $f[1]";
    $p = $exec{$k} //= { l => [], a => [], n => 0, g => $gen };
    if (!defined $p->{a}[$f[2]]) { $p->{a}[$f[2]] = $f[3]; $p->{n}++ }
  } else {
    @f = $text =~ /^(\d+) (-?\d+) (\d+) (\d+) (\d+) (\d+) (\d+) (\d+) (\d+) (\d+) (.*)\z/s or return pass($line);
    $k = "$f[0] $f[2]";
    $p = $exec{$k} //= { l => [], a => [], n => 0, g => $gen };
    $p->{x} = [@f];
  }
  push @{$p->{l}}, $line;
  done($k) if $p->{e} && $p->{x} && $p->{n} >= $p->{want};
}
sub counts {
  for my $k (sort keys %cnt) {
    my $c = $cnt{$k};
    my ($cg2, $cg1, $comm) = split / /, $k, 3;
    my ($top) = sort { $c->{v}{$b} <=> $c->{v}{$a} || $a cmp $b } keys %{$c->{v}};
    my $errnos = join(', ', map { "\"$_\": $c->{e}{$_}" } sort { $a <=> $b } keys %{$c->{e}});
    $buf .= sprintf('{"type": "counts", "data": {"cg2": "%s", "cg1": "%s", "comm": "%s", "execs": %d, "failed": %d, "searches": %d, '
      . '"first": "%s", "last": "%s", "errnos": {%s}, "argv": [%s], "argvExecs": %d}}' . "\n",
      $cg2, $cg1, $comm, $c->{n}, $c->{f}, $c->{s}, $c->{lo} // 0, $c->{hi} // 0, $errnos, $top // '', defined $top ? $c->{v}{$top} : 0);
  }
  %cnt = ();
}
sub period {
  my ($all) = @_;
  $gen++;
  for my $k (sort { $exec{$a}{l}[0] cmp $exec{$b}{l}[0] } grep { $all || $exec{$_}{g} < $gen - 1 } keys %exec) { pass(@{delete($exec{$k})->{l}}) }
  for my $pid (grep { $all || $held{$_}{g} < $gen - 1 } keys %held) { tally(delete $held{$pid}, 0) }
  counts();
  $tick = time + $every;
}
sub take {
  my $o = 0;
  while ((my $i = index($inb, "\n", $o)) >= 0) { record(substr($inb, $o, $i - $o + 1)); $o = $i + 1 }
  $inb = substr($inb, $o);
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
