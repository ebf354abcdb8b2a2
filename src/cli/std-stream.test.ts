import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { Writable } from 'node:stream';
import { goneReason, stdStream } from './std-stream.js';

const errno = (code: string, message = code): NodeJS.ErrnoException => Object.assign(new Error(message), { code });

describe('goneReason', () => {
  it.each<[string, NodeJS.ErrnoException, string]>([
    ['a closed pipe', errno('EPIPE', 'write EPIPE'), 'stderr closed'],
    ['a terminal that went away', errno('EIO', 'write EIO'), 'stderr closed'],
    ['anything else', errno('ENOSPC', 'no space left on device'), 'stderr failed: no space left on device'],
  ])('%s', (_what, e, reason) => {
    expect(goneReason('stderr', e)).toBe(reason);
  });
});

describe('stdStream', () => {
  it('writes through while the reader is there', () => {
    const got: string[] = [];
    const s = stdStream(
      new Writable({
        write: (c, _e, cb) => {
          got.push(String(c));
          cb();
        },
      }),
      'stdout',
      () => {},
    );
    s.write('a\n');
    s.write('b\n');
    expect(got).toEqual(['a\n', 'b\n']);
    expect(s.open).toBe(true);
  });

  it('a failing write: reported once, later writes dropped, nothing thrown', async () => {
    let writes = 0;
    const reasons: string[] = [];
    const w = new Writable({
      write: (_c, _e, cb) => {
        writes++;
        cb(errno('EPIPE', 'write EPIPE'));
      },
    });
    const s = stdStream(w, 'stderr', (r) => reasons.push(r));
    s.write('one\n');
    await new Promise((r) => setImmediate(r));
    s.write('two\n');
    s.write('three\n');
    await new Promise((r) => setImmediate(r));
    expect(reasons).toEqual(['stderr closed']);
    expect(s.open).toBe(false);
    expect(writes).toBe(1);
  });

  it('a write that throws at once counts as gone, too', () => {
    const reasons: string[] = [];
    const s = stdStream(
      {
        write: () => {
          throw errno('EPIPE');
        },
        on: () => {},
      },
      'stdout',
      (r) => reasons.push(r),
    );
    expect(() => s.write('x\n')).not.toThrow();
    expect(reasons).toEqual(['stdout closed']);
  });

  it('a real pipe whose reader exits (as `2>&1 | head -1`): one "closed", and the process does not die of it', async () => {
    // A Node process writes to its stderr, a pipe to `head -1`, through stdStream; fd 3 carries the verdict.
    const script = `
      const { stdStream } = await import(${JSON.stringify(new URL('./std-stream.ts', import.meta.url).href)});
      const { writeSync } = await import('node:fs');
      const reasons = [];
      const s = stdStream(process.stderr, 'stderr', (r) => reasons.push(r));
      s.write('first\\n');
      await new Promise((r) => setTimeout(r, 300));
      for (let i = 0; i < 100; i++) s.write('more ' + i + '\\n');
      await new Promise((r) => setTimeout(r, 100));
      writeSync(3, JSON.stringify(reasons));
    `;
    const child = spawn(
      'sh',
      ['-c', `{ "${process.execPath}" --input-type=module -e "$1" 2>&1; echo " exit=$?" >&3; } | head -1 >/dev/null`, 'sh', script],
      {
        stdio: ['ignore', 'ignore', 'inherit', 'pipe'],
      },
    );
    let out = '';
    child.stdio[3]!.on('data', (c: Buffer) => (out += c.toString()));
    await new Promise((r) => child.on('close', r));
    expect(out).toBe('["stderr closed"] exit=0\n');
  });
});
