import { describe, expect, it } from 'vitest';
import type { AttributedEvent } from '../join/types.js';
import { DRIFT_HEAD, EXITS_HEAD, MAX_COMMS_PER_GROUP, SUMMARY_HEAD, Summary } from './summary.js';
import { DRIFT_COLUMNS, EXITS_COLUMNS, SUMMARY_COLUMNS } from './summary-layout.js';
import { displayWidth } from './width.js';
import { T0, hostEvent, podEvent, unattributedEvent } from './fixtures.test-helpers.js';

/** The rendered table as rows of trimmed cells; the first row is the header. */
function cells(rendered: string): string[][] {
  return rendered
    .split('\n')
    .filter((l) => l.startsWith('│'))
    .map((l) =>
      l
        .split('│')
        .slice(1, -1)
        .map((c) => c.trim()),
    );
}

function summarize(events: AttributedEvent[]): { rendered: string; header: string[]; rows: string[][] } {
  const s = new Summary();
  for (const e of events) s.add(e);
  const rendered = s.render();
  const [header = [], ...rows] = cells(rendered);
  return { rendered, header, rows };
}

const at = (sec: number) => T0 + sec * 1000; // T0 = 11:41:16.123Z
const times = (n: number, f: (i: number) => AttributedEvent) => Array.from({ length: n }, (_, i) => f(i));

describe('Summary with --exits', () => {
  const end = (e: AttributedEvent, exitCode: number | null, signal: number | null): AttributedEvent => ({
    ...e,
    event: { ...e.event, exit: { exitCode, signal, core: false, durationMs: 5 } },
  });
  it('lists per pod the processes that ended badly, with their commonest commands; exits are not execs', () => {
    const s = new Summary();
    const web = podEvent({ comm: 'curl' }, { pod: 'web-0' });
    s.add(web);
    s.add(end(web, 0, null));
    s.add(end(web, 7, null));
    s.add(end(web, null, 9));
    s.add(end(podEvent({ comm: 'sh' }, { pod: 'web-0' }), 2, null));
    s.add(end(hostEvent({ comm: 'cron' }), 0, null));
    expect(s.rows().map((r) => r.execs)).toEqual([1]);
    expect(s.exitsSeen).toBe(5);
    expect(s.exitRows()).toEqual([
      {
        namespace: 'default',
        pod: 'web-0',
        ended: 4,
        bad: 3,
        top: [
          ['curl', 2],
          ['sh', 1],
        ],
      },
    ]);
    const text = s.render();
    expect(text).toContain('Processes that exited non-zero or by a signal (of 5 that ended):');
    expect(text).toMatch(/default\s+│ web-0 │\s+4 │\s+3 │ curl×2 sh×1/);
  });

  it('a process in a pod cgroup no pod record matched is told apart from host processes, as in the exec table', () => {
    const s = new Summary();
    s.add(end(unattributedEvent({ comm: 'miner' }), null, 9));
    s.add(end(hostEvent({ comm: 'cron' }), 1, null));
    expect(s.exitRows()).toEqual([
      { namespace: '<host>', pod: '-', ended: 1, bad: 1, top: [['cron', 1]] },
      { namespace: '<unknown>', pod: '-', ended: 1, bad: 1, top: [['miner', 1]] },
    ]);
  });

  it('says so when every process that ended exited with 0; without exits nothing is added', () => {
    const s = new Summary();
    s.add(end(podEvent(), 0, null));
    expect(s.render()).toContain('Exits: every process that ended (1) exited with 0.');
    const none = new Summary();
    none.add(podEvent());
    expect(none.render()).not.toContain('xit');
  });
});

