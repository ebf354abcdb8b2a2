/**
 * The node-side command that runs bpftrace: `sh -c` with bpf/tracer.sh, which mounts tracefs, writes
 * bpftrace's pid where stop() finds it, batches its output through bpf/batcher.pl before it leaves
 * the node, and exits with bpftrace's own code. Fixed scripts; argv is passed as "$@", never
 * interpolated. Why batch, and the dead-man switch: see the scripts' own comments.
 */
import { readFileSync } from 'node:fs';

// The batcher's settings ($max, $wait, $nap in bpf/batcher.pl; its test checks they agree).

/** A batch is written when it holds this many bytes… */
export const BATCH_BYTES = 65536;
/** …or this long after its first byte arrived, whichever comes first. */
export const BATCH_MS = 100;
/**
 * After each read the batcher waits this long before the next one, so that a read takes what
 * bpftrace wrote meanwhile rather than one record: at a storm's ~1 MB/s that is ~10 kB a read,
 * far below the pipe's 64 KiB, so bpftrace never waits on the pipe.
 */
export const BATCH_NAP_MS = 10;

/**
 * Counting mode (src/trace/node-counts.ts): the batcher writes its counts at most this many seconds
 * apart, and at least 1 s apart (perl's time() has whole seconds).
 */
export const COUNT_EVERY_S = 2;

/**
 * A node-side script as sent: full-line comments and blank lines left out (they would only lengthen
 * the exec's argv, and show in `ps` on the node). Read on first use, not at import: completion and
 * --help load this module too.
 */
function script(text: string): string {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.trimStart().startsWith('#'))
    .join('\n');
}

let scripts: { tracer: string; batcher: string; counter: string } | undefined;

/**
 * The tracer shell script (bpf/tracer.sh), the batcher (bpf/batcher.pl) and the batcher's counting
 * mode (bpf/counter.pl, sent on stdin: tracerStdin), as sent to the node.
 */
export function nodeScripts(): { tracer: string; batcher: string; counter: string } {
  // Literal readFileSync(new URL(…)) calls: .ci/release/bundle.ts inlines them into the release bundle.
  scripts ??= {
    tracer: script(readFileSync(new URL('../../bpf/tracer.sh', import.meta.url), 'utf8')),
    batcher: script(readFileSync(new URL('../../bpf/batcher.pl', import.meta.url), 'utf8')),
    counter: script(readFileSync(new URL('../../bpf/counter.pl', import.meta.url), 'utf8')),
  };
  return scripts;
}

export interface TracerCommand {
  /** bpftrace's argv (src/node/render.ts bpftraceCommand). */
  bpftrace: readonly string[];
  /** Batch the output on the node (the node has perl); false streams every record as written. */
  batch: boolean;
  /**
   * Count execs on the node instead of sending each (needs batch; bpf/batcher.pl's counting mode):
   * the program's ARGS_MAX, and the client's pid whose children are sent whole (--local; 0: none).
   */
  counts?: { argsMax: number; selfPid: number } | null;
}

export interface TracerFiles {
  /** Where bpftrace's pid goes: `BASE.N` for the Nth attachment (earlier ones are stopped first). */
  pid: string;
  /** The pod's lease file, touched on each heartbeat; null with --local (no pod). */
  lease: string | null;
}

/** The argv to run on the node; limitS: no heartbeat on stdin for this long stops bpftrace. */
export function tracerArgv(cmd: TracerCommand, files: TracerFiles, limitS: number): string[] {
  const { tracer, batcher } = nodeScripts();
  // The counting mode's settings go in the batcher's environment (the scripts' positional arguments
  // stay as they are), its code on stdin (tracerStdin).
  const counts = cmd.batch && cmd.counts ? ['env', `TRACE_EXEC_COUNTS=${COUNT_EVERY_S} ${cmd.counts.argsMax} ${cmd.counts.selfPid}`] : [];
  return [
    ...counts,
    'sh',
    '-c',
    tracer,
    'trace-exec',
    files.pid,
    files.lease ?? '',
    String(limitS),
    cmd.batch ? batcher : '',
    ...cmd.bpftrace,
  ];
}

/**
 * Stops the bpftrace whose pid is in the file $1, on the node: SIGINT, again every second while it
 * still runs (at most 5 times), and returns once it is gone or after 6 s. bpftrace 0.17 notices
 * SIGINT only when it comes while bpftrace waits for events: one that comes while it reads them is
 * lost and it traces on (newer versions check). Every second, not at once: a SIGINT during its
 * final read of the buffers cuts that read short. An exited bpftrace its parent has not reaped yet
 * (state Z) is gone.
 */
export const STOP_SCRIPT = [
  'p=$(cat "$1" 2>/dev/null); i=0',
  'running() {',
  '  [ -n "$p" ] && [ "$(cat "/proc/$p/comm" 2>/dev/null)" = bpftrace ] || return 1',
  '  v=; while read -r k v _; do [ "$k" = State: ] && break; done 2>/dev/null <"/proc/$p/status"',
  '  [ "$v" != Z ]',
  '}',
  'while [ $i -lt 30 ] && running; do',
  '  [ $((i % 5)) -eq 0 ] && [ $i -lt 25 ] && kill -INT "$p" 2>/dev/null',
  '  sleep 0.2; i=$((i + 1))',
  'done; true',
].join('\n');

/**
 * What the runner writes on the tracer command's stdin before the first heartbeat: in counting mode
 * the counter (bpf/counter.pl: its length in bytes, a newline, its text), which the batcher reads
 * first; else nothing. The counter travels there because argv goes in the exec request's URL, which
 * API servers and proxies limit to a few kilobytes.
 */
export function tracerStdin(cmd: TracerCommand): string {
  if (!cmd.batch || !cmd.counts) return '';
  const { counter } = nodeScripts();
  return `${Buffer.byteLength(counter)}\n${counter}`;
}
