/**
 * Terminal display width, so that columns line up and ARGS is cut to the terminal even with CJK
 * text, emoji and combining marks in it (String.length counts UTF-16 units, not columns). Cuts fall
 * between grapheme clusters, never inside a surrogate pair or before a combining mark.
 *
 * An approximation of wcwidth (East Asian Wide/Fullwidth = 2, emoji presentation = 2, marks and
 * format characters = 0); exact agreement with every terminal is not possible anyway.
 */

const segmenter = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/** Printable ASCII only: width is length. */
const ASCII_PRINTABLE = /^[\u0020-\u007e]*$/;
const ZERO_WIDTH_START = /^[\p{Mn}\p{Me}\p{Cf}\p{Cc}]/u;
const EMOJI_PRESENTATION = /\p{Emoji_Presentation}/u;
const PICTOGRAPHIC = /\p{Extended_Pictographic}/u;

/** East Asian Wide and Fullwidth ranges (abridged). */
const WIDE_RANGES: ReadonlyArray<readonly [number, number]> = [
  [0x1100, 0x115f],
  [0x2329, 0x232a],
  [0x2e80, 0x303e],
  [0x3041, 0x33ff],
  [0x3400, 0x4dbf],
  [0x4e00, 0x9fff],
  [0xa000, 0xa4cf],
  [0xa960, 0xa97f],
  [0xac00, 0xd7a3],
  [0xf900, 0xfaff],
  [0xfe10, 0xfe19],
  [0xfe30, 0xfe6f],
  [0xff00, 0xff60],
  [0xffe0, 0xffe6],
  [0x1b000, 0x1b2ff],
  [0x1f200, 0x1f251],
  [0x20000, 0x3fffd],
];

function isWide(cp: number): boolean {
  for (const [lo, hi] of WIDE_RANGES) {
    if (cp < lo) return false;
    if (cp <= hi) return true;
  }
  return false;
}

function clusterWidth(g: string): number {
  if (ZERO_WIDTH_START.test(g)) return 0;
  if (EMOJI_PRESENTATION.test(g) || (g.includes('\ufe0f') && PICTOGRAPHIC.test(g))) return 2;
  return isWide(g.codePointAt(0) ?? 0) ? 2 : 1;
}

/** Columns s takes on a terminal. */
export function displayWidth(s: string): number {
  if (ASCII_PRINTABLE.test(s)) return s.length;
  let w = 0;
  for (const { segment } of segmenter.segment(s)) w += clusterWidth(segment);
  return w;
}

/** s padded with spaces on the right to at least `width` columns; never shortened. */
export function padToWidth(s: string, width: number): string {
  const w = displayWidth(s);
  return w >= width ? s : s + ' '.repeat(width - w);
}

/**
 * s cut to at most `max` columns: unchanged when it fits, else the longest prefix of whole grapheme
 * clusters that leaves room for `ellipsis` (one column), followed by it. '' when max < 1.
 */
export function truncateToWidth(s: string, max: number, ellipsis = '…'): string {
  if (displayWidth(s) <= max) return s;
  const room = max - displayWidth(ellipsis);
  if (room < 0) return '';
  if (ASCII_PRINTABLE.test(s)) return s.slice(0, room) + ellipsis;
  let out = '';
  let w = 0;
  for (const { segment } of segmenter.segment(s)) {
    const cw = clusterWidth(segment);
    if (w + cw > room) break;
    out += segment;
    w += cw;
  }
  return out + ellipsis;
}

/**
 * s cut to at most `max` columns in the middle, keeping both ends (`api-7d9c…x2kqp`: the
 * workload's name and the pod's own suffix both stay): unchanged when it fits; '' when max < 1.
 */
export function truncateMiddle(s: string, max: number, ellipsis = '…'): string {
  if (displayWidth(s) <= max) return s;
  const room = max - displayWidth(ellipsis);
  if (room < 0) return '';
  const tailRoom = Math.floor(room / 2);
  const headRoom = room - tailRoom;
  if (ASCII_PRINTABLE.test(s)) return s.slice(0, headRoom) + ellipsis + (tailRoom > 0 ? s.slice(s.length - tailRoom) : '');
  const clusters = [...segmenter.segment(s)].map(({ segment }) => ({ segment, w: clusterWidth(segment) }));
  let head = '';
  let w = 0;
  for (const c of clusters) {
    if (w + c.w > headRoom) break;
    head += c.segment;
    w += c.w;
  }
  let tail = '';
  let tw = 0;
  for (let i = clusters.length - 1; i >= 0; i--) {
    const c = clusters[i]!;
    if (tw + c.w > tailRoom) break;
    tail = c.segment + tail;
    tw += c.w;
  }
  return head + ellipsis + tail;
}

/**
 * Text broken between words into lines of at most `width` columns (a word longer than that gets a
 * line of its own); unchanged when `width` is null.
 */
export function wrapToWidth(text: string, width: number | null): string {
  if (width === null || displayWidth(text) <= width) return text;
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line !== '' && displayWidth(line) + 1 + displayWidth(word) > width) {
      lines.push(line);
      line = word;
    } else line = line === '' ? word : `${line} ${word}`;
  }
  return [...lines, line].join('\n');
}
