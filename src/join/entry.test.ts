import { describe, expect, it } from 'vitest';
import { argvIs, EntryClassifier, kubeletExecOf, type Entry } from './entry.js';
import type { KubeletExecs } from './pod-index.js';

const EXECS: KubeletExecs = {
  probes: [
    ['cat', '/tmp/healthy'],
    ['sh', '-c', 'test -f /ready && echo ok'],
  ],
  hooks: [['/bin/drain', '--wait']],
};
const C = 'c'.repeat(64);

describe('argvIs', () => {
  it.each<[string[], boolean, string[], boolean]>([
    [['cat', '/tmp/healthy'], false, ['cat', '/tmp/healthy'], true],
    [['cat', '/tmp/healthy', 'x'], false, ['cat', '/tmp/healthy'], false],
    [['cat'], false, ['cat', '/tmp/healthy'], false],
    [['/bin/cat', '/tmp/healthy'], false, ['cat', '/tmp/healthy'], false], // argv[0] as the spec writes it
    // cut by bpftrace: what came is the command's start, the last argument possibly cut too
    [['sh', '-c', 'test -f /re'], true, ['sh', '-c', 'test -f /ready && echo ok'], true],
    [['sh', '-c'], true, ['sh', '-c', 'test -f /ready'], true],
    [['sh', '-c', 'rm -rf /'], true, ['sh', '-c', 'test -f /ready'], false],
    [['sh', '-c', 'test', 'more'], true, ['sh', '-c', 'test'], false],
  ])('%j (cut: %s) is %j: %s', (args, cut, cmd, want) => expect(argvIs(args, cut, cmd)).toBe(want));
});

describe('kubeletExecOf', () => {
  it.each<[string[], 'probe' | 'hook' | null]>([
    [['cat', '/tmp/healthy'], 'probe'],
    [['sh', '-c', 'test -f /ready && echo ok'], 'probe'],
    [['/bin/drain', '--wait'], 'hook'],
    [['/bin/drain'], null],
    [['bash'], null],
    [[], null],
  ])('%j → %s', (args, want) => expect(kubeletExecOf(args, false, EXECS)).toBe(want));

  it('a container without probes or hooks has none', () => expect(kubeletExecOf(['cat', '/tmp/healthy'], false, undefined)).toBeNull());
});

describe('EntryClassifier', () => {
  type Step = [
    what: string,
    pid: number,
    leader: number | null,
    inInit: boolean | null,
    args: string[],
    want: Entry | null,
    container?: string | null,
  ];
  // One container's story, in the order the execs come.
  const story: Step[] = [
    ['the workload itself', 100, 1, true, ['nginx', '-g', 'daemon off;'], 'init'],
    ['a child of the workload', 101, 1, true, ['sh', '-c', 'logrotate'], 'init'],
    ['a probe entering through ExecSync', 200, 200, false, ['cat', '/tmp/healthy'], 'probe'],
    ['a shell entering through exec', 300, 300, false, ['bash'], 'exec'],
    ['a command typed into it', 301, 300, false, ['ls', '-l'], 'exec'],
    ['what the typed command starts', 302, 300, false, ['cat', '/tmp/healthy'], 'exec'], // not a probe: its session is a shell
    ['a probe that is a shell script', 400, 400, false, ['sh', '-c', 'test -f /ready && echo ok'], 'probe'],
    ['the probe script’s children', 401, 400, false, ['test', '-f', '/ready'], 'probe'],
    ['the probe’s leader exec’ing again', 400, 400, false, ['echo', 'ok'], 'probe'],
    ['a preStop hook', 500, 500, false, ['/bin/drain', '--wait'], 'hook'],
    ['a session that began before the trace: its commands', 601, 600, false, ['ps'], 'exec'],
    ['a kernel that could not say', 700, null, null, ['ls'], null],
    ['a host process', 800, null, null, ['ls'], null, null],
    ['no container id (a pod-level helper)', 900, 900, false, ['cat', '/tmp/healthy'], null, null],
  ];
  it('classifies the story in order', () => {
    const c = new EntryClassifier();
    const got = story.map(([what, pid, leader, inInit, args, , container]) => [
      what,
      c.classify(
        { pid, args, argsTruncated: false, retval: 0, inInitTree: inInit, sessionLeaderPid: leader },
        container === undefined ? C : container,
        EXECS,
        true,
      ),
    ]);
    expect(got).toEqual(story.map(([what, , , , , want]) => [what, want]));
  });

  it('a leader’s kind is remembered only once its pod record is known, and not from a failed exec', () => {
    const c = new EntryClassifier();
    const probe = { pid: 200, args: ['cat', '/tmp/healthy'], argsTruncated: false, retval: 0, inInitTree: false, sessionLeaderPid: 200 };
    // Joined before the pod record came (no probes known): exec, not remembered.
    expect(c.classify(probe, C, undefined, false)).toBe('exec');
    expect(c.classify(probe, C, EXECS, true)).toBe('probe');
    const failed = { pid: 300, args: ['cat', '/tmp/healthy'], argsTruncated: false, retval: -2, inInitTree: false, sessionLeaderPid: 300 };
    expect(c.classify(failed, C, EXECS, true)).toBe('probe');
    expect(c.classify({ ...failed, args: ['bash'], retval: 0 }, C, EXECS, true)).toBe('exec');
  });

  it('is bounded: the oldest sessions are forgotten', () => {
    const c = new EntryClassifier(2);
    const leader = (pid: number, args: string[]) => ({
      pid,
      args,
      argsTruncated: false,
      retval: 0,
      inInitTree: false,
      sessionLeaderPid: pid,
    });
    c.classify(leader(1, ['cat', '/tmp/healthy']), C, EXECS, true);
    c.classify(leader(2, ['bash']), C, EXECS, true);
    c.classify(leader(3, ['bash']), C, EXECS, true);
    // Session 1 forgotten: its child is an exec of unknown kind.
    expect(c.classify({ ...leader(10, ['ls']), sessionLeaderPid: 1 }, C, EXECS, true)).toBe('exec');
    expect(c.classify({ ...leader(11, ['ls']), sessionLeaderPid: 2 }, C, EXECS, true)).toBe('exec');
  });
});
