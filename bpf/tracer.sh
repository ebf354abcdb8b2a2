#!/bin/sh
# The node-side command that runs bpftrace (src/node/tracer-command.ts runs it as `sh -c`): tracefs
# mounted, bpftrace's pid written where stop() finds it, its output batched before it leaves the
# node (bpf/batcher.pl), and bpftrace's own exit code as the command's. argv is passed as "$@",
# never interpolated. Full-line comments are stripped before it is sent to the node (so no line
# of code may start with #; scripts.test.ts checks the sent form too).
#
# $1 this attachment's pid file (`BASE.N`, N counting attachments), $2 the pod's lease file ('' =
# none), $3 the lease limit in seconds, $4 the batcher's source ('' = none), then bpftrace's argv.
#
# Never two tracers of one run on a node: each attachment first writes `BASE.N.sh` (its intent),
# then looks at the others'. A newer one means this attachment was given up (its stream was lost
# while it started): it never starts bpftrace. An older one is waited for until it has started
# its bpftrace or given up (5 s at most), and that bpftrace is stopped, by its pid file. Writing
# before looking, on both sides, means at least one of two attachments sees the other.
#
# The exec's stdin (the heartbeat) moves to fd 5. With a batcher, bpftrace runs in the background
# of a pipeline so that its pid and exit code can be kept: the code travels back through fd 3
# while the batcher's output goes to the original stdout (fd 4). SIGINT is ignored by the shell
# and the batcher; bpftrace installs its own handler and stops cleanly on it. Without perl, a read
# loop on fd 5 renews the lease and stops bpftrace when the stream ends; a silent client is then
# left to the pod's own lease check (src/node/lease.ts).
pidf=$1; lease=$2; limit=$3; batcher=$4; shift 4
base=${pidf%.*}; me=${pidf##*.}
echo $$ > "$pidf.sh"
trap 'rm -f "$pidf.sh"' EXIT
[ -e /sys/kernel/tracing/events ] || mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null
[ -e /sys/kernel/debug/tracing ] || mount -t debugfs nodev /sys/kernel/debug 2>/dev/null
for f in "$base".*.sh; do
  k=${f%.sh}; k=${k##*.}
  case $k in "$me"|*[!0-9]*|"") continue;; esac
  [ "$k" -gt "$me" ] && exit 0
  i=0; while [ $i -lt 25 ] && [ -e "$f" ] && [ ! -s "$base.$k" ]; do sleep 0.2; i=$((i + 1)); done
  old=$(cat "$base.$k" 2>/dev/null)
  if [ -n "$old" ] && [ "$(cat "/proc/$old/comm" 2>/dev/null)" = bpftrace ]; then
    kill -INT "$old" 2>/dev/null; i=0
    while [ $i -lt 25 ] && kill -0 "$old" 2>/dev/null; do
      sleep 0.2; i=$((i + 1))
      # bpftrace 0.17 misses a SIGINT that comes while it reads events: again every second.
      [ $((i % 5)) -eq 0 ] && kill -INT "$old" 2>/dev/null
    done
    kill -KILL "$old" 2>/dev/null
  fi
  rm -f "$base.$k" "$f"
done
trap '' INT
exec 4>&1 5<&0 </dev/null
if [ -z "$batcher" ]; then
  "$@" 4>&- 5<&- & bp=$!; echo $bp > "$pidf"
  ( while IFS= read -r _; do [ -z "$lease" ] || touch "$lease"; done; kill -INT "$bp" ) <&5 >/dev/null 2>&1 & hb=$!
  exec 5<&-
  wait $bp; rc=$?; kill $hb 2>/dev/null; exit $rc
fi
rc=$( { { "$@" 3>&- 4>&- 5<&- & echo $! > "$pidf"; wait $!; echo $? >&3; } 5<&- | perl -e "$batcher" "$pidf" "$lease" "$limit" 3>&- >&4; } 3>&1 )
exit "${rc:-1}"
