/**
 * bpftrace `-f json` lines → typed records.
 * KEEP IN SYNC with bpf/trace-exec.bt.tmpl: the printf formats there are parsed here;
 * records-template.test.ts renders every variant and checks each format against this parser.
 */

/**
 * Records by what they mean; the program's one-letter tag (its printf's first word) is in each
 * comment. Words kept apart: an exec *returns* (X), a process *ends* (Z: --exits reports it) or is
 * *gone* (Q: --ancestry forgets it), the tracer *ends* (src/node/runner.ts TracerEnd).
 */
export type TraceRecord =
  /**
   * B: bpftrace ran BEGIN; its kernel monotonic clock then, to turn later clocks into wall time.
   * Not yet tracing: bpftrace attaches the probes after BEGIN (the S records say when it has).
   */
  | { kind: 'clock'; monoNs: bigint }
  /**
   * S: the probe written first (end 1) or last (end 2) fired for the first time. With both ends,
   * every probe between them is attached: the node is tracing from then on.
   */
  | { kind: 'tracing'; end: 1 | 2; monoNs: bigint }
  /** P: one name of a cgroup's path (level 0 the leaf), printed once per cgroup seen. */
  | { kind: 'cgroupName'; hier: 1 | 2; cgroupId: string; level: number; name: string }
  /** E: an exec entered (sys_enter_execve). */
  | {
      kind: 'execEnter';
      /** The exec's key, shared by its execArg, execReturn and reread records: "<tid>:<enter mono ns>". */
      key: string;
      tid: number;
      pid: number;
      ppid: number;
      uid: number;
      monoNs: bigint;
      cg2: string;
      cg1: string;
      /** How many arguments argv had, up to the program's ARGS_MAX + 1 (= more than were read). */
      argc: number;
      /** The path passed to exec, cut at the string size. */
      filename: string;
    }
  /** A: one argument of an exec; key as in its execEnter. */
  | { kind: 'execArg'; key: string; tid: number; index: number; arg: string }
  /**
   * X: an exec returned (sys_exit_execve). upper: where the new program's executable sits: 1
   * overlayfs upper layer, 2 lower, 0 neither or not known. The rest is the exec's context
   * (ExecContext in types.ts): cwdId and exeId name paths printed as pathName records ('0': none).
   */
  | {
      kind: 'execReturn';
      key: string;
      tid: number;
      retval: number;
      upper: 0 | 1 | 2;
      memfd: boolean;
      deleted: boolean;
      /** 1: the topmost ancestor in the exec's cgroup is pid 1 of its pid namespace; 2: it is not; 0: not known. */
      tree: 0 | 1 | 2;
      /** The controlling terminal's device number (major << 20 | minor); 0: none. */
      tty: number;
      /** null when unset. */
      loginUid: number | null;
      sessionId: number | null;
      /** The host pid of the topmost ancestor in the exec's cgroup; 0: not known. */
      leader: number;
      cwdId: string;
      exeId: string;
      comm: string;
    }
  /** D: one component of a path (cwd, exe), level 0 = leaf; '' after the top one, '/' where the path was cut. */
  | { kind: 'pathName'; pathId: string; level: number; name: string }
  /** F and R: a successful exec's strings read again from the new program (its entry read some as empty). */
  | { kind: 'rereadFilename'; key: string; tid: number; argc: number; filename: string }
  | { kind: 'rereadArg'; key: string; tid: number; index: number; arg: string }
  /** C, --ancestry: a process forked (threads are left out). */
  | { kind: 'fork'; ppid: number; pid: number; monoNs: bigint; comm: string }
  /** Q, --ancestry: a process is gone (it exited): the process tree forgets it. */
  | { kind: 'gone'; pid: number; monoNs: bigint }
  /**
   * Z, --exits: a process whose exec succeeded while tracing ended (its last thread exited).
   * execMonoNs is the enter time of its last exec (as in that exec's execEnter); status the kernel's
   * wait status.
   */
  | { kind: 'processEnd'; pid: number; execMonoNs: bigint; monoNs: bigint; status: number }
  | { kind: 'lost'; count: number }
  /** bpftrace's attached_probes line: printed before it attaches them (S says when it has). */
  | { kind: 'attached'; probes: number }
  /** Output bpftrace prints that carries no exec (K keepalives, maps at exit, time stamps…). */
  | { kind: 'other'; type: string }
  | { kind: 'malformed'; line: string; reason: string };

