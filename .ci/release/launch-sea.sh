#!/bin/sh
# @NAME@ (trace-exec @VERSION@): runs the standalone kubectl-trace_exec beside this file as "@NAME@".
# A script rather than a second copy of the executable: krew unpacks regular files only, and
# kubectl/oc tell plugins apart by file name.
self=$0
while [ -L "$self" ]; do
  link=$(readlink "$self")
  case $link in /*) self=$link ;; *) self=$(dirname "$self")/$link ;; esac
done
dir=$(cd "$(dirname "$self")" && pwd)
TRACE_EXEC_INVOKED_AS=@NAME@ exec "$dir/kubectl-trace_exec" "$@"
