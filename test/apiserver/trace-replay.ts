/**
 * A recorded `bpftrace -f json` stream of trace-exec's program, cut into execs that a simulated node
 * (simulated-node.ts) can send again and again. The lines are replayed byte for byte; the only thing
 * that changes per replayed exec is its key, the enter time in ns that every record of one exec
 * carries: a fresh key makes a fresh exec for the client, and a key that follows the replay's
 * schedule gives it a real-looking `time`. With the pids kept distinct within one copy, (pid, time)
 * of the client's JSON output tells every replayed exec of a node apart.
 *
 * Which record carries which key is read with the client's own parser (src/events/records.ts, kept in
 * sync with bpf/trace-exec.bt.tmpl), and the key is found again in the line as a number: nothing here
 * knows the field positions, so folding or moving fields in the format does not break the replay.
 */
import { parseRecord, type TraceRecord } from '../../src/events/records.js';

/**
 * The B clock of every replay. Fixed at 16 digits (2e15 ns, a node up for 23 days) so that the keys
 * written after it keep their width for the next 80 days of replay, and stay exact as Numbers.
 */
/** A printf record spaced as bpftrace 0.17 prints it (`{"type": "printf", "data": "…"}`): test recordings are written so. */
export const printfRecord = (text: string): string =>
  JSON.stringify({ type: 'printf', data: `${text}\n` })
    .replace(/":"/g, '": "')
    .replace(/","/g, '", "');

export const REPLAY_CLOCK_NS = 2_000_000_000_000_000;
const KEY_DIGITS = 16;

export interface ReplayOptions {
  /** Keep only the execs whose cgroup path (either hierarchy) contains this text. Default: every exec. */
  cgroupIncludes?: string;
}

/** One record line of an exec, with its key as the line spells it. */
interface KeyedLine {
  mono: string;
  line: string;
}

function keyOf(rec: TraceRecord): { tid: number; mono: bigint } | null {
  switch (rec.kind) {
    case 'execEnter':
      return { tid: rec.tid, mono: rec.monoNs };
    case 'rereadFilename':
    case 'rereadArg':
    case 'execArg':
    case 'execReturn':
      // The key as printed: "<tid>:<enter mono ns>".
      return { tid: rec.tid, mono: BigInt(rec.key.slice(rec.key.indexOf(':') + 1)) };
    default:
      return null;
  }
}

/** The positions where `token` stands alone as a number in `line` (not part of a longer number). */
function numberAt(line: string, token: string): number[] {
  const at: number[] = [];
  for (let i = line.indexOf(token); i >= 0; i = line.indexOf(token, i + 1)) {
    const before = line.charCodeAt(i - 1);
    const after = line.charCodeAt(i + token.length);
    const digit = (c: number): boolean => c >= 48 && c <= 57;
    if (!digit(before) && !digit(after)) at.push(i);
  }
  return at;
}

export class TraceReplay {
  /** What a tracer sends before its first exec: attached_probes, B, both S, and the P and D records of the kept cgroups and paths. */
  readonly header: string;
  /** How many distinct execs one copy of the recording holds. */
  readonly execs: number;
  /** All execs, one after the other, each key written as KEY_DIGITS zeros. */
  private readonly body: Buffer;
  /** execs + 1 offsets into body: exec i is body[start[i], start[i + 1]). */
  private readonly start: Uint32Array;
  /** Where the keys go, relative to body; exec i's are slot[slotStart[i], slotStart[i + 1]). */
  private readonly slot: Uint32Array;
  private readonly slotStart: Uint32Array;
  /** Records (lines) per exec: what bpftrace would count as lost events if the exec were dropped. */
  readonly records: Uint16Array;

  private constructor(header: string, execs: { text: string; keys: number[]; records: number }[]) {
    this.header = header;
    this.execs = execs.length;
    const parts = execs.map((e) => Buffer.from(e.text, 'utf8'));
    this.body = Buffer.concat(parts);
    this.start = new Uint32Array(execs.length + 1);
    this.slotStart = new Uint32Array(execs.length + 1);
    this.slot = new Uint32Array(execs.reduce((n, e) => n + e.keys.length, 0));
    this.records = new Uint16Array(execs.map((e) => e.records));
    let at = 0;
    let s = 0;
    execs.forEach((e, i) => {
      this.start[i] = at;
      this.slotStart[i] = s;
      for (const k of e.keys) this.slot[s++] = at + k;
      at += parts[i]!.length;
    });
    this.start[execs.length] = at;
    this.slotStart[execs.length] = s;
  }

  /** Mean bytes of one exec's records. */
  get bytesPerExec(): number {
    return this.body.length / Math.max(1, this.execs);
  }

  /** Bytes of exec i (mod execs). */
  size(i: number): number {
    const j = i % this.execs;
    return this.start[j + 1]! - this.start[j]!;
  }

