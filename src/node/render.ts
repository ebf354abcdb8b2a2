/**
 * Renders bpf/trace-exec.bt.tmpl for one node from its probed facts. The result also says how the
 * records must be read (string size, argument bound), so parser and program cannot drift apart.
 */
import { readFileSync } from 'node:fs';
import { expand, type TemplateScope } from './template.js';
import { chooseV1Controller, versionAtLeast, type NodeFacts, type Version } from './probe.js';

/** How many argv entries are carried; more are flagged argsTruncated. */
export const ARGS_MAX = 32;
/** How many cgroup path components (leaf first) are carried; kubelet paths need at most 6. */
export const LEVELS = 8;
/**
 * How many steps a path walk (cwd, exe) takes: one per component, one per mount crossed. A deeper
 * path is cut (its start is missing) and flagged.
 */
export const PATH_STEPS = 24;
/** How many ancestors the walk to an exec's topmost ancestor in its cgroup climbs before it gives up. */
export const TREE_MAX = 16;
/** Pages of perf ring buffer per CPU (bpftrace's default is 64). */
export const PERF_RB_PAGES = 1024;
/**
 * Keys per map with --exits (bpftrace's default is 4096, and a full map silently drops new keys):
 * @execd holds one per running process exec'd while tracing, so this many such processes can be
 * running at once before later ones' exits go unreported. Every map of the program gets the bound,
 * and bpftrace 0.17 preallocates its hash maps: ~80 bytes a key, 5 MiB a map, ~25 MiB of kernel
 * memory for the program's five maps (measured on 6.18, /proc/PID/fdinfo memlock), only with --exits;
 * @paths (the exec context's path ids) adds one more map, ~5 MiB by that measure.
 */
export const EXEC_KEYS = 65536;
/** Seconds between keepalive records on a quiet node. */
export const KEEPALIVE_S = 20;
/**
 * The period of the two probes whose first firings say every probe is attached (the S record): at
 * most this long after attaching, "tracing" is said; after that each costs a map lookup per period.
 */
export const READY_MS = 20;

export interface RenderedProgram {
  program: string;
  /** Environment bpftrace must run with (passed on its command line: an exec gets the pod's env). */
  env: Record<string, string>;
  /** The size of every string buffer: a string that fills strlen - 1 bytes may have been cut. */
  strlen: number;
  argsMax: number;
  levels: number;
  v1Controller: string | null;
  v2: boolean;
  /** Whether X records say where the executable sits (overlayfs upper/lower layer); else always 0. */
  upperLayer: boolean;
  bpftrace: Version;
}

let templateText: string | undefined;
function template(): string {
  templateText ??= readFileSync(new URL('../../bpf/trace-exec.bt.tmpl', import.meta.url), 'utf8');
  return templateText;
}

/**
 * The id of a path (cwd, exe) in D and X records: a hash of its dentry, its mount, the process's
 * root (the same directory has another path from another root or mount) and the name's hash (salted
 * with the parent dentry, so a freed dentry reused for another name gets another id). The program
 * computes it where it walks a path and again in X, from the same reads.
 */
export function pathId(path: string): string {
  return (
    `(uint64)${path}.dentry * (uint64)0x1e3779b97f4a7c15 + (uint64)${path}.mnt * (uint64)0x3f58476d1ce4e5b9 + ` +
    `(uint64)curtask->fs->root.dentry * (uint64)0x14d049bb133111eb + (uint64)curtask->fs->root.mnt + (uint64)${path}.dentry->d_name.hash`
  );
}

export class RenderError extends Error {}

export interface RenderOptions {
  /** Also trace forks and exits, for each exec's parent chain (--ancestry). */
  ancestry?: boolean;
  /** Also report how each process exec'd while tracing ended (--exits). */
  exits?: boolean;
}

