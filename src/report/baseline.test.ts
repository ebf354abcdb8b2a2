import { describe, expect, it } from 'vitest';
import type { AttributedEvent } from '../join/types.js';
import { T0, podEvent, hostEvent, type EventOverrides, type PodOpts } from '../output/fixtures.test-helpers.js';
import { classify, Findings, Profile } from './baseline.js';
import { NO_FACTS, type ExecFacts } from './exec-facts.js';
import { sightingOf } from './sighting.js';

type Exec = { ev?: EventOverrides; at?: PodOpts; facts?: Partial<ExecFacts> };

const WEB: PodOpts = { namespace: 'shop', pod: 'web-7d9c5b4f8-x2kqp', container: 'web' };
const sighting = (x: Exec) => sightingOf(podEvent(x.ev ?? {}, { ...WEB, ...x.at }), { ...NO_FACTS, ...x.facts });
const profile = (xs: Exec[]): Profile => {
  const p = new Profile();
  for (const x of xs) p.add(sighting(x));
  return p;
};

const curl: Exec = { ev: { comm: 'curl', filename: '/usr/bin/curl', args: ['curl', '-s', 'http://ledger/healthz'] } };
const sh: Exec = { ev: { comm: 'sh', filename: '/bin/sh', args: ['sh', '-c', 'date'] } };
const OLD: Exec[] = [curl, sh, { ev: { comm: 'date', filename: '/usr/bin/date', args: ['date'] } }];

describe('classify: one exec of NEW against OLD', () => {
  it.each<[string, Exec[], Exec, string | null]>([
    // Each difference alone is exactly its finding.
    ['a new executable', OLD, { ev: { comm: 'wget', filename: '/usr/bin/wget', args: ['wget', 'x'] } }, 'new-exec'],
    ['a new failing command', OLD, { ev: { comm: 'sh', filename: '/nope', args: ['/nope'], retval: -2 } }, 'new-failure'],
    [
      'drift (a file of the writable layer), never seen',
      OLD,
      { ev: { comm: 'miner', filename: '/tmp/miner', args: ['miner'], upperLayer: true } },
      'drift',
    ],
    ['drift of an executable OLD ran from its image', OLD, { ev: { ...curl.ev, upperLayer: true } }, 'drift'],
    [
      'an exec session running what only init ran',
      OLD.map((x) => ({ ...x, facts: { entry: 'init' } })),
      { ...sh, facts: { entry: 'exec', sessionLeaderPid: 77 } },
      'session',
    ],
    ['a known executable, another namespace', OLD, { ...curl, at: { namespace: 'other' } }, 'new-exec'],
    ['a known executable, another container', OLD, { ...curl, at: { container: 'sidecar' } }, 'new-exec'],
    [
      'a known name from another path (a dropped fake curl)',
      OLD.map((x) => ({ ...x, facts: { exe: x.ev!.filename! } })),
      { ev: { ...curl.ev, filename: '/tmp/curl' }, facts: { exe: '/tmp/curl' } },
      'new-exec',
    ],
    // Nothing new: what changes from run to run.
    ['another pod of the Deployment (suffix, pod-template hash)', OLD, { ...curl, at: { pod: 'web-5c8d9f7b4-vwz9q' } }, null],
    [
      'a restarted container (another id), another node, pid and argv',
      OLD,
      { ev: { ...curl.ev, pid: 9, args: ['curl', 'http://other'] }, at: { containerId: 'f'.repeat(64), node: 'worker-2' } },
      null,
    ],
    [
      'the same command failing from another PATH directory',
      [{ ev: { filename: '/usr/local/bin/foo', retval: -2 } }],
      { ev: { filename: '/usr/bin/foo', retval: -2 } },
      null,
    ],
    ['a known failure failing another way', [{ ev: { filename: '/nope', retval: -2 } }], { ev: { filename: '/nope', retval: -13 } }, null],
    ['drift OLD had too', [{ ev: { filename: '/tmp/x', upperLayer: true } }], { ev: { filename: '/tmp/x', upperLayer: true } }, null],
    [
      'the drifted file, now from the image',
      [{ ev: { filename: '/tmp/x', upperLayer: true } }],
      { ev: { filename: '/tmp/x', upperLayer: false } },
      null,
    ],
    ['a session running what OLD sessions ran', [{ ...sh, facts: { entry: 'exec' } }], { ...sh, facts: { entry: 'exec' } }, null],
    // Recordings of different versions: what one side does not know matches.
    [
      'OLD without workload (from the pod name), NEW with',
      OLD,
      { ...curl, at: { pod: 'web-5c8d9f7b4-vwz9q' }, facts: { workload: 'deploy/web' } },
      null,
    ],
    [
      'a DaemonSet pod by name only, NEW with its workload',
      [{ ...curl, at: { pod: 'agent-x2kqp' } }],
      { ...curl, at: { pod: 'agent-q7wzt' }, facts: { workload: 'ds/agent' } },
      null,
    ],
    ['OLD without entry, NEW a session', OLD, { ...sh, facts: { entry: 'exec' } }, null],
    ['OLD without exe (/bin/sh), NEW with (/usr/bin/dash)', OLD, { ...sh, facts: { exe: '/usr/bin/dash' } }, null],
  ])('%s', (_, old, x, want) => expect(classify(profile(old), sighting(x))).toBe(want));

  it('a workload of another kind with the same name is another workload', () => {
    expect(classify(profile([{ ...curl, facts: { workload: 'deploy/web' } }]), sighting({ ...curl, facts: { workload: 'sts/web' } }))).toBe(
      'new-exec',
    );
  });

  it('host processes are compared among host processes', () => {
    const old = new Profile();
    old.add(sightingOf(hostEvent({ filename: '/usr/bin/apt' }, 'apt.service'), NO_FACTS));
    expect(classify(old, sightingOf(hostEvent({ filename: '/usr/bin/apt', pid: 3 }, 'cron.service'), NO_FACTS))).toBeNull();
    expect(classify(old, sightingOf(hostEvent({ filename: '/usr/bin/nc' }, 'cron.service'), NO_FACTS))).toBe('new-exec');
    expect(classify(old, sighting({ ev: { filename: '/usr/bin/apt' } }))).toBe('new-exec');
  });
});