const INT = /^-?\d+$/;
const UINT = /^\d+$/;

/**
 * bpftrace 0.17 escapes bytes >= 0x80 in JSON strings as \uffffffXX (a sign-extended char). Map them
 * back to the byte so the string can be decoded as the UTF-8 it was.
 */
export function parseJson(line: string): unknown {
  if (!line.includes('\\uffffff')) return JSON.parse(line);
  // Only a backslash that starts an escape counts: one preceded by an even number of backslashes.
  const mapped = line.replace(/(?<!\\)((?:\\\\)*)\\uffffff([0-9a-fA-F]{2})/g, '$1\\u00$2');
  return JSON.parse(mapped, (_key, value: unknown) =>
    typeof value === 'string' && /[\u0080-\u00ff]/.test(value) && !/[^\u0000-\u00ff]/.test(value)
      ? Buffer.from(value, 'latin1').toString('utf8')
      : value,
  );
}

/** How bpftrace (0.17 and later) writes a printf record; the JSON around the text is fixed. */
const PRINTF_HEAD = '{"type": "printf", "data": "';
const PRINTF_TAIL = '\\n"}';

/**
 * Where the text of a plain printf record starts in the line s[from, to), or -1. Plain: a printf
 * whose text needs no JSON unescaping (no backslash but its final \n, no quote), the common record;
 * its text (without the \n) is s[start, to - 4). The decoder reads such lines in place.
 */
export function plainPrintfAt(s: string, from: number, to: number): number {
  if (to - from < PRINTF_HEAD.length + PRINTF_TAIL.length || !s.startsWith(PRINTF_HEAD, from)) return -1;
  const end = to - PRINTF_TAIL.length;
  if (!s.startsWith(PRINTF_TAIL, end)) return -1;
  const start = from + PRINTF_HEAD.length;
  // The tail's own backslash and quote end both searches.
  return s.indexOf('\\', start) < end || s.indexOf('"', start) < end ? -1 : start;
}

export function parseRecord(line: string): TraceRecord | null {
  // Fast path for the common record: a printf whose text needs no JSON unescaping (no backslash
  // but the final \n, no quote). It skips JSON.parse, about a third of the parsing cost per exec.
  if (line.startsWith(PRINTF_HEAD) && line.endsWith(PRINTF_TAIL)) {
    const text = line.slice(PRINTF_HEAD.length, line.length - PRINTF_TAIL.length);
    if (!text.includes('\\') && !text.includes('"')) return parsePrintf(text, line);
  }
  if (line.trim() === '') return null;
  let obj: unknown;
  try {
    obj = parseJson(line);
  } catch {
    return { kind: 'malformed', line, reason: 'not JSON' };
  }
  if (typeof obj !== 'object' || obj === null || typeof (obj as { type?: unknown }).type !== 'string') {
    return { kind: 'malformed', line, reason: 'not a bpftrace record' };
  }
  const { type, data } = obj as { type: string; data: unknown };
  switch (type) {
    case 'printf':
      // Every format ends in exactly one '\n'; an argument may itself end in newlines, so strip only one.
      return typeof data === 'string'
        ? parsePrintf(data.endsWith('\n') ? data.slice(0, -1) : data, line)
        : { kind: 'malformed', line, reason: 'printf without text' };
    case 'lost_events': {
      const d = data as { events?: unknown; count?: unknown } | null;
      const count = Number(d?.events ?? d?.count);
      return Number.isFinite(count) ? { kind: 'lost', count } : { kind: 'malformed', line, reason: 'lost_events without a count' };
    }
    case 'attached_probes':
      return { kind: 'attached', probes: Number((data as { probes?: unknown } | null)?.probes ?? 0) };
    default:
      return { kind: 'other', type };
  }
}

/** Splits off `n` space-separated fields; the rest of the text (which may hold spaces) comes last. */
function fields(text: string, n: number): string[] | null {
  const out: string[] = [];
  let pos = 0;
  for (let i = 0; i < n; i++) {
    const sp = text.indexOf(' ', pos);
    if (sp < 0) {
      if (i === n - 1 && pos <= text.length) {
        out.push(text.slice(pos));
        return [...out, ''];
      }
      return null;
    }
    out.push(text.slice(pos, sp));
    pos = sp + 1;
  }
  out.push(text.slice(pos));
  return out;
}

/**
 * The end of the decimal integer (optionally negative) that starts at `from` and ends at a space or
 * at `to`; -1 when there is none. The hot records (E, A, X) are read with this and charCodeAt rather
 * than split and regular expressions: it runs ~3 times per exec.
 */
