import { describe, expect, it } from 'vitest';
import { parseRecord, type TraceRecord } from './records.js';

/** A bpftrace `-f json` printf line, as bpftrace writes it (a space after each ':' and ','). */
const printf = (data: string): string => `{"type": "printf", "data": ${JSON.stringify(data)}}`;

/** X's context when the program knew none of it (a failed exec outside any session). */
const NOTHING = {
  memfd: false,
  deleted: false,
  tree: 0,
  tty: 0,
  loginUid: null,
  sessionId: null,
  leader: 0,
  cwdId: '0',
  exeId: '0',
} as const;

describe('parseRecord', () => {
  describe('each printf record of bpf/trace-exec.bt.tmpl', () => {
    it.each<[string, string, TraceRecord]>([
      ['B: tracer started, with its clock', printf('B 5123456789012\n'), { kind: 'clock', monoNs: 5123456789012n }],
      [
        'P: a cgroup v2 path component',
        printf('P 2 7421 0 cri-containerd-0123.scope\n'),
        { kind: 'cgroupName', hier: 2, cgroupId: '7421', level: 0, name: 'cri-containerd-0123.scope' },
      ],
      [
        'P: a cgroup v1 path component',
        printf('P 1 93 1 kubepods.slice\n'),
        { kind: 'cgroupName', hier: 1, cgroupId: '93', level: 1, name: 'kubepods.slice' },
      ],
      ['P: the hierarchy root has an empty name', printf('P 2 1 3 \n'), { kind: 'cgroupName', hier: 2, cgroupId: '1', level: 3, name: '' }],
      [
        'P: a name with spaces',
        printf('P 2 55 0 my unit.scope\n'),
        { kind: 'cgroupName', hier: 2, cgroupId: '55', level: 0, name: 'my unit.scope' },
      ],
      [
        'E: exec entered',
        printf('E 4299 4299 4100 1000 5123456790000 7421 0 3 /usr/bin/env\n'),
        {
          kind: 'execEnter',
          key: '4299:5123456790000',
          tid: 4299,
          pid: 4299,
          ppid: 4100,
          uid: 1000,
          monoNs: 5123456790000n,
          cg2: '7421',
          cg1: '0',
          argc: 3,
          filename: '/usr/bin/env',
        },
      ],
      [
        'E: argc as printed (ARGS_MAX + 1 says more; the assembler knows ARGS_MAX)',
        printf('E 12 10 1 0 99 0 88 33 /bin/sh\n'),
        {
          kind: 'execEnter',
          key: '12:99',
          tid: 12,
          pid: 10,
          ppid: 1,
          uid: 0,
          monoNs: 99n,
          cg2: '0',
          cg1: '88',
          argc: 33,
          filename: '/bin/sh',
        },
      ],
      [
        'E: a filename with spaces',
        printf('E 1 1 0 0 5 0 0 1 /opt/My App/run\n'),
        {
          kind: 'execEnter',
          key: '1:5',
          tid: 1,
          pid: 1,
          ppid: 0,
          uid: 0,
          monoNs: 5n,
          cg2: '0',
          cg1: '0',
          argc: 1,
          filename: '/opt/My App/run',
        },
      ],
      [
        'E: an empty filename (not read)',
        printf('E 1 1 0 0 5 0 0 1 \n'),
        { kind: 'execEnter', key: '1:5', tid: 1, pid: 1, ppid: 0, uid: 0, monoNs: 5n, cg2: '0', cg1: '0', argc: 1, filename: '' },
      ],
      [
        'F: the filename read again, with the new argc',
        printf('F 4299 77 2 /opt/My App/run\n'),
        { kind: 'rereadFilename', key: '4299:77', tid: 4299, argc: 2, filename: '/opt/My App/run' },
      ],
      [
        'R: an argument read again',
        printf('R 4299 77 1 -c echo\n'),
        { kind: 'rereadArg', key: '4299:77', tid: 4299, index: 1, arg: '-c echo' },
      ],
      ['R: an empty argument', printf('R 4299 77 1 \n'), { kind: 'rereadArg', key: '4299:77', tid: 4299, index: 1, arg: '' }],
      ['A: one argument', printf('A 4299 77 0 ls\n'), { kind: 'execArg', key: '4299:77', tid: 4299, index: 0, arg: 'ls' }],
      [
        'A: an argument with spaces',
        printf('A 4299 77 2 -c echo hi  there\n'),
        { kind: 'execArg', key: '4299:77', tid: 4299, index: 2, arg: '-c echo hi  there' },
      ],
      ['A: an empty argument', printf('A 4299 77 3 \n'), { kind: 'execArg', key: '4299:77', tid: 4299, index: 3, arg: '' }],
      [
        'A: an argument ending in a newline keeps it',
        printf('A 1 77 0 a\n\n'),
        { kind: 'execArg', key: '1:77', tid: 1, index: 0, arg: 'a\n' },
      ],
      ['A: an argument that is only newlines', printf('A 1 77 0 \n\n\n'), { kind: 'execArg', key: '1:77', tid: 1, index: 0, arg: '\n\n' }],
      [
        'X: exec returned',
        printf('X 4299 0 5123456790000 0 0 0 0 0 0 0 ls\n'),
        { kind: 'execReturn', key: '4299:5123456790000', tid: 4299, retval: 0, upper: 0, ...NOTHING, comm: 'ls' },
      ],
      [
        'X: a failed exec',
        printf('X 4299 -2 77 0 0 0 0 0 0 0 bash\n'),
        { kind: 'execReturn', key: '4299:77', tid: 4299, retval: -2, upper: 0, ...NOTHING, comm: 'bash' },
      ],
      [
        'X: a comm with spaces',
        printf('X 8 0 77 0 0 0 0 0 0 0 kworker u8:1 x\n'),
        { kind: 'execReturn', key: '8:77', tid: 8, retval: 0, upper: 0, ...NOTHING, comm: 'kworker u8:1 x' },
      ],
      [
        'X: the executable is in an overlayfs upper layer',
        printf('X 8 0 77 1 0 0 0 0 0 0 miner\n'),
        { kind: 'execReturn', key: '8:77', tid: 8, retval: 0, upper: 1, ...NOTHING, comm: 'miner' },
      ],
      [
        'X: the executable is in a lower (image) layer',
        printf('X 8 0 77 2 0 0 0 0 0 0 nginx\n'),
        { kind: 'execReturn', key: '8:77', tid: 8, retval: 0, upper: 2, ...NOTHING, comm: 'nginx' },
      ],
      [
        'X: a comm that starts with a digit',
        printf('X 8 0 77 2 0 0 0 0 0 0 7z\n'),
        { kind: 'execReturn', key: '8:77', tid: 8, retval: 0, upper: 2, ...NOTHING, comm: '7z' },
      ],
      [
        'X: an empty comm',
        printf('X 8 0 77 1 0 0 0 0 0 0 \n'),
        { kind: 'execReturn', key: '8:77', tid: 8, retval: 0, upper: 1, ...NOTHING, comm: '' },
      ],
      [
        'X: the exec context: memfd + deleted (props 12), init tree (16), pts/3, loginuid 1000 and session 4 (printed + 1), leader, cwd and exe ids',
        printf('X 8 0 77 28 142606339 1001 5 4100 12345678901234567890 9876543210 3\n'),
        {
          kind: 'execReturn',
          key: '8:77',
          tid: 8,
          retval: 0,
          upper: 0,
          memfd: true,
          deleted: true,
          tree: 1,
          tty: 142606339,
          loginUid: 1000,
          sessionId: 4,
          leader: 4100,
          cwdId: '12345678901234567890',
          exeId: '9876543210',
          comm: '3',
        },
      ],
      [
        'X: entered from outside the init tree (props 32 + lower layer 2), loginuid 0 (root logged in: printed 1)',
        printf('X 8 0 77 34 0 1 1 4200 5 6 sh\n'),
        {
          kind: 'execReturn',
          key: '8:77',
          tid: 8,
          retval: 0,
          upper: 2,
          ...NOTHING,
          tree: 2,
          loginUid: 0,
          sessionId: 0,
          leader: 4200,
          cwdId: '5',
          exeId: '6',
          comm: 'sh',
        },
      ],
      [
        'D: a path component',
        printf('D 12345678901234567890 1 my dir ü\n'),
        { kind: 'pathName', pathId: '12345678901234567890', level: 1, name: 'my dir ü' },
      ],
      ['D: the top of a path', printf('D 5 2 \n'), { kind: 'pathName', pathId: '5', level: 2, name: '' }],
      ['D: a cut path', printf('D 5 24 /\n'), { kind: 'pathName', pathId: '5', level: 24, name: '/' }],
      [
        'Z: a process ended with exit(3)',
        printf('Z 4299 5123456790000 5124456790000 768\n'),
        { kind: 'processEnd', pid: 4299, execMonoNs: 5123456790000n, monoNs: 5124456790000n, status: 768 },
      ],
      [
        'Z: a process killed by SIGKILL',
        printf('Z 12 77 99 9\n'),
        { kind: 'processEnd', pid: 12, execMonoNs: 77n, monoNs: 99n, status: 9 },
      ],
      ['K: keepalive carries nothing', printf('K 5183456789012\n'), { kind: 'other', type: 'keepalive' }],
    ])('%s', (_name, line, record) => {
      expect(parseRecord(line)).toEqual(record);
    });
  });

  describe("bpftrace's own records", () => {
    it.each<[string, string, TraceRecord]>([
      ['attached_probes', '{"type": "attached_probes", "data": {"probes": 45}}', { kind: 'attached', probes: 45 }],
      ['attached_probes without data', '{"type": "attached_probes"}', { kind: 'attached', probes: 0 }],
      ['lost_events (0.17: events)', '{"type": "lost_events", "data": {"events": 12}}', { kind: 'lost', count: 12 }],
      ['lost_events (0.24: count)', '{"type": "lost_events", "data": {"count": 7}}', { kind: 'lost', count: 7 }],
      ['a map printed at exit', '{"type": "map", "data": {"@start": {}}}', { kind: 'other', type: 'map' }],
      ['a time stamp', '{"type": "time", "data": "11:47:59\\n"}', { kind: 'other', type: 'time' }],
    ])('%s', (_name, line, record) => {
      expect(parseRecord(line)).toEqual(record);
    });
  });

  it.each(['', '   ', '\t'])('a blank line %j is no record', (line) => {
    expect(parseRecord(line)).toBeNull();
  });

  describe('garbage is reported as malformed, with the line and a reason', () => {
    it.each<[string, string, string]>([
      ['not JSON', 'Attaching 45 probes...', 'not JSON'],
      ['cut-off JSON', '{"type": "printf", "data": "E 1', 'not JSON'],
      ['JSON without type', '{"data": "B 1\\n"}', 'not a bpftrace record'],
      ['JSON with a non-string type', '{"type": 3}', 'not a bpftrace record'],
      ['JSON null', 'null', 'not a bpftrace record'],
      ['a JSON string', '"B 1"', 'not a bpftrace record'],
      ['printf without a string', '{"type": "printf", "data": 42}', 'printf without text'],
      ['lost_events without a count', '{"type": "lost_events", "data": {}}', 'lost_events without a count'],
      ['lost_events with null data', '{"type": "lost_events", "data": null}', 'lost_events without a count'],
      ['an unknown tag', printf('Y 1 2\n'), 'unknown printf record'],
      ['Z with too few fields', printf('Z 1 2 3\n'), 'bad Z record'],
      ['Z with a negative clock', printf('Z 1 -2 3 0\n'), 'bad Z record'],
      ['a tag without its space', printf('B\n'), 'unknown printf record'],
      ['B without a clock', printf('B \n'), 'B record without a clock'],
      ['B with a negative clock', printf('B -5\n'), 'B record without a clock'],
      ['E with too few fields', printf('E 1 2 3 4 5 6 7\n'), 'bad E record'],
      ['E with a non-number', printf('E 1 2 3 4 5 6 7 x /bin/sh\n'), 'bad E record'],
      ['P in hierarchy 3', printf('P 3 1 0 x\n'), 'bad P record'],
      ['P without a level', printf('P 2 1\n'), 'bad P record'],
      ['F of an older program (no argc)', printf('F 1 5 /bin/sh\n'), 'bad F record'],
      ['A with a negative index', printf('A 1 77 -1 x\n'), 'bad A record'],
      ['F without argc', printf('F 1 77\n'), 'bad F record'],
      ['R with a negative index', printf('R 1 77 -1 x\n'), 'bad R record'],
      ['X with a non-number retval', printf('X 1 oops 5 sh\n'), 'bad X record'],
      ['X without an enter time', printf('X 1 0\n'), 'bad X record'],
      ['X without upper', printf('X 1 0 5\n'), 'bad X record'],
      ['X of an older program (comm where upper is)', printf('X 1 0 5 sh\n'), 'bad X record'],
      ['X with upper out of range', printf('X 1 0 5 3 sh\n'), 'bad X record'],
      ['X with a two-digit upper', printf('X 1 0 5 12 sh\n'), 'bad X record'],
      ['X of the program before the exec context (comm where tty is)', printf('X 1 0 5 0 sh\n'), 'bad X record'],
      ['X with props saying layer 3', printf('X 1 0 5 3 0 0 0 0 0 0 sh\n'), 'bad X record'],
      ['X with props saying tree 3', printf('X 1 0 5 48 0 0 0 0 0 0 sh\n'), 'bad X record'],
      ['X with props past its bits', printf('X 1 0 5 64 0 0 0 0 0 0 sh\n'), 'bad X record'],
      ['X with a negative tty', printf('X 1 0 5 0 -1 0 0 0 0 0 sh\n'), 'bad X record'],
      ['X without its exe id', printf('X 1 0 5 0 0 0 0 0 0\n'), 'bad X record'],
      ['D without a level', printf('D 5\n'), 'bad D record'],
      ['D with a negative level', printf('D 5 -1 x\n'), 'bad D record'],
    ])('%s', (_name, line, reason) => {
      expect(parseRecord(line)).toEqual({ kind: 'malformed', line, reason });
    });
  });

  describe('bytes >= 0x80', () => {
    it('bpftrace 0.17 escapes them as \\uffffffXX: decoded back to the UTF-8 they were', () => {
      const line = String.raw`{"type": "printf", "data": "A 4299 77 4 gr\uffffffc3\uffffffbc\uffffffc3\uffffff9fe \uffffffe2\uffffff9c\uffffff93\n"}`;
      expect(parseRecord(line)).toEqual({ kind: 'execArg', key: '4299:77', tid: 4299, index: 4, arg: 'grüße ✓' });
    });

    it('0.17 escapes with upper-case hex digits decode too', () => {
      const line = String.raw`{"type": "printf", "data": "E 7 7 1 0 77 0 0 1 /tmp/\uffffffE6\uffffff97\uffffffA5\n"}`;
      expect(parseRecord(line)).toMatchObject({ kind: 'execEnter', tid: 7, monoNs: 77n, filename: '/tmp/日' });
    });

    it('a character cut by the string size becomes a replacement character', () => {
      const line = String.raw`{"type": "printf", "data": "A 1 77 0 ab\uffffffe2\uffffff9c\n"}`;
      expect(parseRecord(line)).toEqual({ kind: 'execArg', key: '1:77', tid: 1, index: 0, arg: 'ab\ufffd' });
    });

    it('newer bpftrace writes real UTF-8, which stays as it is', () => {
      expect(parseRecord(printf('A 4299 77 4 grüße ✓\n'))).toEqual({
        kind: 'execArg',
        key: '4299:77',
        tid: 4299,
        index: 4,
        arg: 'grüße ✓',
      });
      expect(parseRecord('{"type": "printf", "data": "A 1 77 0 \\u00e9t\\u00e9\\n"}')).toEqual({
        kind: 'execArg',
        key: '1:77',
        tid: 1,
        index: 0,
        arg: 'été',
      });
    });

    it('an argument that literally spells \\uffffffc3 is not taken for an escape', () => {
      // The argument is the 10 characters `\uffffffc3`; JSON escapes its backslash.
      const line = String.raw`{"type": "printf", "data": "A 1 77 0 \\uffffffc3 gr\uffffffc3\uffffffbc\n"}`;
      expect(parseRecord(line)).toEqual({ kind: 'execArg', key: '1:77', tid: 1, index: 0, arg: String.raw`\uffffffc3 grü` });
    });

    it('an escaped backslash right before an escape keeps both', () => {
      const line = String.raw`{"type": "printf", "data": "A 1 77 0 C:\\\uffffffc3\uffffffbc\n"}`;
      expect(parseRecord(line)).toEqual({ kind: 'execArg', key: '1:77', tid: 1, index: 0, arg: 'C:\\ü' });
    });
  });
});

