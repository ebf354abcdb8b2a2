import { describe, expect, it } from 'vitest';
import type { AttributedEvent } from '../join/types.js';
import { LiveTable } from './live.js';
import { displayWidth } from './width.js';
import { hostEvent, podEvent, unattributedEvent } from './fixtures.test-helpers.js';

/** Display column at which `needle` starts in `line`. */
const col = (line: string, needle: string): number => {
  const i = line.indexOf(needle);
  expect(i, `${JSON.stringify(needle)} in ${JSON.stringify(line)}`).toBeGreaterThanOrEqual(0);
  return displayWidth(line.slice(0, i));
};

// Column starts: TIME 0, NAMESPACE 14, POD 28, CONTAINER 54, PID 68, PPID 77, COMM 86, RET 100, ARGS 108.
const TABLE_HEADER = 'TIME          NAMESPACE     POD                       CONTAINER     PID      PPID     COMM          RET     ARGS';
// ... COMM 86, CWD 100, EXE 118, NODE 136, UID 150, RET 157, CONTAINER-ID 165, DRIFT 180, ARGS 187.
const WIDE_HEADER =
  'TIME          NAMESPACE     POD                       CONTAINER     PID      PPID     COMM          CWD               EXE               NODE          UID    RET     CONTAINER-ID   DRIFT  ARGS';

describe('LiveTable header', () => {
  it.each([
    { wide: false, width: null, out: TABLE_HEADER },
    { wide: true, width: null, out: WIDE_HEADER },
    { wide: false, width: 80, out: 'TIME      NAMESPACE  POD           PID      COMM    RET     ARGS' },
    { wide: true, width: 80, out: 'TIME      NAMESPACE  POD           PID      COMM    RET     ARGS' },
    { wide: true, width: 80, nodes: true, out: 'TIME      NAMESPACE  POD           COMM    NODE      RET     ARGS' },
    {
      wide: true,
      width: 120,
      out: 'TIME      NAMESPACE  POD           CONTAINER  PID      COMM    UID    RET     CONTAINER-ID   DRIFT  ARGS',
    },
    {
      wide: false,
      width: 200,
      out: 'TIME          NAMESPACE       POD                             CONTAINER       PID      PPID     COMM             RET       ARGS',
    },
  ])('wide=$wide width=$width nodes=$nodes', ({ wide, width, nodes, out }) => {
    expect(new LiveTable({ wide, width, nodes }).header()).toBe(out);
  });
});

describe('LiveTable rows of process ends at 80 columns', () => {
  it('a signal drops its SIG prefix to fit RET; an exit status fits as it is', () => {
    const t = new LiveTable({ wide: false, width: 80 });
    const killed = t.row(podEvent({ exit: { exitCode: null, signal: 9, core: false, durationMs: 3 } }));
    const three = t.row(podEvent({ exit: { exitCode: 3, signal: null, core: false, durationMs: 3 } }));
    expect(killed).toMatch(/ sh {6}KILL {4}\[ended after 3 ms\]$/);
    expect(three).toMatch(/ sh {6}exit 3 {2}\[ended after 3 ms\]$/);
    expect(displayWidth(killed)).toBeLessThanOrEqual(80);
  });
});