function intEnd(text: string, from: number, to: number): number {
  let i = from;
  if (i < to && text.charCodeAt(i) === 45 /* - */) i++;
  const digits = i;
  while (i < to) {
    const c = text.charCodeAt(i);
    if (c === 32) break;
    if (c < 48 || c > 57) return -1;
    i++;
  }
  return i > digits ? i : -1;
}

/** text is the printf's text without its final newline. */
function parsePrintf(text: string, line: string): TraceRecord {
  const bad = (reason: string): TraceRecord => ({ kind: 'malformed', line, reason });
  if (text.charCodeAt(1) === 32) {
    const hot = text.charCodeAt(0);
    if (hot === 69 /* E */) return parseE(text) ?? bad('bad E record');
    if (hot === 65 /* A */) return parseA(text) ?? bad('bad A record');
    if (hot === 88 /* X */) return parseX(text) ?? bad('bad X record');
    if (hot === 70 /* F */) return parseA(text, 'rereadFilename') ?? bad('bad F record');
    if (hot === 82 /* R */) return parseA(text, 'rereadArg') ?? bad('bad R record');
  }
  const tag = text.slice(0, 2);
  switch (tag) {
    case 'K ':
      return { kind: 'other', type: 'keepalive' };
    case 'C ': {
      const f = fields(text.slice(2), 3);
      if (!f || !UINT.test(f[0]!) || !UINT.test(f[1]!) || !UINT.test(f[2]!)) return bad('bad C record');
      return { kind: 'fork', ppid: Number(f[0]), pid: Number(f[1]), monoNs: BigInt(f[2]!), comm: f[3]! };
    }
    case 'Q ': {
      const f = text.slice(2).split(' ');
      if (f.length !== 2 || !UINT.test(f[0]!) || !UINT.test(f[1]!)) return bad('bad Q record');
      return { kind: 'gone', pid: Number(f[0]), monoNs: BigInt(f[1]!) };
    }
    case 'Z ': {
      const f = text.slice(2).split(' ');
      if (f.length !== 4 || !UINT.test(f[0]!) || !UINT.test(f[1]!) || !UINT.test(f[2]!) || !INT.test(f[3]!)) return bad('bad Z record');
      return { kind: 'processEnd', pid: Number(f[0]), execMonoNs: BigInt(f[1]!), monoNs: BigInt(f[2]!), status: Number(f[3]) };
    }
    case 'B ': {
      const v = text.slice(2);
      return UINT.test(v) ? { kind: 'clock', monoNs: BigInt(v) } : bad('B record without a clock');
    }
    case 'S ': {
      const f = text.slice(2).split(' ');
      if (f.length !== 2 || (f[0] !== '1' && f[0] !== '2') || !UINT.test(f[1]!)) return bad('bad S record');
      return { kind: 'tracing', end: f[0] === '1' ? 1 : 2, monoNs: BigInt(f[1]!) };
    }
    case 'D ': {
      const f = fields(text.slice(2), 2);
      if (!f || !UINT.test(f[0]!) || !UINT.test(f[1]!)) return bad('bad D record');
      return { kind: 'pathName', pathId: f[0]!, level: Number(f[1]), name: f[2]! };
    }
    case 'P ': {
      const f = fields(text.slice(2), 3);
      if (!f || (f[0] !== '1' && f[0] !== '2') || !UINT.test(f[1]!) || !UINT.test(f[2]!)) return bad('bad P record');
      return { kind: 'cgroupName', hier: f[0] === '1' ? 1 : 2, cgroupId: f[1]!, level: Number(f[2]), name: f[3]! };
    }
    default:
      return bad('unknown printf record');
  }
}

/**
 * The fields of one hot record (E, A, X, and F, R of the same shape as A), read in place from the
 * text they are in: the decoder reads every exec's records into one reused HotFields and hands it to
 * the assembler, which copies what it keeps (no object per record). Which fields a record sets is
 * in each reader's comment; the others keep what the last record left.
 */
