import { describe, expect, it } from 'vitest';
import { BATCH_CHARS, LineBatch } from './line-batch.js';

/** A batch whose scheduled flushes run when the test says (the end of a chunk). */
function harness(maxChars?: number) {
  const writes: string[] = [];
  const queued: (() => void)[] = [];
  const batch = new LineBatch({ write: (t) => writes.push(t), schedule: (fn) => queued.push(fn), maxChars });
  const endOfChunk = () => queued.splice(0).forEach((fn) => fn());
  return { batch, writes, endOfChunk, queued };
}

describe('LineBatch', () => {
  it('writes the lines of one chunk in one write, after the chunk', () => {
    const { batch, writes, endOfChunk, queued } = harness();
    batch.push('a');
    batch.push('');
    batch.push('grüße ✓');
    expect(writes).toEqual([]);
    expect(queued).toHaveLength(1); // one flush scheduled, not one per line
    endOfChunk();
    expect(writes).toEqual(['a\n\ngrüße ✓\n']);
  });

  it.each([
    ['nothing pushed', [], []],
    ['one line', [['x']], ['x\n']],
    ['two chunks', [['1', '2'], ['3']], ['1\n2\n', '3\n']],
  ])('%s: the same text as one write per line', (_n, chunks: string[][], expected: string[]) => {
    const { batch, writes, endOfChunk } = harness();
    for (const chunk of chunks) {
      for (const l of chunk) batch.push(l);
      endOfChunk();
    }
    expect(writes).toEqual(expected);
    expect(writes.join('')).toBe(
      chunks
        .flat()
        .map((l) => `${l}\n`)
        .join(''),
    );
  });

  it('by default writes before its text reaches V8 large-object size (128 KiB), within one chunk', () => {
    const { batch, writes, endOfChunk } = harness();
    const line = 'x'.repeat(899); // a JSON exec line's usual size
    for (let i = 0; i < 1000; i++) batch.push(line); // one big chunk: 900 kB
    expect(writes.length).toBeGreaterThan(1);
    for (const w of writes) expect(w.length).toBeLessThan(128 << 10);
    endOfChunk();
    expect(writes.join('')).toBe(`${line}\n`.repeat(1000));
    expect(BATCH_CHARS).toBeLessThanOrEqual(64 << 10);
  });

  it('writes at once when the pending text reaches maxChars, and keeps the order', () => {
    const { batch, writes, endOfChunk } = harness(10);
    for (const l of ['aaaa', 'bbbb', 'cccc', 'dd']) batch.push(l);
    expect(writes).toEqual(['aaaa\nbbbb\n']);
    endOfChunk();
    expect(writes).toEqual(['aaaa\nbbbb\n', 'cccc\ndd\n']);
  });

  it('flush() writes what is queued and is idempotent', () => {
    const { batch, writes, endOfChunk } = harness();
    batch.push('last');
    batch.flush();
    batch.flush();
    endOfChunk();
    expect(writes).toEqual(['last\n']);
  });
});