describe('LiveTable rows', () => {
  it.each<{ name: string; wide: boolean; e: AttributedEvent; out: string }>([
    {
      name: 'pod',
      wide: false,
      e: podEvent(),
      out: '11:41:16.123  default       web-7d9f8b6c5d-x2x9q      nginx         4242     4200     sh            0       sh -c true',
    },
    {
      name: 'host',
      wide: false,
      e: hostEvent({}, 'sshd.service'),
      out: '11:41:16.123  <host>        sshd.service              -             4242     4200     bash          0       bash',
    },
    {
      name: 'unattributed',
      wide: false,
      e: unattributedEvent(),
      out: '11:41:16.123  <unknown>     pod-uid:da0fc44d          -             4242     4200     sh            0       sh -c true',
    },
    {
      name: 'the end of a process (--exits): exit status in RET, how long it ran in ARGS',
      wide: false,
      e: podEvent({ exit: { exitCode: 3, signal: null, core: false, durationMs: 1520 } }),
      out: '11:41:16.123  default       web-7d9f8b6c5d-x2x9q      nginx         4242     4200     sh            exit 3  [ended after 1.52 s]',
    },
    {
      name: 'a process killed by a signal, with a core dump (--exits)',
      wide: false,
      e: podEvent({ exit: { exitCode: null, signal: 11, core: true, durationMs: 0.25 } }),
      out: '11:41:16.123  default       web-7d9f8b6c5d-x2x9q      nginx         4242     4200     sh            SIGSEGV  [ended after 0.25 ms, core dumped]',
    },
    {
      name: 'truncated args, failed exec (wide)',
      wide: true,
      e: podEvent({ retval: -2, args: ['find', '/'], argsTruncated: true }),
      out: '11:41:16.123  default       web-7d9f8b6c5d-x2x9q      nginx         4242     4200     sh            -                 -                 worker-1      0      ENOENT  0123456789abc  -      find / …',
    },
    {
      name: 'null retval (wide)',
      wide: true,
      e: hostEvent({ retval: null }, null),
      out: '11:41:16.123  <host>        -                         -             4242     4200     bash          -                 -                 worker-1      0      -       -              -      bash',
    },
    {
      name: 'from the writable layer (drift): marked before its argv',
      wide: false,
      e: podEvent({ upperLayer: true, args: ['./miner'] }),
      out: '11:41:16.123  default       web-7d9f8b6c5d-x2x9q      nginx         4242     4200     sh            0       [drift] ./miner',
    },
    {
      name: 'from an image layer: not marked',
      wide: false,
      e: podEvent({ upperLayer: false }),
      out: '11:41:16.123  default       web-7d9f8b6c5d-x2x9q      nginx         4242     4200     sh            0       sh -c true',
    },
    {
      name: 'drift in wide: the DRIFT column says it, ARGS is not marked',
      wide: true,
      e: podEvent({ upperLayer: true, args: ['./miner'] }),
      out: '11:41:16.123  default       web-7d9f8b6c5d-x2x9q      nginx         4242     4200     sh            -                 -                 worker-1      0      0       0123456789abc  yes    ./miner',
    },
    {
      name: 'an image layer in wide',
      wide: true,
      e: podEvent({ upperLayer: false }),
      out: '11:41:16.123  default       web-7d9f8b6c5d-x2x9q      nginx         4242     4200     sh            -                 -                 worker-1      0      0       0123456789abc  no     sh -c true',
    },
    {
      name: 'empty argv leaves no trailing spaces',
      wide: false,
      e: podEvent({ args: [] }),
      out: '11:41:16.123  default       web-7d9f8b6c5d-x2x9q      nginx         4242     4200     sh            0',
    },
    {
      name: 'a long pod name pushes the rest right, uncut',
      wide: false,
      e: podEvent({}, { pod: 'a-very-long-pod-name-that-overflows-0123456789' }),
      out: '11:41:16.123  default       a-very-long-pod-name-that-overflows-0123456789  nginx  4242  4200  sh   0       sh -c true',
    },
  ])('$name', ({ wide, e, out }) => {
    expect(new LiveTable({ wide, width: null }).row(e)).toBe(out);
  });

  it('columns line up with the header, by display width, non-ASCII included', () => {
    const t = new LiveTable({ wide: false, width: null });
    const h = t.header();
    const r = t.row(podEvent({ comm: 'ñ', args: ['echo', '日本語'] }, { namespace: 'équipe', pod: '日本語-pod' }));
    expect(col(r, 'équipe')).toBe(col(h, 'NAMESPACE'));
    expect(col(r, '日本語-pod')).toBe(col(h, 'POD'));
    expect(col(r, 'nginx')).toBe(col(h, 'CONTAINER'));
    expect(col(r, 'ñ')).toBe(col(h, 'COMM'));
    expect(col(r, 'echo 日本語')).toBe(col(h, 'ARGS'));
  });

  it('after an overflowing cell, later columns return to their place when there is room', () => {
    const t = new LiveTable({ wide: false, width: null });
    const h = t.header();
    const pod = 'p'.repeat(25); // one column more than POD reserves
    const r = t.row(podEvent({}, { pod }));
    expect(col(r, 'nginx')).toBe(col(h, 'POD') + pod.length + 2); // pushed, two spaces after the pod
    expect(col(r, '4242')).toBe(col(h, 'PID')); // back in place
    expect(col(r, 'sh -c')).toBe(col(h, 'ARGS'));
  });
});