describe('Findings', () => {
  const add = (f: Findings, x: Exec, ms: number, more: Partial<AttributedEvent> = {}) =>
    f.add(sightingOf({ ...podEvent({ ...x.ev, timeMs: T0 + ms }, { ...WEB, ...x.at }), ...more }, { ...NO_FACTS, ...x.facts }));

  it('one finding per kind, place and executable: counted, with the earliest as its example, by kind then time', () => {
    const f = new Findings(profile(OLD));
    add(f, { ev: { filename: '/usr/bin/wget', args: ['wget', 'b'] }, at: { pod: 'web-7d9c5b4f8-bcdfg' } }, 50);
    add(f, { ev: { filename: '/usr/bin/wget', args: ['wget', 'a'] } }, 10); // read later, happened first
    add(f, { ev: { filename: '/nope', args: ['/nope'], retval: -2 } }, 5);
    add(f, { ev: { filename: '/bin/id', args: ['id'] }, facts: { entry: 'exec', sessionLeaderPid: 7 } }, 30);
    add(f, { ev: { filename: '/bin/id', args: ['id', '-u'] }, facts: { entry: 'exec', sessionLeaderPid: 8 } }, 40);
    add(f, { ev: { filename: '/bin/id', args: ['id'] }, facts: { entry: 'exec', sessionLeaderPid: 8 } }, 45);
    add(f, curl, 60);
    expect(f.list().map((x) => [x.kind, x.executable, x.count, x.sessions, x.firstMs - T0, x.args.join(' '), x.error, x.pod])).toEqual([
      ['session', '/bin/id', 3, 2, 30, 'id', null, 'web-7d9c5b4f8-x2kqp'],
      ['new-exec', '/usr/bin/wget', 2, null, 10, 'wget a', null, 'web-7d9c5b4f8-x2kqp'],
      ['new-failure', '/nope', 1, null, 5, '/nope', 'ENOENT', 'web-7d9c5b4f8-x2kqp'],
    ]);
    expect(f.list()[1]).toMatchObject({ namespace: 'shop', workload: 'deploy/web', container: 'web', entry: null, node: 'worker-1' });
  });
});
