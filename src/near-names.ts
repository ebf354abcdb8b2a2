/**
 * Names near a mistyped one, for "did you mean …?": flags, subcommands, namespaces. Pure.
 */

/** Levenshtein distance: insertions, deletions and substitutions of one character each. */
export function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
  }
  return d[a.length]![b.length]!;
}

/**
 * The names of `names` near `word`, nearest first (ties in the order given), at most `limit`: within
 * a third of its length in edits (at least 2: a swapped pair of letters), or starting with it (an
 * unfinished word of 3 characters or more).
 */
export function nearNames(word: string, names: readonly string[], limit = 3): string[] {
  const most = Math.max(2, Math.floor(word.length / 3));
  return names
    .filter((n) => n !== word)
    .map((name, i) => ({ name, i, d: name.startsWith(word) && word.length >= 3 ? 1 : editDistance(word, name) }))
    .filter((x) => x.d <= most)
    .sort((x, y) => x.d - y.d || x.i - y.i)
    .slice(0, limit)
    .map((x) => x.name);
}
