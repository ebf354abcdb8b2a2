/** The exit code of a run or report compared with a baseline: --fail-on (src/report/diff.ts). */
import type { Log } from '../log.js';
import { EXIT_FINDINGS, type DiffResult } from '../report/diff.js';

/** 3 when --fail-on names a kind of finding the comparison found (said on stderr), else 0. */
export function exitForFindings(diff: DiffResult | null, log: Log): number {
  if (!diff || diff.failing.length === 0) return 0;
  log.error(`--fail-on: found ${diff.failing.join(', ')} against the baseline; exiting with ${EXIT_FINDINGS}`);
  return EXIT_FINDINGS;
}
