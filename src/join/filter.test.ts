import { describe, expect, it } from 'vitest';
import { isSelf, makeFilter, type Filters } from './filter.js';
import { NO_FILTERS, hostEvent, podEvent } from '../output/fixtures.test-helpers.js';
import type { AttributedEvent } from './types.js';

const web = podEvent({ comm: 'ls', upperLayer: true }, { namespace: 'shop', container: 'web' });
const side = { ...podEvent({ comm: 'cat', retval: -2 }, { namespace: 'pay', container: 'sidecar' }), labels: { app: 'x', tier: 'db' } };
const host = hostEvent({ comm: 'bash' });
const image = podEvent({ comm: 'nginx', upperLayer: false }, { namespace: 'shop', container: 'web' });
const ALL: [string, AttributedEvent][] = [
  ['web', web],
  ['side', side],
  ['host', host],
  ['image', image],
];

describe('makeFilter', () => {
  it.each<[string, readonly string[] | null, Partial<Filters>, string[]]>([
    ['nothing: everything', null, {}, ['web', 'side', 'host', 'image']],
    ['-n a -n b: either namespace', ['shop', 'pay'], {}, ['web', 'side', 'image']],
    ['-c web -c sidecar: either container', null, { container: ['web', 'sidecar'] }, ['web', 'side', 'image']],
    ['-c web', null, { container: ['web'] }, ['web', 'image']],
    ['--comm x --comm y: either pattern', null, { comm: [/^ls$/, /^cat$/] }, ['web', 'side']],
    ['--comm one pattern', null, { comm: [/^bash$/] }, ['host']],
    ['-l a,b: all of them', null, { selector: 'app=x,tier=db' }, ['side']],
    ['-l a,b where one does not match', null, { selector: 'app=x,tier=web' }, []],
    ['--failed', null, { failed: true }, ['side']],
    ['--host', null, { host: true }, ['host']],
    ['--drift: only execs from a writable layer (not an image layer, not unknown)', null, { drift: true }, ['web']],
    ['--drift -n', ['pay'], { drift: true }, []],
    ['filters together: all must hold', ['shop', 'pay'], { comm: [/^ls$/, /^cat$/], failed: true }, ['side']],
  ])('%s', (_what, namespaces, f, kept) => {
    const keep = makeFilter(namespaces, { ...NO_FILTERS, ...f }, null);
    expect(ALL.filter(([, e]) => keep(e)).map(([n]) => n)).toEqual(kept);
  });
});

describe('makeFilter: --sessions and --no-probes (issue 23)', () => {
  const BY_ENTRY: [string, AttributedEvent][] = [
    ['init', podEvent({}, { entry: 'init' })],
    ['exec', podEvent({ tty: 'pts/0' }, { entry: 'exec' })],
    ['probe', podEvent({}, { entry: 'probe' })],
    ['hook', podEvent({}, { entry: 'hook' })],
    ['unknown', podEvent()],
    ['host', host],
  ];
  it.each<[string, Partial<Filters>, string[]]>([
    ['--sessions: only what entered through exec', { sessions: true }, ['exec']],
    ['--no-probes: everything but probes and hooks', { noProbes: true }, ['init', 'exec', 'unknown', 'host']],
    ['both', { sessions: true, noProbes: true }, ['exec']],
  ])('%s', (_what, f, kept) => {
    const keep = makeFilter(null, { ...NO_FILTERS, ...f }, null);
    expect(BY_ENTRY.filter(([, e]) => keep(e)).map(([n]) => n)).toEqual(kept);
  });
});

describe("makeFilter with --exits: a process's end is filtered as its exec", () => {
  const end = (e: AttributedEvent, exitCode: number | null, signal: number | null): AttributedEvent => ({
    ...e,
    event: { ...e.event, exit: { exitCode, signal, core: false, durationMs: 1 } },
  });
  const ENDS: [string, AttributedEvent][] = [
    ['web exit 0', end(web, 0, null)],
    ['web exit 3', end(web, 3, null)],
    ['web SIGKILL', end(web, null, 9)],
    ['host exit 0', end(host, 0, null)],
  ];
  it.each<[string, readonly string[] | null, Partial<Filters>, string[]]>([
    ['--failed: ended non-zero or by a signal', null, { failed: true }, ['web exit 3', 'web SIGKILL']],
    ['-n', ['shop'], {}, ['web exit 0', 'web exit 3', 'web SIGKILL']],
    ['-c', null, { container: ['web'] }, ['web exit 0', 'web exit 3', 'web SIGKILL']],
    ['--comm', null, { comm: [/^bash$/] }, ['host exit 0']],
    ['--host', null, { host: true }, ['host exit 0']],
  ])('%s', (_what, namespaces, f, kept) => {
    const keep = makeFilter(namespaces, { ...NO_FILTERS, ...f }, null);
    expect(ENDS.filter(([, e]) => keep(e)).map(([n]) => n)).toEqual(kept);
  });
});

describe('isSelf', () => {
  const debugPod = {
    ...podEvent({}, { namespace: 'trace-exec-x7k2p', pod: 'trace-exec-worker-1-ab12cd', container: 'trace-exec' }),
    labels: { 'app.kubernetes.io/name': 'trace-exec', 'trace-exec.io/run-id': 'ab12cd' },
  };
  it.each<[string, AttributedEvent, number | null, boolean]>([
    ["an exec in trace-exec's debug pod", debugPod, null, true],
    ['another pod', { ...web, labels: { 'app.kubernetes.io/name': 'web' } }, null, false],
    ['a pod without labels', web, null, false],
    ['--local: a child of this process', hostEvent({ ppid: 777 }), 777, true],
    ['--local: another host process', hostEvent({ ppid: 778 }), 777, false],
    ['not --local: a host process whose parent has our pid elsewhere', hostEvent({ ppid: 777 }), null, false],
    ['--local: a pod-cgroup exec whose parent has our pid', podEvent({ ppid: 777 }), 777, false],
  ])('%s → %s', (_what, e, selfPid, self) => {
    expect(isSelf(e, selfPid)).toBe(self);
  });
});