describe('Summary', () => {
  it.each<{ name: string; events: AttributedEvent[]; rows: string[][] }>([
    { name: 'no events: header only', events: [], rows: [] },
    {
      name: 'one pod container',
      events: [podEvent({ comm: 'sh' }), podEvent({ comm: 'curl', timeMs: at(5) }), podEvent({ comm: 'sh', timeMs: at(2) })],
      rows: [['default', 'web-7d9f8b6c5d-x2x9q', 'nginx', '3', '2', '0', '11:41:16', '11:41:21', 'sh×2 curl×1']],
    },
    {
      name: 'groups per namespace/pod/container, sorted by execs then name',
      events: [
        podEvent({}, { namespace: 'b', pod: 'p', container: 'c' }),
        ...times(3, () => podEvent({}, { namespace: 'z', pod: 'p', container: 'c' })),
        podEvent({}, { namespace: 'a', pod: 'p', container: 'd' }),
        podEvent({}, { namespace: 'a', pod: 'p', container: 'c' }),
        podEvent({}, { namespace: 'a', pod: 'o', container: 'c' }),
      ],
      rows: [
        ['z', 'p', 'c', '3', '1', '0', '11:41:16', '11:41:16', 'sh×3'],
        ['a', 'o', 'c', '1', '1', '0', '11:41:16', '11:41:16', 'sh×1'],
        ['a', 'p', 'c', '1', '1', '0', '11:41:16', '11:41:16', 'sh×1'],
        ['a', 'p', 'd', '1', '1', '0', '11:41:16', '11:41:16', 'sh×1'],
        ['b', 'p', 'c', '1', '1', '0', '11:41:16', '11:41:16', 'sh×1'],
      ],
    },
    {
      name: 'host processes per unit under <host>, unattributed per pod uid under <unknown>',
      events: [
        hostEvent({ comm: 'bash' }, 'sshd.service'),
        hostEvent({ comm: 'bash' }, 'sshd.service'),
        hostEvent({ comm: 'runc' }, 'kubelet.service'),
        hostEvent({ comm: 'modprobe' }, null),
        unattributedEvent({ comm: 'pause' }),
        unattributedEvent({ comm: 'pause' }, { podUid: '0123456789abcdef0123456789abcdef' }),
        unattributedEvent({ comm: 'sh' }),
        podEvent({}, { container: null }),
      ],
      rows: [
        ['<host>', 'sshd.service', '-', '2', '1', '0', '11:41:16', '11:41:16', 'bash×2'],
        ['<unknown>', 'pod-uid:da0fc44d', '-', '2', '2', '0', '11:41:16', '11:41:16', 'pause×1 sh×1'],
        ['<host>', '-', '-', '1', '1', '0', '11:41:16', '11:41:16', 'modprobe×1'],
        ['<host>', 'kubelet.service', '-', '1', '1', '0', '11:41:16', '11:41:16', 'runc×1'],
        ['<unknown>', 'pod-uid:01234567', '-', '1', '1', '0', '11:41:16', '11:41:16', 'pause×1'],
        ['default', 'web-7d9f8b6c5d-x2x9q', '-', '1', '1', '0', '11:41:16', '11:41:16', 'sh×1'],
      ],
    },
    {
      name: 'FAILED counts negative retvals only (not 0, not null)',
      events: [podEvent({ retval: -2 }), podEvent({ retval: -13 }), podEvent({ retval: 0 }), podEvent({ retval: null })],
      rows: [['default', 'web-7d9f8b6c5d-x2x9q', 'nginx', '4', '1', '2', '11:41:16', '11:41:16', 'sh×4']],
    },
    {
      name: 'FIRST/LAST are the extremes even when events arrive out of order',
      events: [podEvent({ timeMs: at(60) }), podEvent({ timeMs: at(-10) }), podEvent({ timeMs: at(3600) }), podEvent({ timeMs: at(0) })],
      rows: [['default', 'web-7d9f8b6c5d-x2x9q', 'nginx', '4', '1', '0', '11:41:06', '12:41:16', 'sh×4']],
    },
    {
      name: 'TOP: at most three, by count then name',
      events: [
        ...times(12, () => podEvent({ comm: 'sh' })),
        ...times(3, () => podEvent({ comm: 'curl' })),
        ...times(3, () => podEvent({ comm: 'awk' })),
        ...times(2, () => podEvent({ comm: 'ls' })),
      ],
      rows: [['default', 'web-7d9f8b6c5d-x2x9q', 'nginx', '20', '4', '0', '11:41:16', '11:41:16', 'sh×12 awk×3 curl×3']],
    },
    {
      name: 'non-ASCII and control characters in comm',
      events: [podEvent({ comm: 'café' }), podEvent({ comm: 'x\x1b[2J' })],
      rows: [['default', 'web-7d9f8b6c5d-x2x9q', 'nginx', '2', '2', '0', '11:41:16', '11:41:16', 'café×1 x\\x1b[2J×1']],
    },
  ])('$name', ({ events, rows }) => {
    const got = summarize(events);
    expect(got.header).toStrictEqual([...SUMMARY_HEAD]);
    expect(got.rows).toStrictEqual(rows);
    expect(got.rendered).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/); // no colour codes
    expect(got.rendered.endsWith('\n')).toBe(false);
  });

  it('keeps per-group state bounded: distinct commands are capped', () => {
    const s = new Summary();
    const n = MAX_COMMS_PER_GROUP + 500;
    for (let i = 0; i < n; i++) s.add(podEvent({ comm: `c${i}`, retval: i % 2 === 0 ? -1 : 0 }));
    for (let i = 0; i < 5; i++) s.add(podEvent({ comm: 'c7' }));
    const [, row] = cells(s.render());
    expect(row).toStrictEqual([
      'default',
      'web-7d9f8b6c5d-x2x9q',
      'nginx',
      String(n + 5),
      `${MAX_COMMS_PER_GROUP}+`,
      String(n / 2),
      '11:41:16',
      '11:41:16',
      'c7×6 c0×1 c1×1',
    ]);
  });

  it('render can be called repeatedly while events keep coming', () => {
    const s = new Summary();
    s.add(podEvent());
    const first = cells(s.render());
    s.add(podEvent());
    expect(first[1]?.[3]).toBe('1');
    expect(cells(s.render())[1]?.[3]).toBe('2');
  });

  it('right-aligns the counts', () => {
    const { rendered } = summarize([...times(10, () => podEvent({}, { pod: 'a' })), podEvent({}, { pod: 'b' })]);
    const lines = rendered.split('\n');
    expect(lines.some((l) => l.includes('│    10 │'))).toBe(true);
    expect(lines.some((l) => l.includes('│     1 │'))).toBe(true);
  });
});

