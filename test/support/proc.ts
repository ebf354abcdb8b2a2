/** This machine's processes as /proc lists them: one reading, for tests and the benchmark. Linux only. */
import { readdirSync, readFileSync } from 'node:fs';

export interface ProcEntry {
  pid: number;
  comm: string;
  /** Field 3 of /proc/<pid>/stat: R, S, D, Z… */
  state: string;
  ppid: number;
  pgrp: number;
}

/** Parses one /proc/<pid>/stat line; comm may hold spaces and parentheses, so fields are counted from its last ')'. */
export function parseStat(stat: string): ProcEntry | null {
  const open = stat.indexOf(' (');
  const close = stat.lastIndexOf(')');
  if (open < 0 || close < open) return null;
  const rest = stat.slice(close + 2).split(' ');
  return {
    pid: Number(stat.slice(0, open)),
    comm: stat.slice(open + 2, close),
    state: rest[0] ?? '',
    ppid: Number(rest[1]),
    pgrp: Number(rest[2]),
  };
}

/** Every process now (zombies included: their state says so). Processes that end while it reads are left out. */
export function processes(): ProcEntry[] {
  const out: ProcEntry[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const p = parseStat(readFileSync(`/proc/${entry}/stat`, 'utf8'));
      if (p) out.push(p);
    } catch {
      /* gone meanwhile */
    }
  }
  return out;
}

/** Processes below root (children, grandchildren…), in one reading of /proc. */
export function descendants(root: number, table: ProcEntry[] = processes()): ProcEntry[] {
  const children = new Map<number, ProcEntry[]>();
  for (const p of table) children.set(p.ppid, [...(children.get(p.ppid) ?? []), p]);
  const out: ProcEntry[] = [];
  const walk = (pid: number, depth: number): void => {
    if (depth > 64) return;
    for (const c of children.get(pid) ?? []) {
      out.push(c);
      walk(c.pid, depth + 1);
    }
  };
  walk(root, 0);
  return out;
}