describe('LiveTable piped with --ancestry', () => {
  const parent = (comm: string, pid: number) => ({ pid, comm, namespace: null, pod: null, container: null, host: true });
  const chains = [
    [],
    [parent('bash', 10)],
    [parent('sh', 12), parent('containerd-shim', 9), parent('systemd', 1)],
    [parent('sh', 14), parent('sh', 13), parent('runc:[2:INIT]', 11), parent('containerd-shim', 9), parent('systemd', 1)],
    Array.from({ length: 8 }, (_, i) => parent(`worker-${i}-ñ日本`, 100 + i)),
  ];

  it.each([false, true])('ANCESTRY and ARGS line up with the header on every row (wide=%s)', (wide) => {
    const t = new LiveTable({ wide, width: null, ancestry: true });
    const h = t.header();
    for (const ancestry of chains) {
      const r = t.row({ ...podEvent({ args: ['echo', 'hi'] }), ancestry });
      const at = col(h, 'ANCESTRY'); // the cells before it are ASCII: string index = display column
      expect(r.slice(at - 2, at + 1), r).toBe(`  ${ancestry.length === 0 ? '-' : ancestry[0]!.comm[0]}`);
      expect(col(r, 'echo hi'), `${h}\n${r}`).toBe(col(h, 'ARGS'));
    }
  });

  it('keeps the nearest parents of a long chain and marks the cut', () => {
    const t = new LiveTable({ wide: false, width: null, ancestry: true });
    const r = t.row({ ...podEvent({ args: ['echo', 'hi'] }), ancestry: chains[3]! });
    expect(r).toMatch(/ {2}sh ← sh ← runc:\[2:INIT\] ← containerd-sh… {2}echo hi$/);
    // What fits is not cut.
    expect(t.row({ ...podEvent({ args: ['echo', 'hi'] }), ancestry: chains[2]! })).toMatch(/ {2}sh ← containerd-shim ← systemd +echo hi$/);
  });
});

