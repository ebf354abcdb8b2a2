import { describe, expect, it } from 'vitest';
import { ttyName } from './tty.js';

describe('ttyName', () => {
  it.each([
    ['no terminal', 0, null],
    ['pts/0 (script, ssh)', 136 * 2 ** 20, 'pts/0'],
    ['pts/3', 136 * 2 ** 20 + 3, 'pts/3'],
    ['pts/300: devpts minors go past 255 on major 136', 136 * 2 ** 20 + 300, 'pts/300'],
    ['a virtual console', 4 * 2 ** 20 + 1, 'tty1'],
    ['a serial line', 4 * 2 ** 20 + 64, 'ttyS0'],
    ['another terminal driver: its numbers', 204 * 2 ** 20 + 64, '204:64'],
  ])('%s', (_name, dev, name) => {
    expect(ttyName(dev)).toBe(name);
  });
});
