import { describe, expect, it } from 'vitest';
import { entryKept, ProcessEntries } from './process-entries.js';
import { podEvent } from '../output/fixtures.test-helpers.js';
import type { Entry } from '../join/entry.js';

describe('entryKept', () => {
  it.each<[Entry | null, boolean, boolean, boolean]>([
    ['exec', true, false, true],
    ['init', true, false, false],
    [null, true, false, false],
    ['probe', false, true, false],
    ['hook', false, true, false],
    ['init', false, true, true],
    [null, false, true, true],
    ['exec', true, true, true],
    ['probe', false, false, true],
  ])('%s with --sessions %s --no-probes %s → %s', (entry, sessions, noProbes, kept) =>
    expect(entryKept(entry, { sessions, noProbes })).toBe(kept),
  );
});

describe('ProcessEntries', () => {
  it('remembers the entry of each process’s last successful exec, by node and pid, bounded', () => {
    const p = new ProcessEntries(true, 2);
    p.exec(podEvent({ pid: 1 }, { entry: 'exec' }));
    p.exec(podEvent({ pid: 1, retval: -2 }, { entry: 'probe' })); // failed: runs nothing new
    p.exec(podEvent({ pid: 2 }, { entry: 'probe' }));
    expect([p.entryOf('worker-1', 1), p.entryOf('worker-1', 2), p.entryOf('worker-2', 1)]).toEqual(['exec', 'probe', null]);
    p.exec(podEvent({ pid: 3 }, { entry: 'init' }));
    expect(p.entryOf('worker-1', 1)).toBeNull(); // the oldest forgotten
  });

  it('keeps nothing when no filter needs it', () => {
    const p = new ProcessEntries(false);
    p.exec(podEvent({ pid: 1 }, { entry: 'exec' }));
    expect(p.entryOf('worker-1', 1)).toBeNull();
  });
});
