/**
 * The count record: what the batcher writes in counting mode (bpf/batcher.pl, -o summary) instead of
 * each exec's records, one per cgroup and command every few seconds and at the end.
 * KEEP IN SYNC with bpf/batcher.pl (its comment has the format); scripts.test.ts runs the batcher
 * and parses what it writes with this.
 */
import { parseJson } from './records.js';

export interface CountRecord {
  kind: 'count';
  /** cgroup ids as the exec records carry them ('0': that hierarchy was not read). */
  cg2: string;
  cg1: string;
  comm: string;
  execs: number;
  failed: number;
  searches: number;
  /** The first and last counted exec's enter time (kernel monotonic clock); 0 when none was counted. */
  firstNs: bigint;
  lastNs: bigint;
  /** errno (positive) → failed execs. */
  errnos: Map<number, number>;
  /** The commonest argv and how many execs ran it. */
  argv: string[];
  argvExecs: number;
}

/** How every count record starts (the batcher writes it so); bpftrace's own records never do. */
export const COUNT_HEAD = '{"type": "counts", ';

const UINT = /^\d+$/;
const count = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/** A count record line → its record; a string naming what is wrong when it is not one. */
export function parseCount(line: string): CountRecord | string {
  let obj: unknown;
  try {
    obj = parseJson(line);
  } catch {
    return 'not JSON';
  }
  const d = (obj as { type?: unknown; data?: unknown } | null)?.data as Record<string, unknown> | undefined;
  if ((obj as { type?: unknown }).type !== 'counts' || typeof d !== 'object' || d === null) return 'not a count record';
  const { cg2, cg1, comm, execs, failed, searches, first, last, errnos, argv, argvExecs } = d;
  if (typeof cg2 !== 'string' || typeof cg1 !== 'string' || !UINT.test(cg2) || !UINT.test(cg1)) return 'bad cgroup ids';
  if (typeof comm !== 'string') return 'no comm';
  if (!count(execs) || !count(failed) || !count(searches) || !count(argvExecs) || failed > execs) return 'bad counts';
  if (typeof first !== 'string' || typeof last !== 'string' || !UINT.test(first) || !UINT.test(last)) return 'bad times';
  if (!Array.isArray(argv) || !argv.every((a) => typeof a === 'string')) return 'bad argv';
  if (typeof errnos !== 'object' || errnos === null || Array.isArray(errnos)) return 'bad errnos';
  const byErrno = new Map<number, number>();
  for (const [k, v] of Object.entries(errnos)) {
    if (!UINT.test(k) || !count(v)) return 'bad errnos';
    byErrno.set(Number(k), v);
  }
  return {
    kind: 'count',
    cg2,
    cg1,
    comm,
    execs,
    failed,
    searches,
    firstNs: BigInt(first),
    lastNs: BigInt(last),
    errnos: byErrno,
    argv: argv as string[],
    argvExecs,
  };
}