describe('Summary: drift (executables from a container writable layer)', () => {
  it('no drift exec: the summary is the one table, as before', () => {
    const { rendered } = summarize([podEvent({ upperLayer: false }), podEvent({ upperLayer: null })]);
    expect(rendered).not.toContain('Drift');
    expect(rendered.split('\n').filter((l) => l.startsWith('┌'))).toHaveLength(1);
  });

  it('a drift table per pod and container, most drift execs first, with the commonest files', () => {
    const s = new Summary();
    const events = [
      podEvent({ upperLayer: true, filename: '/tmp/miner' }),
      podEvent({ upperLayer: true, filename: '/tmp/miner' }),
      podEvent({ upperLayer: true, filename: './x' }),
      podEvent({ upperLayer: false, filename: '/bin/sh' }),
      podEvent({ upperLayer: true, filename: '/opt/new' }, { namespace: 'pay', pod: 'api-0', container: 'api' }),
      podEvent({ upperLayer: true, filename: '/dev/shm/\x1b[2J' }, { namespace: 'pay', pod: 'api-0', container: 'api' }),
      hostEvent({ upperLayer: null }),
    ];
    for (const e of events) s.add(e);
    expect(s.driftRows()).toEqual([
      {
        namespace: 'default',
        pod: 'web-7d9f8b6c5d-x2x9q',
        container: 'nginx',
        execs: 3,
        top: [
          ['/tmp/miner', 2],
          ['./x', 1],
        ],
      },
      {
        namespace: 'pay',
        pod: 'api-0',
        container: 'api',
        execs: 2,
        top: [
          ['/dev/shm/\x1b[2J', 1],
          ['/opt/new', 1],
        ],
      },
    ]);
    const rendered = s.render();
    const [main, drift] = rendered.split('\n\nDrift: execs of files written into the container after it started (its writable layer)\n');
    expect(cells(main!)[0]).toEqual([...SUMMARY_HEAD]);
    expect(cells(drift!)).toEqual([
      ['NAMESPACE', 'POD', 'CONTAINER', 'DRIFT EXECS', 'FILES'],
      ['default', 'web-7d9f8b6c5d-x2x9q', 'nginx', '3', '/tmp/miner×2 ./x×1'],
      ['pay', 'api-0', 'api', '2', '/dev/shm/\\x1b[2J×1 /opt/new×1'],
    ]);
  });
});