export function renderProgram(facts: NodeFacts, options: RenderOptions = {}, tmpl: string = template()): RenderedProgram {
  const bt = facts.bpftrace;
  if (!bt) throw new RenderError('bpftrace is not installed on the node (or in the debug image): use an --image that has bpftrace');
  // Loops (`while`) came in 0.13: without them every string needs a program of its own, and the
  // kernel's limit of 64 programs per tracepoint, shared by every tool on the node, is soon reached.
  if (!versionAtLeast(bt, 0, 13)) {
    throw new RenderError(
      `bpftrace ${bt.join('.')} is too old: trace-exec needs bpftrace 0.13 or newer (RHEL 8 ships 0.12); use an --image with a newer bpftrace`,
    );
  }
  const v1 = chooseV1Controller(facts);
  const v2 = facts.v2Mount !== null;
  if (!v1 && !v2) throw new RenderError('the node has no cgroup hierarchy mounted that trace-exec can read');

  // Linux 6.15 renamed kernfs_node.parent to __parent; 5.5 turned kernfs_node.id from a union into a u64;
  // 4.19 gave task_struct its thread_pid (before: pids[PIDTYPE_PID].pid).
  const parent = versionAtLeast(facts.kernel, 6, 15) ? '__parent' : 'parent';
  const knId = versionAtLeast(facts.kernel, 5, 5) ? 'id' : 'id.id';
  // bpftrace 0.21 made tracepoint args a record (args.x); older versions only know args->x.
  const args = versionAtLeast(bt, 0, 21) ? 'args.' : 'args->';
  // String size: at most 200 up to 0.20 (renamed BPFTRACE_MAX_STRLEN in 0.20), 1024 is 0.23's default.
  const strlen = versionAtLeast(bt, 0, 23) ? 1024 : 200;
  const env: Record<string, string> = {
    [versionAtLeast(bt, 0, 20) ? 'BPFTRACE_MAX_STRLEN' : 'BPFTRACE_STRLEN']: String(strlen),
    // 4 MiB of perf buffer per CPU instead of 256 KiB: an exec storm's records wait there while
    // bpftrace formats them; too small a buffer is where events get lost.
    BPFTRACE_PERF_RB_PAGES: String(PERF_RB_PAGES),
  };
  const exits = options.exits ?? false;
  // 0.20.0 renamed it (bpftrace a685088b6, "Standardize config and env var names"; the old name is
  // still read there, with a deprecation warning on stderr, so each version gets its own name).
  if (exits) env[versionAtLeast(bt, 0, 20) ? 'BPFTRACE_MAX_MAP_KEYS' : 'BPFTRACE_MAP_KEYS_MAX'] = String(EXEC_KEYS);

  // Drift (X's upper field): struct ovl_inode, whose __upperdentry directly follows its vfs_inode,
  // came in Linux 4.13; before it there is no such layout to read.
  const upper = versionAtLeast(facts.kernel, 4, 13);

  const probeList = (dir: 'enter' | 'exit'): string => `tracepoint:syscalls:sys_${dir}_execve,\ntracepoint:syscalls:sys_${dir}_execveat`;
  const scope: TemplateScope = {
    INCLUDES: facts.btf
      ? ''
      : '#include <linux/sched.h>\n#include <linux/sched/signal.h>\n#include <linux/mm_types.h>\n#include <linux/fs.h>\n' +
        '#include <linux/fs_struct.h>\n#include <linux/mount.h>\n#include <linux/dcache.h>\n#include <linux/pid.h>\n' +
        '#include <linux/pid_namespace.h>\n#include <linux/tty.h>\n#include <linux/tty_driver.h>\n#include <linux/cgroup-defs.h>\n#include <linux/kernfs.h>\n',
    ENTER: probeList('enter'),
    EXIT: probeList('exit'),
    KN_ID: knId,
    V1: v1 !== null,
    V1_SUBSYS: v1?.index ?? 0,
    V2: v2,
    ARGS_MAX,
    KEEPALIVE_S,
    READY_MS,
    ANCESTRY: options.ancestry ?? false,
    EXITS: exits,
    PROCESS_EXIT: (options.ancestry ?? false) || exits,
    ARGS: args,
    ARGS_ARGV: `${args}argv`,
    ARGS_FILENAME: `${args}filename`,
    ARGS_RET: `${args}ret`,
    LEVELS,
    PATH_STEPS,
    THREAD_PID: versionAtLeast(facts.kernel, 4, 19) ? 'thread_pid' : 'pids[0].pid',
    CWD_ID: pathId('curtask->fs->pwd'),
    EXE_ID: pathId('curtask->mm->exe_file->f_path'),
    TREE_MAX,
    KN_PARENT: parent,
    UPPER: upper,
    UPPER_WHY: upper ? '' : `Linux ${facts.kernel.join('.')} is older than 4.13, which has no struct ovl_inode to read`,
  };
  return {
    program: expand(tmpl, scope),
    env,
    strlen,
    argsMax: ARGS_MAX,
    levels: LEVELS,
    v1Controller: v1?.name ?? null,
    v2,
    upperLayer: upper,
    bpftrace: bt,
  };
}

/**
 * The argv that runs the rendered program (no shell): `env K=V… bpftrace -f json FILE` when the
 * program was staged in a file on the node, else `… -e PROGRAM`.
 */
export function bpftraceCommand(r: RenderedProgram, programFile: string | null = null, bpftrace = 'bpftrace'): string[] {
  const env = ['env', ...Object.entries(r.env).map(([k, v]) => `${k}=${v}`)];
  return programFile ? [...env, bpftrace, '-f', 'json', programFile] : [...env, bpftrace, '-f', 'json', '-e', r.program];
}