export class HotFields {
  /** E: "<tid>:<enter mono ns>" as printed, the exec's key in every one of its records (keyOf() for A, X). */
  key = '';
  /** The text the record was read from, and where its tid and enter clock are in it. */
  src = '';
  tidAt = 0;
  tidEnd = 0;
  monoAt = 0;
  monoEnd = 0;
  tid = 0;
  pid = 0;
  ppid = 0;
  uid = 0;
  /** The enter clock as printed (decimal digits, BigInt-able). */
  mono = '';
  cg2 = '';
  cg1 = '';
  /** E and F: argc; A and R: the argument's index. */
  n = 0;
  /** E and F: the filename; A and R: the argument; X: comm. */
  text = '';
  retval = 0;
  upper: 0 | 1 | 2 = 0;
  memfd = false;
  deleted = false;
  tree: 0 | 1 | 2 = 0;
  tty = 0;
  loginUid: number | null = null;
  sessionId: number | null = null;
  leader = 0;
  cwdId = '';
  exeId = '';
}

/** The key of the record last read into f: "<tid>:<enter mono ns>" as printed. */
export function keyOf(f: HotFields): string {
  return `${f.src.slice(f.tidAt, f.tidEnd)}:${f.src.slice(f.monoAt, f.monoEnd)}`;
}

/** keyOf(f) === key, without making the string. */
export function isKey(f: HotFields, key: string): boolean {
  const t = f.tidEnd - f.tidAt;
  if (key.length !== t + 1 + f.monoEnd - f.monoAt || key.charCodeAt(t) !== 58 /* : */) return false;
  const s = f.src;
  for (let i = 0; i < t; i++) if (key.charCodeAt(i) !== s.charCodeAt(f.tidAt + i)) return false;
  for (let i = f.monoAt, j = t + 1; i < f.monoEnd; i++, j++) if (key.charCodeAt(j) !== s.charCodeAt(i)) return false;
  return true;
}

/** The integer field s[from, to) (digits, maybe a leading '-'): exact as Number(s.slice(from, to)). */
function num(s: string, from: number, to: number): number {
  // Up to 15 digits the sum is exact; longer ones round as Number() rounds.
  if (to - from > 15) return Number(s.slice(from, to));
  let i = from;
  const negative = s.charCodeAt(i) === 45;
  if (negative) i++;
  let v = 0;
  for (; i < to; i++) v = v * 10 + (s.charCodeAt(i) - 48);
  return negative ? -v : v;
}

/**
 * Where the integer fields of a record end: END[i] for field i, read from `from` (the tag) + 2 up
 * to `to`. Each is followed by a space and the next field; the last may end the text (then the
 * string field after it is empty). Shared, like HotFields: the readers are not re-entered.
 */
const END: number[] = new Array(10).fill(0);

function ends(s: string, from: number, to: number, n: number): boolean {
  let at = from + 2;
  for (let i = 0; i < n; i++) {
    const end = intEnd(s, at, to);
    if (end < 0 || (end === to && i < n - 1)) return false;
    END[i] = end;
    at = end + 1;
  }
  return true;
}

/** The field after integer field i starts with '-' (s[to] is never '-': it ends the text or the string). */
const minusAfter = (s: string, i: number, to: number): boolean => END[i]! + 1 < to && s.charCodeAt(END[i]! + 1) === 45;

/** The string field after the last integer field: the rest of the text ('' when the integers end it). */
const rest = (s: string, last: number, to: number): string => (END[last]! === to ? '' : s.slice(END[last]! + 1, to));

function at(f: HotFields, s: string, tidAt: number, tidEnd: number, monoAt: number, monoEnd: number): void {
  f.src = s;
  f.tidAt = tidAt;
  f.tidEnd = tidEnd;
  f.monoAt = monoAt;
  f.monoEnd = monoEnd;
}

/**
 * E <tid> <pid> <ppid> <uid> <mono_ns> <cg2> <cg1> <argc> <filename>, the printf text s[from, to)
 * without its newline. Sets key (and its place), tid, pid, ppid, uid, mono, cg2, cg1, n (argc), text (filename).
 */
export function readE(s: string, from: number, to: number, f: HotFields): boolean {
  if (!ends(s, from, to, 8)) return false;
  const mono = s.slice(END[3]! + 1, END[4]);
  f.key = `${s.slice(from + 2, END[0])}:${mono}`;
  at(f, s, from + 2, END[0]!, END[3]! + 1, END[4]!);
  f.tid = num(s, from + 2, END[0]!);
  f.pid = num(s, END[0]! + 1, END[1]!);
  f.ppid = num(s, END[1]! + 1, END[2]!);
  f.uid = num(s, END[2]! + 1, END[3]!);
  f.mono = mono;
  f.cg2 = s.slice(END[4]! + 1, END[5]);
  f.cg1 = s.slice(END[5]! + 1, END[6]);
  f.n = num(s, END[6]! + 1, END[7]!);
  f.text = rest(s, 7, to);
  return true;
}

