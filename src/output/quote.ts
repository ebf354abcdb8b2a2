/**
 * Making untrusted text (argv, comm, names) safe and unambiguous on a terminal line. Everything a
 * traced process controls passes through here before it reaches a table cell: control characters
 * could otherwise break the line, move the cursor, recolour the terminal or (bidi controls) make
 * the shown command read differently from the one that ran.
 */

/**
 * Characters never printed raw: C0 controls, DEL, C1 controls, the Unicode line/paragraph
 * separators and the bidirectional formatting controls (LRM, RLM, ALM, LRE..RLO, LRI..PDI).
 */
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/u;
const UNPRINTABLE_G = new RegExp(UNPRINTABLE.source, 'gu');

/** Characters that make a word need quoting: whitespace, quotes, backslash and shell metacharacters. */
const NEEDS_QUOTES = /[\s'"\\`$;&|<>()*?[\]{}!#~^]/u;

function escapeChar(c: string): string {
  switch (c) {
    case '\n':
      return '\\n';
    case '\t':
      return '\\t';
    case '\r':
      return '\\r';
    default: {
      const cp = c.codePointAt(0) ?? 0;
      return cp < 0x100 ? `\\x${cp.toString(16).padStart(2, '0')}` : `\\u${cp.toString(16).padStart(4, '0')}`;
    }
  }
}

/** true when s holds a character that must not reach the terminal raw. */
export function hasUnprintable(s: string): boolean {
  return UNPRINTABLE.test(s);
}

/**
 * For plain cells (comm, names, units): replaces unprintable characters with C-style escapes
 * (`\n`, `\t`, `\r`, `\x1b`, `\u202e`); everything else, non-ASCII included, is kept.
 */
export function escapeUnprintable(s: string): string {
  return hasUnprintable(s) ? s.replace(UNPRINTABLE_G, escapeChar) : s;
}

/**
 * One argv element as a shell word, so that the joined argv splits back into the same arguments:
 * - left bare when it is non-empty and holds nothing special (non-ASCII letters are not special);
 * - single-quoted (`'with space'`, `''`, `'it'\''s'`) when empty or holding whitespace, quotes,
 *   a backslash or a shell metacharacter;
 * - ANSI-C quoted (`$'line1\nline2'`, `$'\x1b[31m'`) when it holds an unprintable character, which
 *   single quotes would pass to the terminal raw.
 */
export function shellQuote(arg: string): string {
  if (hasUnprintable(arg)) {
    const body = arg.replace(/[\\']/g, (c) => `\\${c}`).replace(UNPRINTABLE_G, escapeChar);
    return `$'${body}'`;
  }
  if (arg === '' || NEEDS_QUOTES.test(arg)) return `'${arg.replaceAll("'", `'\\''`)}'`;
  return arg;
}
