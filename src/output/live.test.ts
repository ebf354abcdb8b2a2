import { describe, expect, it } from 'vitest';
import type { AttributedEvent } from '../join/types.js';
import { LiveTable, MIN_ARGS_WIDTH } from './live.js';
import { displayWidth } from './width.js';
import { hostEvent, podEvent, unattributedEvent } from './fixtures.test-helpers.js';

/** Display column at which `needle` starts in `line`. */
const col = (line: string, needle: string): number => {
  const i = line.indexOf(needle);
  expect(i, `${JSON.stringify(needle)} in ${JSON.stringify(line)}`).toBeGreaterThanOrEqual(0);
  return displayWidth(line.slice(0, i));
};

// Column starts: TIME 0, NAMESPACE 14, POD 28, CONTAINER 54, PID 68, PPID 77, COMM 86, RET 100, ARGS 108.
const TABLE_HEADER =
  'TIME          NAMESPACE     POD                       CONTAINER     PID      PPID     COMM          RET     ARGS';
// ... COMM 86, NODE 100, UID 114, RET 121, CONTAINER-ID 129, ARGS 144.
const WIDE_HEADER =
  'TIME          NAMESPACE     POD                       CONTAINER     PID      PPID     COMM          NODE          UID    RET     CONTAINER-ID   ARGS';

describe('LiveTable header', () => {
  it.each([
    { wide: false, width: null, out: TABLE_HEADER },
    { wide: false, width: 80, out: TABLE_HEADER }, // ARGS keeps its minimum even on a narrow terminal
    { wide: true, width: null, out: WIDE_HEADER },
    { wide: true, width: 200, out: WIDE_HEADER },
  ])('wide=$wide width=$width', ({ wide, width, out }) => {
    expect(new LiveTable({ wide, width }).header()).toBe(out);
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
      name: 'truncated args, failed exec (wide)',
      wide: true,
      e: podEvent({ retval: -2, args: ['find', '/'], argsTruncated: true }),
      out:
        '11:41:16.123  default       web-7d9f8b6c5d-x2x9q      nginx         4242     4200     sh            worker-1      0      ENOENT  0123456789abc  find / …',
    },
    {
      name: 'null retval (wide)',
      wide: true,
      e: hostEvent({ retval: null }, null),
      out:
        '11:41:16.123  <host>        -                         -             4242     4200     bash          worker-1      0      -       -              bash',
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

describe('LiveTable ARGS cutting', () => {
  const longArgs = ['curl', '-sS', '-H', 'Authorization: Bearer x', ...Array.from({ length: 40 }, (_, i) => `--opt${i}`)];
  const ARGS_AT = 108;

  it.each([
    { name: 'fits exactly', width: ARGS_AT + 20, args: ['echo', '0123456789abcde'], expected: 'echo 0123456789abcde' },
    { name: 'one column short', width: ARGS_AT + 19, args: ['echo', '0123456789abcde'], expected: 'echo 0123456789abc…' },
    { name: 'quoted args cut', width: ARGS_AT + 20, args: longArgs, expected: "curl -sS -H 'Author…" },
    // 18 columns before the ellipsis: 'echo ' and six 2-column characters use 17; a seventh would need 19.
    { name: 'wide characters cut on a character', width: ARGS_AT + 19, args: ['echo', '日本語テキストです'], expected: 'echo 日本語テキス…' },
    {
      name: 'terminal narrower than the fixed columns: ARGS keeps its minimum',
      width: 80,
      args: longArgs,
      expected: "curl -sS -H 'Au…",
    },
  ])('$name', ({ width, args, expected }) => {
    const line = new LiveTable({ wide: false, width }).row(podEvent({ args }));
    expect(line.slice(line.indexOf(' 0  ') + ' 0'.length).trimStart()).toBe(expected);
    expect(displayWidth(line)).toBeLessThanOrEqual(Math.max(width, ARGS_AT + MIN_ARGS_WIDTH));
  });

  it('truncated argv that is also cut ends in a single ellipsis', () => {
    const line = new LiveTable({ wide: false, width: ARGS_AT + 20 }).row(podEvent({ args: longArgs, argsTruncated: true }));
    expect(line.endsWith("curl -sS -H 'Author…")).toBe(true);
    expect(displayWidth(line)).toBe(ARGS_AT + 20);
  });

  it.each([false, true])('never cut when piped (width null, wide=%s)', (wide) => {
    const line = new LiveTable({ wide, width: null }).row(podEvent({ args: longArgs, argsTruncated: true }));
    expect(line.endsWith(`--opt39 …`)).toBe(true);
    expect(line).toContain("'Authorization: Bearer x'");
  });

  it('only ARGS is cut: a long pod name survives a narrow terminal', () => {
    const pod = 'a-very-long-pod-name-that-overflows-0123456789';
    const line = new LiveTable({ wide: false, width: 100 }).row(podEvent({ args: longArgs }, { pod }));
    expect(line).toContain(pod);
    expect(line.endsWith('…')).toBe(true);
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