describe('Summary on a terminal (render(width))', () => {
  const end = (e: AttributedEvent, exitCode: number): AttributedEvent => ({
    ...e,
    event: { ...e.event, exit: { exitCode, signal: null, core: false, durationMs: 5 } },
  });
  // A busy node: long pod and container names, three top commands, drift, a process that failed.
  function busy(): Summary {
    const s = new Summary();
    const api = { namespace: 'payments', pod: 'api-7d9c6b5f4-x2kqp', container: 'api' };
    const shop = { namespace: 'checkout', pod: 'checkout-frontend-5f8d9c7b6-qwert', container: 'frontend-sidecar' };
    for (const [i, comm] of ['curl', 'curl', 'sh', 'date'].entries())
      s.add(podEvent({ comm, timeMs: at(i), retval: comm === 'date' ? -2 : 0 }, api));
    for (const comm of ['nginx', 'grep', 'sh', 'wget']) s.add(podEvent({ comm, timeMs: at(60) }, shop));
    s.add(
      podEvent(
        { comm: 'miner', upperLayer: true, filename: '/var/lib/monitoring/a-long-dropped-file-name' },
        { namespace: 'monitoring', pod: 'node-exporter-abcde', container: 'node-exporter' },
      ),
    );
    s.add(hostEvent({ comm: 'iptables' }, 'kubelet.service'));
    s.add(end(podEvent({ comm: 'curl' }, api), 7));
    return s;
  }

  it.each([76, 80, 100, 120, 160, 200])('at %d every line fits', (width) => {
    const text = busy().render(width);
    for (const line of text.split('\n')) expect(displayWidth(line), line).toBeLessThanOrEqual(width);
  });

  it('narrower than every minimum (76 here): the minimums, as on the live table below 80', () => {
    expect(busy().render(60).split('\n\n')[0]).toBe(busy().render(76).split('\n\n')[0]);
  });

  it('at 80: who ran (names cut in the middle), how often, what; FIRST, LAST and COMMANDS left out', () => {
    // The minimums take 76 columns: NAMESPACE (whole, one more) and TOP (whole, three more) take the rest.
    const text = busy().render(80);
    const [main] = text.split('\n\n');
    expect(cells(main!)).toEqual([
      ['NAMESPACE', 'POD', 'CONTAINER', 'EXECS', 'FAILED', 'TOP'],
      ['checkout', 'checko…qwert', 'fron…ecar', '4', '0', 'grep×1 nginx×1 sh×1'],
      ['payments', 'api-7d…x2kqp', 'api', '4', '1', 'curl×2 date×1 sh×1'],
      ['<host>', 'kubele…rvice', '-', '1', '0', 'iptables×1'],
      ['monitoring', 'node-e…abcde', 'node…rter', '1', '0', 'miner×1'],
    ]);
    expect(text).toContain('Processes that exited non-zero or by a signal (of 1 that ended):\n');
    expect(text).toMatch(/│ node-ex…-abcde │ node-exporter │ +1 │ \/var\/lib…-name×1 │/);
    expect(text).toContain('\n\nDrift: execs of files written into the container after it started (its writable\nlayer)\n');
  });

  it('wider than the table: the table as it is piped (every column whole)', () => {
    expect(busy().render(200)).toBe(busy().render(null));
    expect(busy().render()).toBe(busy().render(null));
  });

  it('the layout describes the columns of the tables it fits', () => {
    expect(SUMMARY_COLUMNS.map((c) => c.head)).toEqual([...SUMMARY_HEAD]);
    expect(EXITS_COLUMNS.map((c) => c.head)).toEqual([...EXITS_HEAD]);
    expect(DRIFT_COLUMNS.map((c) => c.head)).toEqual([...DRIFT_HEAD]);
  });
});
