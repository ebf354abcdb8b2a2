#!/usr/bin/perl
# The counter (bpf/batcher.pl runs it in counting mode: -o summary, src/trace/node-counts.ts decides
# it; the client sends it on the exec's stdin): the batcher stops passing on every exec and counts
# them instead. It joins each exec's E, A and X records by their key (tid, enter time)
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
$self = 0 unless defined $self && $self =~ /^\d+$/;
my ($keys, $argvs, $gen) = (10000, 16, 0);
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