describe('LiveTable on a terminal: every line fits', () => {
  const longArgs = ['curl', '-sS', '-H', 'Authorization: Bearer x', ...Array.from({ length: 40 }, (_, i) => `--opt${i}`)];
  const events: AttributedEvent[] = [
    podEvent(),
    podEvent(
      { args: longArgs, argsTruncated: true },
      { namespace: 'a-rather-long-namespace', pod: 'checkout-api-7d9c6b5f4-x2kqp', container: 'a-long-container-name' },
    ),
    podEvent({ comm: 'ñandú-日本語', args: ['echo', '日本語テキストです'.repeat(20)] }, { pod: '日本語-pod-名前-とても長い-0' }),
    podEvent({ retval: -36, args: [] }),
    hostEvent({}, 'a-very-long-unit-name-of-some-service-0123456789.service', 'ip-10-0-1-23.eu-west-1.compute.internal'),
    { ...podEvent(), ancestry: [{ pid: 9, comm: 'containerd-shim-runc-v2', namespace: null, pod: null, container: null, host: true }] },
  ];

  it.each([80, 81, 99, 100, 120, 133, 140, 200, 250])('at %d columns, for every column set', (width) => {
    for (const wide of [false, true]) {
      for (const nodes of [false, true]) {
        for (const ancestry of [false, true]) {
          const t = new LiveTable({ wide, width, nodes, ancestry });
          const h = t.header();
          expect(displayWidth(h), h).toBeLessThanOrEqual(width);
          const words = h.split(/ +/);
          expect(
            words.every((w) => /^[A-Z-]+$/.test(w)),
            h,
          ).toBe(true); // header words whole
          expect(words.at(-1)).toBe('ARGS');
          for (const e of events) {
            const r = t.row(e);
            expect(displayWidth(r), `${width} ${JSON.stringify({ wide, nodes, ancestry })}\n${h}\n${r}`).toBeLessThanOrEqual(width);
            expect(r).not.toMatch(/\s$/);
          }
        }
      }
    }
  });

  it('80 columns: the sample row, pod name cut in the middle, ARGS cut at the end, PID kept', () => {
    const t = new LiveTable({ wide: false, width: 80 });
    expect([t.header(), ...events.slice(0, 2).map((e) => t.row(e))]).toEqual([
      'TIME      NAMESPACE  POD           PID      COMM    RET     ARGS',
      '11:41:16  default    web-7d…x2x9q  4242     sh      0       sh -c true',
      "11:41:16  a-ra…pace  checko…x2kqp  4242     sh      0       curl -sS -H 'Author…",
    ]);
  });

  it('80 columns, several nodes: NODE kept, CONTAINER and PID left out', () => {
    const t = new LiveTable({ wide: false, width: 80, nodes: true });
    expect([t.header(), ...events.slice(0, 2).map((e) => t.row(e))]).toEqual([
      'TIME      NODE      NAMESPACE  POD           COMM    RET     ARGS',
      '11:41:16  worker-1  default    web-7d…x2x9q  sh      0       sh -c true',
      "11:41:16  worker-1  a-ra…pace  checko…x2kqp  sh      0       curl -sS -H 'Autho…",
    ]);
  });

  it('columns line up with the header on a terminal, wide characters included', () => {
    const t = new LiveTable({ wide: false, width: 120 });
    const h = t.header();
    const r = t.row(events[2]!);
    for (const [cell, header] of [
      ['default', 'NAMESPACE'],
      ['nginx', 'CONTAINER'],
      ['4242', 'PID'],
      ['ñandú', 'COMM'],
      ['echo', 'ARGS'],
    ] as const) {
      expect(col(r, cell), cell).toBe(col(h, header));
    }
  });

  it('-o wide keeps ARGS on the row at 140 columns', () => {
    const t = new LiveTable({ wide: true, width: 140, nodes: true });
    const r = t.row(podEvent({ args: longArgs }));
    expect(r.split('\n')).toHaveLength(1);
    expect(r).toMatch(/ 0123456789abc {2}- {6}curl -sS -H 'Authori…$/);
    expect(displayWidth(r)).toBe(140);
    // One node: no NODE column; its room goes to ARGS.
    const one = new LiveTable({ wide: true, width: 140 }).row(podEvent({ args: longArgs }));
    expect(one).toMatch(/ 4242 +4200 +sh +0 +0 +0123456789abc {2}- {6}curl -sS -H 'Authorization: Be…$/);
    expect(displayWidth(one)).toBe(140);
  });

  it('-o wide on a terminal too narrow for DRIFT marks drift rows in ARGS instead', () => {
    const narrow = new LiveTable({ wide: true, width: 80 });
    expect(narrow.header()).not.toContain('DRIFT');
    expect(narrow.row(podEvent({ upperLayer: true, args: ['./miner'] }))).toMatch(/ 0 +\[drift\] \.\/miner$/);
    expect(narrow.row(podEvent({ upperLayer: false, args: ['./miner'] }))).toMatch(/ 0 +\.\/miner$/);
    const roomy = new LiveTable({ wide: true, width: 160 });
    expect(roomy.header()).toContain(' DRIFT  ARGS');
    expect(roomy.row(podEvent({ upperLayer: true, args: ['./miner'] }))).toMatch(/ yes +\.\/miner$/);
  });

  it('a failed exec says its error in RET', () => {
    expect(new LiveTable({ wide: false, width: 120 }).row(podEvent({ retval: -2, args: ['/nonexistent'] }))).toMatch(
      / ENOENT +\/nonexistent$/,
    );
  });

  it.each([false, true])('never cut when piped (width null, wide=%s)', (wide) => {
    const line = new LiveTable({ wide, width: null }).row(podEvent({ args: longArgs, argsTruncated: true }));
    expect(line.endsWith(`--opt39 …`)).toBe(true);
    expect(line).toContain("'Authorization: Bearer x'");
  });
});

describe('LiveTable output hygiene', () => {
  const hostile = podEvent(
    { comm: 'evil\x1b[31m', args: ['sh', '-c', 'printf "\\033[2J"\n', '\x1b]0;pwned\x07', 'a\u202eb'] },
    { pod: 'p\x1b[0m' },
  );
  it.each([
    { wide: false, width: null },
    { wide: true, width: null },
    { wide: false, width: 120 },
    { wide: true, width: 300 },
  ])('no control characters, no newline (wide=$wide width=$width)', ({ wide, width }) => {
    const t = new LiveTable({ wide, width });
    for (const line of [t.header(), t.row(hostile), t.row(podEvent()), t.row(hostEvent())]) {
      expect(line).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/);
      expect(line).not.toMatch(/\s$/);
    }
  });
});
