import { describe, expect, it } from 'vitest';
import { displayWidth, padToWidth, truncateMiddle, truncateToWidth, wrapToWidth } from './width.js';

describe('displayWidth', () => {
  it.each([
    { s: '', w: 0 },
    { s: 'abc', w: 3 },
    { s: 'héllo', w: 5 },
    { s: 'e\u0301', w: 1 }, // e + combining acute
    { s: '日本', w: 4 },
    { s: '한국', w: 4 },
    { s: 'ＡＢ', w: 4 }, // fullwidth Latin
    { s: 'ｱｲ', w: 2 }, // halfwidth katakana
    { s: '👍', w: 2 },
    { s: '👍🏽', w: 2 }, // with skin tone modifier
    { s: '🇯🇵', w: 2 }, // flag: two regional indicators
    { s: '❤️', w: 2 }, // text-default pictograph + VS16
    { s: '👩‍💻', w: 2 }, // ZWJ sequence
    { s: '…', w: 1 },
    { s: 'a日b', w: 4 },
  ])('$s → $w', ({ s, w }) => {
    expect(displayWidth(s)).toBe(w);
  });
});

describe('padToWidth', () => {
  it.each([
    { s: 'ab', width: 4, out: 'ab  ' },
    { s: '日', width: 4, out: '日  ' },
    { s: 'abc', width: 3, out: 'abc' },
    { s: 'abcdef', width: 3, out: 'abcdef' }, // never shortened
  ])('$s to $width', ({ s, width, out }) => {
    expect(padToWidth(s, width)).toBe(out);
  });
});

describe('truncateToWidth', () => {
  it.each([
    { s: 'abcdef', max: 6, out: 'abcdef' },
    { s: 'abcdef', max: 100, out: 'abcdef' },
    { s: 'abcdef', max: 5, out: 'abcd…' },
    { s: 'abcdef', max: 1, out: '…' },
    { s: 'abcdef', max: 0, out: '' },
    { s: 'abcdef', max: -3, out: '' },
    { s: '日本語', max: 6, out: '日本語' },
    { s: '日本語', max: 5, out: '日本…' },
    { s: '日本語', max: 4, out: '日…' }, // 本 would need 2 columns, only 1 left before the ellipsis
    { s: 'e\u0301e\u0301e\u0301', max: 2, out: 'e\u0301…' }, // the mark stays with its letter
    { s: '👍🏽👍🏽', max: 3, out: '👍🏽…' }, // no half surrogate pair, no orphaned modifier
    { s: 'ab🇯🇵🇯🇵', max: 5, out: 'ab🇯🇵…' },
  ])('$s in $max', ({ s, max, out }) => {
    const got = truncateToWidth(s, max);
    expect(got).toBe(out);
    expect(displayWidth(got)).toBeLessThanOrEqual(Math.max(max, 0));
  });
});

describe('truncateMiddle', () => {
  it.each([
    { s: 'api-7d9c6b5f4-x2kqp', max: 30, out: 'api-7d9c6b5f4-x2kqp' },
    { s: 'api-7d9c6b5f4-x2kqp', max: 19, out: 'api-7d9c6b5f4-x2kqp' },
    { s: 'api-7d9c6b5f4-x2kqp', max: 12, out: 'api-7d…x2kqp' },
    { s: 'api-7d9c6b5f4-x2kqp', max: 13, out: 'api-7d…-x2kqp' },
    { s: 'abc', max: 1, out: '…' },
    { s: 'abc', max: 0, out: '' },
    { s: 'abcd', max: 2, out: 'a…' },
    { s: '日本語のポッド名', max: 9, out: '日本…ド名' },
    { s: '日本語のポッド名', max: 8, out: '日本…名' }, // 7 columns: 4 + 1 + 2 (a wide character does not fit in 3)
  ])('$s in $max → $out', ({ s, max, out }) => {
    const r = truncateMiddle(s, max);
    expect(r).toBe(out);
    expect(displayWidth(r)).toBeLessThanOrEqual(Math.max(max, 0));
  });
});

describe('wrapToWidth', () => {
  it.each<{ text: string; width: number | null; out: string }>([
    { text: 'Drift: execs of files written', width: null, out: 'Drift: execs of files written' },
    { text: 'Drift: execs of files written', width: 29, out: 'Drift: execs of files written' },
    { text: 'Drift: execs of files written', width: 28, out: 'Drift: execs of files\nwritten' },
    { text: 'Drift: execs of files written', width: 12, out: 'Drift: execs\nof files\nwritten' },
    { text: 'a-word-longer-than-the-width b', width: 10, out: 'a-word-longer-than-the-width\nb' },
    { text: '日本語 の ポッド', width: 9, out: '日本語 の\nポッド' },
  ])('$text at $width', ({ text, width, out }) => {
    expect(wrapToWidth(text, width)).toBe(out);
  });
});
