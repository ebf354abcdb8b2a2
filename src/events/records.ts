/**
 * bpftrace `-f json` lines → typed records.
 * KEEP IN SYNC with bpf/trace-exec.bt.tmpl: the printf formats there are parsed here.
 */

export type TraceRecord =
  | { kind: 'B'; monoNs: bigint }
  | { kind: 'P'; hier: 1 | 2; cgroupId: string; level: number; name: string }
  | {
      kind: 'E';
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
  | { kind: 'A'; tid: number; enterMonoNs: bigint; index: number; arg: string }
  | { kind: 'X'; tid: number; retval: number; enterMonoNs: bigint; comm: string }
  /** --ancestry: a process forked (threads are left out). */
  | { kind: 'fork'; ppid: number; pid: number; monoNs: bigint; comm: string }
  /** --ancestry: a process exited. */
  | { kind: 'exit'; pid: number; monoNs: bigint }
  | { kind: 'lost'; count: number }
  | { kind: 'attached'; probes: number }
  /** Output bpftrace prints that carries no exec (maps at exit, time stamps…). */
  | { kind: 'other'; type: string }
  | { kind: 'malformed'; line: string; reason: string };

const INT = /^-?\d+$/;
const UINT = /^\d+$/;

/**
 * bpftrace 0.17 escapes bytes >= 0x80 in JSON strings as \uffffffXX (a sign-extended char). Map them
 * back to the byte so the string can be decoded as the UTF-8 it was.
 */
function parseJson(line: string): unknown {
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

export function parseRecord(line: string): TraceRecord | null {
  // Fast path for the common record: a printf whose text needs no JSON unescaping (no backslash
  // but the final \n, no quote). It skips JSON.parse, about a third of the parsing cost per exec.
  if (line.startsWith(PRINTF_HEAD) && line.endsWith(PRINTF_TAIL)) {
    const text = line.slice(PRINTF_HEAD.length, line.length - PRINTF_TAIL.length);
    if (!text.includes('\\') && !text.includes('"')) return parsePrintf(`${text}\n`, line);
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
      return typeof data === 'string' ? parsePrintf(data, line) : { kind: 'malformed', line, reason: 'printf without text' };
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

function parsePrintf(data: string, line: string): TraceRecord {
  // Every format ends in exactly one '\n'; an argument may itself end in newlines, so strip only one.
  const text = data.endsWith('\n') ? data.slice(0, -1) : data;
  const bad = (reason: string): TraceRecord => ({ kind: 'malformed', line, reason });
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
      return { kind: 'exit', pid: Number(f[0]), monoNs: BigInt(f[1]!) };
    }
    case 'B ': {
      const v = text.slice(2);
      return UINT.test(v) ? { kind: 'B', monoNs: BigInt(v) } : bad('B record without a clock');
    }
    case 'P ': {
      const f = fields(text.slice(2), 3);
      if (!f || (f[0] !== '1' && f[0] !== '2') || !UINT.test(f[1]!) || !UINT.test(f[2]!)) return bad('bad P record');
      return { kind: 'P', hier: f[0] === '1' ? 1 : 2, cgroupId: f[1]!, level: Number(f[2]), name: f[3]! };
    }
    case 'E ': {
      const f = fields(text.slice(2), 8);
      if (!f) return bad('bad E record');
      for (let i = 0; i < 8; i++) if (!INT.test(f[i]!)) return bad('bad E record');
      return {
        kind: 'E',
        tid: Number(f[0]),
        pid: Number(f[1]),
        ppid: Number(f[2]),
        uid: Number(f[3]),
        monoNs: BigInt(f[4]!),
        cg2: f[5]!,
        cg1: f[6]!,
        argc: Number(f[7]),
        filename: f[8]!,
      };
    }
    case 'A ': {
      const f = fields(text.slice(2), 3);
      if (!f || !INT.test(f[0]!) || !UINT.test(f[1]!) || !UINT.test(f[2]!)) return bad('bad A record');
      return { kind: 'A', tid: Number(f[0]), enterMonoNs: BigInt(f[1]!), index: Number(f[2]), arg: f[3]! };
    }
    case 'X ': {
      const f = fields(text.slice(2), 3);
      if (!f || !INT.test(f[0]!) || !INT.test(f[1]!) || !UINT.test(f[2]!)) return bad('bad X record');
      return { kind: 'X', tid: Number(f[0]), retval: Number(f[1]), enterMonoNs: BigInt(f[2]!), comm: f[3]! };
    }
    default:
      return bad('unknown printf record');
  }
}
