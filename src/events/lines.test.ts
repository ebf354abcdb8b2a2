import { describe, expect, it } from 'vitest';
import { LineSplitter } from './lines.js';

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

/** Feeds every chunk, then ends the stream; returns every line in order. */
function split(chunks: (string | Uint8Array)[]): string[] {
  const s = new LineSplitter();
  return [...chunks.flatMap((c) => s.push(c)), ...s.end()];
}

describe('LineSplitter', () => {
  it.each<[string, (string | Uint8Array)[], string[]]>([
    ['one chunk, one line', ['abc\n'], ['abc']],
    ['several lines in one chunk', ['a\nb\nc\n'], ['a', 'b', 'c']],
    ['a chunk ending mid-line', ['ab', 'c\nd', 'e\n'], ['abc', 'de']],
    ['a line spread over many chunks', ['a', 'b', 'c', 'd', '\n'], ['abcd']],
    ['a chunk that is only the newline', ['abc', '\n', '\n'], ['abc', '']],
    ['empty lines are kept as empty strings', ['a\n\n\nb\n'], ['a', '', '', 'b']],
    ['\\r\\n line ends lose the \\r', ['a\r\nb\r\n'], ['a', 'b']],
    ['\\r\\n split between chunks', ['a\r', '\nb\r', '\n'], ['a', 'b']],
    ['a \\r inside a line is kept', ['a\rb\n'], ['a\rb']],
    ['a last line without newline is flushed by end()', ['a\nlast'], ['a', 'last']],
    ['a last line with \\r and no newline', ['last\r'], ['last']],
    ['byte chunks work like string chunks', [bytes('x\ny'), bytes('z\n')], ['x', 'yz']],
    ['nothing at all', [], []],
  ])('%s', (_name, chunks, lines) => {
    expect(split(chunks)).toEqual(lines);
  });

  it('push() returns only the lines the chunk finished', () => {
    const s = new LineSplitter();
    expect(s.push('a\nb')).toEqual(['a']);
    expect(s.push('c')).toEqual([]);
    expect(s.push('\n')).toEqual(['bc']);
    expect(s.end()).toEqual([]);
  });

  it('end() leaves the splitter empty and reusable', () => {
    const s = new LineSplitter();
    s.push('partial');
    expect(s.end()).toEqual(['partial']);
    expect(s.end()).toEqual([]);
    expect(s.push('next\n')).toEqual(['next']);
  });

  describe('a multi-byte UTF-8 character split between chunks', () => {
    const cases = ['grüße ✓', '日本語'].flatMap((text) => {
      const all = bytes(`${text}\n`);
      return Array.from({ length: all.length + 1 }, (_, at) => [text, at, all] as const);
    });

    it.each(cases)('%j split at byte %i decodes intact', (text, at, all) => {
      expect(split([all.subarray(0, at), all.subarray(at)])).toEqual([text]);
    });

    it.each(['grüße ✓', '日本語'])('%j fed one byte at a time decodes intact', (text) => {
      const all = bytes(`${text}\n${text}`);
      expect(split(Array.from(all, (b) => Uint8Array.of(b)))).toEqual([text, text]);
    });
  });

  it('a stream that ends inside a character flushes a replacement character', () => {
    const s = new LineSplitter();
    expect(s.push(bytes('ok\n日').subarray(0, 4))).toEqual(['ok']);
    expect(s.end()).toEqual(['\ufffd']);
  });
});