/**
 * A <tid> <enter_mono_ns> <index> <arg>, and the two records of the same shape: R (an argument read
 * again) and F <tid> <enter_mono_ns> <argc> <filename>. The clock and the number are never negative.
 * Sets the key's place (keyOf), tid, n, text.
 */
export function readA(s: string, from: number, to: number, f: HotFields): boolean {
  if (!ends(s, from, to, 3) || minusAfter(s, 0, to) || minusAfter(s, 1, to)) return false;
  at(f, s, from + 2, END[0]!, END[0]! + 1, END[1]!);
  f.tid = num(s, from + 2, END[0]!);
  f.n = num(s, END[1]! + 1, END[2]!);
  f.text = rest(s, 2, to);
  return true;
}

/**
 * X <tid> <retval> <enter_mono_ns> <props> <tty> <loginuid + 1> <sessionid + 1> <leader> <cwd> <exe> <comm>.
 * props: bits 0-1 the layer (upper), bit 2 memfd, bit 3 deleted, bits 4-5 the init tree. Only
 * retval may be negative (and comm may not start with '-'). Sets the key's place (keyOf), tid, retval, upper, memfd,
 * deleted, tree, tty, loginUid, sessionId, leader, cwdId, exeId, text (comm).
 */
export function readX(s: string, from: number, to: number, f: HotFields): boolean {
  if (!ends(s, from, to, 10)) return false;
  for (let i = 1; i < 10; i++) if (minusAfter(s, i, to)) return false;
  const props = num(s, END[2]! + 1, END[3]!);
  const upper = props & 3;
  const tree = (props >> 4) & 3;
  if (upper === 3 || tree === 3 || props > 63) return false;
  const loginUid = num(s, END[4]! + 1, END[5]!);
  const sessionId = num(s, END[5]! + 1, END[6]!);
  at(f, s, from + 2, END[0]!, END[1]! + 1, END[2]!);
  f.tid = num(s, from + 2, END[0]!);
  f.retval = num(s, END[0]! + 1, END[1]!);
  f.upper = upper as 0 | 1 | 2;
  f.memfd = (props & 4) !== 0;
  f.deleted = (props & 8) !== 0;
  f.tree = tree as 0 | 1 | 2;
  f.tty = num(s, END[3]! + 1, END[4]!);
  // Printed + 1, so that unset (4294967295) is 0.
  f.loginUid = loginUid === 0 ? null : loginUid - 1;
  f.sessionId = sessionId === 0 ? null : sessionId - 1;
  f.leader = num(s, END[6]! + 1, END[7]!);
  f.cwdId = s.slice(END[7]! + 1, END[8]);
  f.exeId = s.slice(END[8]! + 1, END[9]);
  f.text = rest(s, 9, to);
  return true;
}

/** parseRecord's readers write here; the decoder has its own. */
const scratch = new HotFields();

function parseE(text: string): TraceRecord | null {
  const f = scratch;
  if (!readE(text, 0, text.length, f)) return null;
  return {
    kind: 'execEnter',
    key: f.key,
    tid: f.tid,
    pid: f.pid,
    ppid: f.ppid,
    uid: f.uid,
    monoNs: BigInt(f.mono),
    cg2: f.cg2,
    cg1: f.cg1,
    argc: f.n,
    filename: f.text,
  };
}

function parseA(text: string, kind: 'execArg' | 'rereadFilename' | 'rereadArg' = 'execArg'): TraceRecord | null {
  const f = scratch;
  if (!readA(text, 0, text.length, f)) return null;
  const key = keyOf(f);
  if (kind === 'rereadFilename') return { kind, key, tid: f.tid, argc: f.n, filename: f.text };
  return { kind, key, tid: f.tid, index: f.n, arg: f.text };
}

function parseX(text: string): TraceRecord | null {
  const f = scratch;
  if (!readX(text, 0, text.length, f)) return null;
  return {
    kind: 'execReturn',
    key: keyOf(f),
    tid: f.tid,
    retval: f.retval,
    upper: f.upper,
    memfd: f.memfd,
    deleted: f.deleted,
    tree: f.tree,
    tty: f.tty,
    loginUid: f.loginUid,
    sessionId: f.sessionId,
    leader: f.leader,
    cwdId: f.cwdId,
    exeId: f.exeId,
    comm: f.text,
  };
}
