import { describe, expect, it } from 'vitest';
import { CountingDecoder } from './counts-decoder.js';
import type { ExecEvent, StreamNotice } from './types.js';

const WALL = 1_700_000_000_000;

/** What the batcher sends in counting mode: the clock, cgroup names, counts, one exec left whole. */
const SENT = String.raw`{"type": "attached_probes", "data": {"probes": 5}}
{"type": "printf", "data": "B 1000000000\n"}
{"type": "printf", "data": "S 1 1000000010\n"}
{"type": "printf", "data": "S 2 1000000020\n"}
{"type": "printf", "data": "P 2 7421 0 web.scope\n"}
{"type": "printf", "data": "P 2 7421 1 \n"}
{"type": "counts", "data": {"cg2": "7421", "cg1": "0", "comm": "ls", "execs": 3, "failed": 1, "searches": 2, "first": "1001500000", "last": "1003000000", "errnos": {"2": 1}, "argv": ["ls", "-l"], "argvExecs": 2}}
{"type": "printf", "data": "E 4300 4300 4100 0 1004000000 7421 0 1 /bin/sh\n"}
{"type": "printf", "data": "A 4300 1004000000 0 sh\n"}
{"type": "printf", "data": "X 4300 0 1004000000 32 0 0 0 4300 0 0 sh\n"}
{"type": "counts", "data": {"cg2": "99", "cg1": "0", "comm": "true", "execs": 0, "failed": 0, "searches": 0, "first": "0", "last": "0", "errnos": {}, "argv": [], "argvExecs": 0}}
{"type": "counts", "data": {"cg2": "7421", "cg1": "0", "comm": "sh", "execs": 0, "failed": 0, "searches": 1, "first": "0", "last": "0", "errnos": {}, "argv": [], "argvExecs": 0}}
{"type": "counts", "data": {"cg2": "x"}}
`;

function decode(text: string, split: number): { events: ExecEvent[]; notices: StreamNotice[]; malformed: number } {
  const events: ExecEvent[] = [];
  const notices: StreamNotice[] = [];
  const d = new CountingDecoder({ strlen: 200, levels: 8 }, { event: (e) => events.push(e), notice: (n) => notices.push(n) }, () => WALL);
  const bytes = Buffer.from(text);
  for (let i = 0; i < bytes.length; i += split) d.push(bytes.subarray(i, i + split));
  d.end();
  return { events, notices, malformed: d.stats.malformed };
}

describe('CountingDecoder', () => {
  it.each([1, 7, 100_000])('counts become events that stand for their execs; the rest decodes per exec (chunks of %i bytes)', (split) => {
    const { events, notices, malformed } = decode(SENT, split);
    expect(events).toHaveLength(3);
    const [ls, sh, searches] = events as [ExecEvent, ExecEvent, ExecEvent];
    expect(ls).toMatchObject({
      comm: 'ls',
      args: ['ls', '-l'],
      cgroupV2: '/web.scope',
      cgroupV1: null,
      retval: null,
      timeMs: WALL + 1.5,
      count: { execs: 3, failed: 1, searches: 2, errnos: new Map([[2, 1]]), firstMs: WALL + 1.5, lastMs: WALL + 3, argvExecs: 2 },
    });
    // The exec the batcher left whole (it entered from outside: a session) is a whole exec.
    expect(sh).toMatchObject({ comm: 'sh', pid: 4300, retval: 0, cgroupV2: '/web.scope', inInitTree: false, sessionLeaderPid: 4300 });
    expect(sh.count).toBeUndefined();
    // A count of folded attempts only still counts (towards the totals); an empty one is no event.
    expect(searches.count).toMatchObject({ execs: 0, searches: 1 });
    expect(notices.filter((n) => n.kind === 'malformed')).toEqual([
      { kind: 'malformed', line: '{"type": "counts", "data": {"cg2": "x"}}', reason: 'bad cgroup ids' },
    ]);
    expect(malformed).toBe(1);
    expect(notices[0]).toEqual({ kind: 'started', monoNs: 1_000_000_020n });
  });
});
