/**
 * What `--version` reports. VERSION is kept equal to package.json "version" (src/version.test.ts
 * checks it). The git commit is embedded by the release build (.ci/release/build.ts defines
 * __TRACE_EXEC_COMMIT__); run from a checkout it is asked of git, otherwise it is "unknown".
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const VERSION = '0.1.0';

/** Replaced by a string literal in the release bundle; undeclared (typeof "undefined") elsewhere. */
declare const __TRACE_EXEC_COMMIT__: string | undefined;

let commit: string | undefined;

/** Short commit the running code was built from, or "unknown". */
export function gitCommit(): string {
  if (commit !== undefined) return commit;
  if (typeof __TRACE_EXEC_COMMIT__ === 'string') return (commit = __TRACE_EXEC_COMMIT__);
  commit = 'unknown';
  // Only this package's own checkout: an install inside someone else's repository must not report theirs.
  const root = fileURLToPath(new URL('..', import.meta.url));
  if (!existsSync(`${root}/.git`)) return commit;
  try {
    const out = execFileSync('git', ['-C', root, 'rev-parse', '--short', 'HEAD'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 2000,
    }).trim();
    if (/^[0-9a-f]{4,40}$/.test(out)) commit = out;
  } catch {
    // git missing, or not a repository after all
  }
  return commit;
}
