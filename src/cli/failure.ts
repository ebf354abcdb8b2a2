/**
 * The exit code and message of a command that threw: a UserError is one line (and its hint);
 * anything else is a bug, reported with versions, its stack only with -v.
 */
import type { Log } from '../log.js';
import { UserError } from '../errors.js';
import { UsageError } from './usage-error.js';
import { VERSION } from '../version.js';

/** A bad command line (UsageError): one line naming the flag, exit code 1; anything else is not ours to answer here. */
export function usageFailure(e: unknown, log: Log): number {
  if (!(e instanceof UsageError)) throw e;
  log.error(e.message);
  return 1;
}

export function reportFailure(e: unknown, log: Log, write: (t: string) => void, verbose: boolean): number {
  if (e instanceof UserError) {
    log.error(e.message);
    if (e.hint) write(`  hint: ${e.hint}\n`);
    return 1;
  }
  log.error(`unexpected: ${(e as Error)?.message ?? e}`);
  write(
    `  please report this at the project's issue tracker with: trace-exec ${VERSION}, node ${process.version}${verbose ? '' : ' (run again with -v for a stack trace)'}\n`,
  );
  if (verbose) write(`${(e as Error)?.stack}\n`);
  return 1;
}

/** The file name offered below a directory given to a --…-to flag. */
export function exampleFileName(flag: string, summaryFormat: string | null): string {
  if (flag === 'summary-to') return summaryFormat === 'markdown' ? 'summary.md' : 'summary.txt';
  if (flag === 'timeline-to') return 'timeline.json';
  return `${flag.replace(/-to$/, '')}.out`;
}