describe('numbers are read as Number() reads their digits', () => {
  it.each(['0', '007', '-0', '-12', '999999999999999', '9007199254740993', '12345678901234567890', '-98765432109876543210'])('%s', (n) => {
    const rec = parseRecord(printf(`X ${n} ${n} 5 0 0 0 0 ${n.replace('-', '')} 0 0 sh\n`));
    expect(rec).toMatchObject({ kind: 'execReturn', tid: Number(n), retval: Number(n), leader: Number(n.replace('-', '')) });
  });
});

describe('the fast path for plain printf records', () => {
  // The same record written with other JSON spacing takes the JSON.parse path: both must agree.
  it.each([
    'E 4299 4299 4100 0 1001500000 7421 13187 3 /usr/bin/ls',
    'E 4299 4299 4100 0 1001500000 7421 13187 3 /opt/My App/ls',
    'A 4299 1001500000 2 with  spaces ',
    'A 1 77 0 ',
    'X 4299 -2 1001500000 0 0 0 0 0 0 0 bash',
    'X 4299 0 1001500000 1 0 0 0 0 0 0 x y',
    'X 8 0 77 28 142606339 1001 5 4100 12345678901234567890 9876543210 3',
    'D 5 0 memfd:x y',
    'P 2 7421 0 crio-abc.scope',
    'A 1 77 0 grüße ✓ 日本語',
  ])('%j', (text) => {
    const fast = parseRecord(`{"type": "printf", "data": "${text}\\n"}`);
    const slow = parseRecord(`{"type":"printf","data":${JSON.stringify(`${text}\n`)}}`);
    expect(fast).toEqual(slow);
    expect(fast?.kind).not.toBe('malformed');
  });
});
