/**
 * The V8 flags trace-exec runs with, kept in one place: the NODE_FLAGS line of bin/trace-exec (the
 * launcher of a checkout or an npm install). The standalone executables carry the same flags as
 * their SEA config's execArgv (sea.ts), the macOS launchers for a user's node put them on its
 * command line (launch-node.sh), and the benchmark's memory phase starts its processes with them.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export function launcherNodeFlags(root: string): string[] {
  const launcher = join(root, 'bin/trace-exec');
  const m = /^NODE_FLAGS='([^']*)'$/m.exec(readFileSync(launcher, 'utf8'));
  if (!m) throw new Error(`${launcher} has no NODE_FLAGS='…' line: put the V8 flags there (one line, single-quoted, space-separated)`);
  const flags = m[1]!.split(' ').filter((f) => f !== '');
  const bad = flags.find((f) => !/^--[a-z0-9-]+(=[^\s'"]*)?$/.test(f));
  if (bad !== undefined) throw new Error(`${launcher}: NODE_FLAGS holds ${JSON.stringify(bad)}, not a --flag or --flag=value`);
  return flags;
}
