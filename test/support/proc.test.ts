import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { descendants, parseStat, processes } from './proc.js';

describe('parseStat', () => {
  it.each([
    ['42 (sh) S 1 42 42 0 -1', { pid: 42, comm: 'sh', state: 'S', ppid: 1, pgrp: 42 }],
    ['7 (a) b (c)) Z 3 9 9 0', { pid: 7, comm: 'a) b (c)', state: 'Z', ppid: 3, pgrp: 9 }],
    ['9 (with space) R 2 5 5', { pid: 9, comm: 'with space', state: 'R', ppid: 2, pgrp: 5 }],
  ])('%s', (line, want) => expect(parseStat(line)).toEqual(want));
  it('refuses a line without a comm', () => expect(parseStat('garbage')).toBeNull());
});

describe.runIf(process.platform === 'linux')('processes and descendants', () => {
  it('finds this process, and a grandchild below it', async () => {
    expect(processes().find((p) => p.pid === process.pid)?.ppid).toBe(process.ppid);
    const child = spawn('sh', ['-c', 'sleep 30 & wait'], { stdio: 'ignore' });
    try {
      let below: string[] = [];
      for (let i = 0; i < 50 && !below.includes('sleep'); i++) {
        await new Promise((r) => setTimeout(r, 20));
        below = descendants(process.pid).map((p) => p.comm);
      }
      expect(below).toEqual(expect.arrayContaining(['sh', 'sleep']));
    } finally {
      for (const p of descendants(child.pid!)) process.kill(p.pid, 'SIGKILL');
      child.kill('SIGKILL');
    }
  });
});
