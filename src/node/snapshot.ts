/**
 * --ancestry: the node's process table when tracing starts, read from the host's /proc (hostPID),
 * so that processes started before the trace still have a parent chain. Fixed script; the client
 * parses (comm may hold spaces and parentheses: only the last ')' in /proc/PID/stat ends it).
 */

export const SNAPSHOT_SCRIPT = [
  'for d in /proc/[0-9]*; do',
  '  s=$(cat "$d/stat" 2>/dev/null) || continue',
  '  printf "== %s\\n" "$s"',
  '  cat "$d/cgroup" 2>/dev/null',
  'done',
  'echo "== end"',
].join('\n');

export const SNAPSHOT_COMMAND: readonly string[] = ['sh', '-c', SNAPSHOT_SCRIPT];

export interface ProcessEntry {
  pid: number;
  ppid: number;
  comm: string;
  /** cgroup v2 path ('0::' line), or null. */
  cgroupV2: string | null;
  /** The path in the v1 hierarchy of `v1Controller`, or null. */
  cgroupV1: string | null;
}

export function parseSnapshot(text: string, v1Controller: string | null): ProcessEntry[] {
  const out: ProcessEntry[] = [];
  let cur: ProcessEntry | null = null;
  for (const line of text.split('\n')) {
    if (line.startsWith('== ')) {
      if (cur) out.push(cur);
      cur = null;
      const stat = line.slice(3);
      const open = stat.indexOf(' (');
      const close = stat.lastIndexOf(') ');
      if (open < 0 || close < open) continue;
      const pid = Number(stat.slice(0, open));
      const rest = stat.slice(close + 2).split(' ');
      const ppid = Number(rest[1]);
      if (!Number.isInteger(pid) || !Number.isInteger(ppid)) continue;
      cur = { pid, ppid, comm: stat.slice(open + 2, close), cgroupV2: null, cgroupV1: null };
      continue;
    }
    if (!cur) continue;
    const m = /^(\d+):([^:]*):(.*)$/.exec(line);
    if (!m) continue;
    if (m[1] === '0' && m[2] === '') cur.cgroupV2 = m[3]!;
    else if (v1Controller && m[2]!.split(',').includes(v1Controller)) cur.cgroupV1 = m[3]!;
  }
  if (cur) out.push(cur);
  return out;
}
