#!/bin/sh
# @NAME@ (trace-exec @VERSION@) for macOS: runs trace-exec.cjs beside this file with the node on
# PATH, or $TRACE_EXEC_NODE. Needs Node.js >= 22.19 (Node.js 24 LTS recommended).
self=$0
while [ -L "$self" ]; do
  link=$(readlink "$self")
  case $link in /*) self=$link ;; *) self=$(dirname "$self")/$link ;; esac
done
dir=$(cd "$(dirname "$self")" && pwd)
found=none
for n in "${TRACE_EXEC_NODE:-}" "$(command -v node 2>/dev/null)"; do
  [ -n "$n" ] && [ -x "$n" ] || continue
  v=$("$n" --version 2>/dev/null) || continue
  found="$v at $n"
  if "$n" -e 'const [a,b]=process.versions.node.split(".").map(Number);process.exit(a>22||(a===22&&b>=19)?0:1)' 2>/dev/null; then
    TRACE_EXEC_INVOKED_AS=@NAME@ exec "$n" @NODE_FLAGS@ "$dir/trace-exec.cjs" "$@"
  fi
done
{
  echo "trace-exec: needs Node.js 22.19 or newer (found: $found)."
  echo "  Install Node.js 24 LTS, e.g. 'brew install node@24' and put it on PATH (brew prints how),"
  echo "  or from https://nodejs.org; or point TRACE_EXEC_NODE at a node binary."
} >&2
exit 127
