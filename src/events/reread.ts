/**
 * The second reading of a successful exec's strings. At entry the program reads the filename and
 * argv from the calling process's memory; a string in a page the process had not touched yet reads
 * as empty (a BPF read cannot fault a page in). The program then reads them again from the new
 * program (rereadFilename and rereadArg records, F and R), and what read as empty at entry is taken
 * from there.
 */
import type { TraceRecord } from './records.js';

type RereadRecord = Extract<TraceRecord, { kind: 'rereadFilename' | 'rereadArg' }>;

export class Reread {
  filename: string | null = null;
  /** The new program's argc; rereadArg records are expected for min(argc, argsMax) of them. */
  argc: number | null = null;
  readonly args: (string | undefined)[] = [];
  private seen = 0;

  constructor(private readonly argsMax: number) {}

  add(rec: RereadRecord): void {
    if (rec.kind === 'rereadFilename') {
      this.filename = rec.filename;
      this.argc = rec.argc;
    } else if (rec.index < this.argsMax && this.args[rec.index] === undefined) {
      this.args[rec.index] = rec.arg;
      this.seen++;
    }
  }

  /** Every record of the second reading came. */
  get complete(): boolean {
    return this.filename !== null && this.argc !== null && this.seen >= Math.min(this.argc, this.argsMax);
  }
}

/** What the program itself tests before it reads again: the filename or an argument read as empty at entry. */
export function readAsEmpty(filename: string, args: readonly (string | undefined)[]): boolean {
  return filename === '' || args.some((a) => a === '');
}

/**
 * The exec's filename and argv: as read at entry, with what read as empty there taken from the
 * second reading when there is one. argv of the new program is the exec's argv unless the kernel
 * put an interpreter in front (#! scripts): with the same count, each empty argument is filled from
 * it; with another count, it replaces argv only when every argument read as empty.
 */
export function execStrings(
  filename: string,
  args: readonly (string | undefined)[],
  again: Reread | null,
  argsMax: number,
): { filename: string; args: string[] } {
  const entry = Array.from(args, (a) => a ?? '');
  if (!again) return { filename, args: entry };
  const name = filename === '' && again.filename ? again.filename : filename;
  const count = again.argc !== null ? Math.min(again.argc, argsMax) : again.args.length;
  const reread = Array.from({ length: count }, (_, i) => again.args[i] ?? '');
  let out = entry;
  if (reread.length === entry.length) out = entry.map((a, i) => (a === '' ? reread[i]! : a));
  else if (entry.every((a) => a === '') && reread.length > 0) out = reread;
  return { filename: name, args: out };
}