  /**
   * Writes exec i (mod execs) into buf at `at` with key `monoNs` (REPLAY_CLOCK_NS or later); returns
   * the offset after it. The caller makes room: size(i) bytes.
   */
  write(i: number, monoNs: number, buf: Buffer, at: number): number {
    const j = i % this.execs;
    const from = this.start[j]!;
    this.body.copy(buf, at, from, this.start[j + 1]!);
    const key = String(monoNs);
    for (let s = this.slotStart[j]!; s < this.slotStart[j + 1]!; s++) buf.write(key, at + this.slot[s]! - from, KEY_DIGITS, 'latin1');
    return at + this.start[j + 1]! - from;
  }

  /**
   * Cuts a recording (the text bpftrace wrote) into a replay. An exec is kept when its E record was
   * recorded, its cgroup matches, and no exec kept before it had the same pid (pids wrap on a busy
   * machine: kept distinct, they tell the copies' execs apart). The records of one exec stay together
   * in their recorded order; records of execs that are not kept, and all other lines, are left out.
   */
  static fromRecording(text: string, opts: ReplayOptions = {}): TraceReplay {
    let attached: string | null = null;
    let begin: { line: string; mono: string } | null = null;
    const cgroupLines = new Map<string, string[]>(); // "hier:id" → its P lines
    const cgroupNames = new Map<string, string[]>();
    const pathLines = new Map<string, string[]>(); // path id → its D lines
    const pathsOf = new Map<string, string[]>(); // exec key → the path ids its X names
    const byKey = new Map<string, KeyedLine[]>();
    const entered: { key: string; pid: number; cg: string[] }[] = [];
    for (const line of text.split('\n')) {
      const rec = parseRecord(line);
      if (!rec) continue;
      if (rec.kind === 'attached') attached ??= line;
      else if (rec.kind === 'clock') begin ??= { line, mono: String(rec.monoNs) };
      else if (rec.kind === 'cgroupName') {
        const id = `${rec.hier}:${rec.cgroupId}`;
        cgroupLines.set(id, [...(cgroupLines.get(id) ?? []), line]);
        cgroupNames.set(id, [...(cgroupNames.get(id) ?? []), rec.name]);
      } else if (rec.kind === 'pathName') pathLines.set(rec.pathId, [...(pathLines.get(rec.pathId) ?? []), line]);
      const k = keyOf(rec);
      if (!k) continue;
      const key = `${k.tid}:${k.mono}`;
      let lines = byKey.get(key);
      if (!lines) byKey.set(key, (lines = []));
      lines.push({ mono: String(k.mono), line });
      if (rec.kind === 'execReturn') pathsOf.set(key, [rec.cwdId, rec.exeId]);
      if (rec.kind === 'execEnter') entered.push({ key, pid: rec.pid, cg: [`2:${rec.cg2}`, `1:${rec.cg1}`] });
    }
    if (!begin) throw new Error('the recording has no B record: bpftrace never said it started');

    const pids = new Set<number>();
    const cgroupsKept = new Set<string>();
    const pathsKept = new Set<string>();
    const execs: { text: string; keys: number[]; records: number }[] = [];
    for (const e of entered) {
      const want = opts.cgroupIncludes;
      if (want !== undefined && !e.cg.some((id) => cgroupNames.get(id)?.some((n) => n.includes(want)))) continue;
      if (pids.has(e.pid)) continue;
      let body = '';
      const keys: number[] = [];
      const lines = byKey.get(e.key)!;
      for (const { mono, line } of lines) {
        let last = 0;
        for (const at of numberAt(line, mono)) {
          body += line.slice(last, at);
          keys.push(Buffer.byteLength(body));
          body += '0'.repeat(KEY_DIGITS);
          last = at + mono.length;
        }
        body += `${line.slice(last)}\n`;
      }
      pids.add(e.pid);
      for (const id of e.cg) cgroupsKept.add(id);
      for (const id of pathsOf.get(e.key) ?? []) pathsKept.add(id);
      execs.push({ text: body, keys, records: lines.length });
    }
    if (execs.length === 0)
      throw new Error(`the recording holds no exec${opts.cgroupIncludes ? ` in a cgroup matching ${opts.cgroupIncludes}` : ''}`);

    const header = [
      ...(attached ? [attached] : []),
      begin.line.replace(begin.mono, String(REPLAY_CLOCK_NS)),
      // Both S records: the replayed tracer is tracing from its first byte (a recording's own S
      // records, if it has them, are left out with the other lines that carry no exec).
      `{"type": "printf", "data": "S 1 ${REPLAY_CLOCK_NS}\\n"}`,
      `{"type": "printf", "data": "S 2 ${REPLAY_CLOCK_NS}\\n"}`,
      ...[...cgroupLines].filter(([id]) => cgroupsKept.has(id)).flatMap(([, lines]) => lines),
      ...[...pathLines].filter(([id]) => pathsKept.has(id)).flatMap(([, lines]) => lines),
    ];
    return new TraceReplay(header.map((l) => `${l}\n`).join(''), execs);
  }
}
