import { describe, expect, it } from 'vitest';
import { escapeUnprintable, hasUnprintable, shellQuote } from './quote.js';

describe('shellQuote', () => {
  it.each([
    // left bare
    { name: 'plain word', arg: 'ls', out: 'ls' },
    { name: 'option with value', arg: '--namespace=kube-system', out: '--namespace=kube-system' },
    { name: 'path and punctuation', arg: '/usr/bin/x,y:z@h%+.', out: '/usr/bin/x,y:z@h%+.' },
    { name: 'non-ASCII letters', arg: 'héllo', out: 'héllo' },
    { name: 'CJK', arg: '日本語', out: '日本語' },
    { name: 'emoji', arg: '👍🏽', out: '👍🏽' },
    // single quotes
    { name: 'empty', arg: '', out: "''" },
    { name: 'space', arg: 'with space', out: "'with space'" },
    { name: 'only a space', arg: ' ', out: "' '" },
    { name: 'single quote', arg: "it's", out: "'it'\\''s'" },
    { name: 'double quotes', arg: 'say "hi"', out: `'say "hi"'` },
    { name: 'backslash', arg: 'a\\b', out: "'a\\b'" },
    { name: 'shell variable', arg: '$HOME', out: "'$HOME'" },
    { name: 'URL with query', arg: 'http://x/?a=1&b=2', out: "'http://x/?a=1&b=2'" },
    { name: 'glob', arg: '*.log', out: "'*.log'" },
    { name: 'no-break space', arg: 'a\u00a0b', out: "'a\u00a0b'" },
    // ANSI-C quotes for what must not reach the terminal raw
    { name: 'newline', arg: 'line1\nline2', out: "$'line1\\nline2'" },
    { name: 'tab and CR', arg: 'a\tb\r', out: "$'a\\tb\\r'" },
    { name: 'escape sequence', arg: '\x1b[31mred', out: "$'\\x1b[31mred'" },
    { name: 'quote and backslash with a control char', arg: "it's\\\n", out: "$'it\\'s\\\\\\n'" },
    { name: 'NUL-free C0 control', arg: '\x07', out: "$'\\x07'" },
    { name: 'DEL', arg: '\x7f', out: "$'\\x7f'" },
    { name: 'C1 CSI', arg: '\u009b2J', out: "$'\\x9b2J'" },
    { name: 'bidi override', arg: 'evil\u202etxt.exe', out: "$'evil\\u202etxt.exe'" },
    { name: 'line separator', arg: 'a\u2028b', out: "$'a\\u2028b'" },
  ])('$name', ({ arg, out }) => {
    expect(shellQuote(arg)).toBe(out);
  });
});

describe('escapeUnprintable', () => {
  it.each([
    { s: 'kube-system', out: 'kube-system' },
    { s: 'héllo 日本', out: 'héllo 日本' },
    { s: 'a\nb', out: 'a\\nb' },
    { s: '\x1b]0;title\x07', out: '\\x1b]0;title\\x07' },
    { s: 'x\u202ey', out: 'x\\u202ey' },
    { s: 'back\\slash', out: 'back\\slash' },
  ])('$s', ({ s, out }) => {
    expect(escapeUnprintable(s)).toBe(out);
    expect(hasUnprintable(escapeUnprintable(s))).toBe(false);
  });
});
