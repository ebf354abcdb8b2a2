/** What /proc says about a process: CPU time, memory. Linux only, as the benchmark is. */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { descendants } from '../support/proc.js';

let clkTck: number | undefined;
/** Clock ticks per second (USER_HZ), the unit of utime/stime in /proc/<pid>/stat. */
export function ticksPerSecond(): number {
  if (clkTck === undefined) {
    try {
      clkTck = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clkTck = 100;
    }
  }
  return clkTck;
}

/** utime + stime of pid in microseconds, or null when the process is gone. */
export function cpuMicros(pid: number, file = `/proc/${pid}/stat`): number | null {
  let stat: string;
  try {
    stat = readFileSync(file, 'utf8');
  } catch {
    return null;
  }
  // comm (field 2) may hold spaces and parentheses: count fields after its closing parenthesis.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // rest[0] is field 3 (state): utime is field 14, stime field 15.
  const utime = Number(rest[11]);
  const stime = Number(rest[12]);
  return ((utime + stime) * 1e6) / ticksPerSecond();
}

/**
 * CPU µs of each thread of pid by thread name (/proc/<pid>/task/*: Node's main thread is "node",
 * V8's GC and compiler helpers "V8 DefaultWorke", libuv's pool "libuv-worker"…), summed per name;
 * empty when the process is gone. The process's CPU is their sum.
 */
export function threadCpuMicros(pid: number): Record<string, number> {
  const out: Record<string, number> = {};
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tids) {
    try {
      const name = readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim();
      const us = cpuMicros(Number(tid), `/proc/${pid}/task/${tid}/stat`);
      if (us !== null) out[name] = (out[name] ?? 0) + us;
    } catch {
      /* the thread ended */
    }
  }
  return out;
}

/** A field of /proc/<pid>/status in kB (VmHWM, VmRSS…), or null. */
export function statusKb(pid: number, field: string): number | null {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

export function comm(pid: number): string | null {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return null;
  }
}

/** Pids of running processes whose comm is name (other runs' bpftrace, for the record). */
export function pidsNamed(name: string): number[] {
  try {
    return execFileSync('pgrep', ['-x', name], { encoding: 'utf8' }).split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** Pids of running processes named `name` below `root` (children, grandchildren…). */
export function descendantsNamed(root: number, name: string): number[] {
  return descendants(root)
    .filter((p) => p.comm === name && p.state !== 'Z')
    .map((p) => p.pid);
}

/** Sum of run_time_ns / run_cnt over the BPF programs pid holds (needs kernel.bpf_stats_enabled=1). */
export function bpfProgStats(pid: number): {
  progs: number;
  runTimeNs: number;
  runCnt: number;
  byProg: { runTimeNs: number; runCnt: number }[];
} {
  const byProg: { runTimeNs: number; runCnt: number }[] = [];
  let fds: string[] = [];
  try {
    fds = readdirSync(`/proc/${pid}/fdinfo`);
  } catch {
    /* gone */
  }
  for (const fd of fds) {
    let info: string;
    try {
      info = readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8');
    } catch {
      continue;
    }
    if (!/^prog_type:/m.test(info)) continue;
    const t = /^run_time_ns:\s+(\d+)/m.exec(info);
    const c = /^run_cnt:\s+(\d+)/m.exec(info);
    if (t && c) byProg.push({ runTimeNs: Number(t[1]), runCnt: Number(c[1]) });
  }
  return {
    progs: byProg.length,
    runTimeNs: byProg.reduce((s, p) => s + p.runTimeNs, 0),
    runCnt: byProg.reduce((s, p) => s + p.runCnt, 0),
    byProg,
  };
}

/** Machine-wide CPU counters from /proc/stat (jiffies): busy includes steal, so a VM's neighbours count. */
export function machineCpu(): { busy: number; total: number } {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = f;
  const busy = user + nice + system + irq + softirq + steal;
  return { busy, total: busy + idle + iowait };
}
