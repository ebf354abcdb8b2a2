/** "did you mean --namespace?" for a mistyped flag, among the flags of the command it was given to. */
import type { FlagSpec } from './flags.js';
import { editDistance as distance } from '../near-names.js';

/** The long flag of `specs` nearest to `flag` (dashes ignored), or null when none is near. */
export function closestFlag(flag: string, specs: readonly FlagSpec[]): string | null {
  const f = flag.replace(/^-+/, '');
  let best: string | null = null;
  let bestD = Infinity;
  for (const { name } of specs) {
    // A prefix of a flag (`--dry-ru`, `--names`) is what an unfinished word looks like.
    const dd = name.startsWith(f) && f.length >= 3 ? 1 : distance(f, name);
    if (dd < bestD) {
      bestD = dd;
      best = name;
    }
  }
  return best !== null && bestD <= Math.max(2, Math.floor(f.length / 3)) ? best : null;
}

/** The subcommands, for `did you mean report?` when the first word is none of them nor a target. */
export const SUBCOMMAND_NAMES = ['cleanup', 'completion', 'report'] as const;

/** The subcommand nearest to `word` (a first word with no kind/ and no dash), or null when none is near. */
export function closestSubcommand(word: string): string | null {
  if (word.startsWith('-') || word.includes('/')) return null;
  let best: string | null = null;
  let bestD = Infinity;
  for (const name of SUBCOMMAND_NAMES) {
    const d = name.startsWith(word) && word.length >= 3 ? 1 : distance(word.toLowerCase(), name);
    if (d < bestD) {
      bestD = d;
      best = name;
    }
  }
  return best !== null && bestD <= 2 ? best : null;
}
