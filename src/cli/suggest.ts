/** "did you mean --namespace?" for a mistyped flag, among the flags of the command it was given to. */
import type { FlagSpec } from './flags.js';

function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
  }
  return d[a.length]![b.length]!;
}

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
