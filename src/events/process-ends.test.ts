import { describe, expect, it } from 'vitest';
import { TracerClock } from './clock.js';
import { ProcessEnds } from './process-ends.js';
import { UNKNOWN_CONTEXT, type ExecEvent } from './types.js';

const exec = (pid: number, retval = 0): ExecEvent => ({
  timeMs: 1000,
  pid,
  tid: pid,
  ppid: 1,
  uid: 0,
  comm: 'sh',
  filename: '/bin/sh',
  args: ['sh'],
  argsTruncated: false,
  retval,
  cgroupV2: '/',
  cgroupV1: null,
  upperLayer: null,
  ...UNKNOWN_CONTEXT,
});
const end = (pid: number, execMonoNs: bigint, status: number) => ({
  kind: 'processEnd' as const,
  pid,
  execMonoNs,
  monoNs: execMonoNs + 2_500_000n,
  status,
});

function ends(opts: Partial<{ exits: boolean; maxExecd: number }> = {}) {
  return new ProcessEnds({ exits: true, maxExecd: 10, holdMs: 100, ...opts }, new TracerClock());
}

describe('ProcessEnds', () => {
  it.each<[string, number, ExecEvent['exit']]>([
    ['exit 3', 3 << 8, { exitCode: 3, signal: null, core: false, durationMs: 2.5 }],
    ['SIGKILL', 9, { exitCode: null, signal: 9, core: false, durationMs: 2.5 }],
  ])('an end after its exec: the exec with how it ended (%s)', (_name, status, exit) => {
    const p = ends();
    expect(p.emitted(exec(7), 10n)).toEqual([exec(7)]);
    expect(p.end(end(7, 10n, status), 0)).toEqual([{ ...exec(7), timeMs: 1002.5, exit }]);
    expect(p.remembered).toBe(0);
  });

  it('an end before its exec is held, and reported with it', () => {
    const p = ends();
    expect(p.end(end(7, 10n, 0), 0)).toEqual([]);
    expect(p.waiting).toBe(1);
    expect(p.emitted(exec(7), 10n).map((e) => e.exit?.exitCode ?? 'exec')).toEqual(['exec', 0]);
    expect(p.waiting).toBe(0);
  });

  it.each<[string, Partial<{ exits: boolean }>, bigint, number]>([
    // Held for holdMs: its exec may still come.
    ['an end of another exec of the pid', {}, 11n, 0],
    // Nothing is remembered: unknown at once.
    ['without --exits', { exits: false }, 10n, 1],
  ])('unknown: %s', (_name, opts, execMonoNs, unknownAtOnce) => {
    const p = ends(opts);
    p.emitted(exec(7), 10n);
    expect(p.end(end(7, execMonoNs, 0), 0)).toEqual([]);
    expect(p.unknown).toBe(unknownAtOnce);
    p.expire(100, false);
    expect(p.unknown).toBe(1);
  });

  it('failed execs are not remembered; at most maxExecd are, the oldest going first', () => {
    const p = ends({ maxExecd: 2 });
    p.emitted(exec(1, -2), 1n);
    expect(p.remembered).toBe(0);
    for (const pid of [1, 2, 3]) p.emitted(exec(pid), BigInt(pid));
    expect(p.remembered).toBe(2);
    expect(p.end(end(1, 1n, 0), 0)).toEqual([]); // forgotten
    expect(p.end(end(3, 3n, 0), 0)).toHaveLength(1);
  });
});
