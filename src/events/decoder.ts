/**
 * The whole read path for one node's bpftrace output: chunks → lines → records → ExecEvents, with
 * the stream's notices (tracing, events lost, malformed lines) reported as they happen.
 * This is the one entry point that turns a node's bytes into its events (push, tick, end).
 *
 * The records of an exec (E, A, X: nearly every line) are read in place from the chunk's text into
 * the assembler's state: no line string, no record object. Every other line goes through
 * parseRecord() and the assembler's push().
 */
import { LineSplitter } from './lines.js';
import { HotFields, parseRecord, plainPrintfAt, readA, readE, readX, type TraceRecord } from './records.js';
import { ExecAssembler, type AssemblerOptions, type AssemblerStats } from './assemble.js';
import type { ExecEvent, StreamNotice } from './types.js';

export interface DecoderSink {
  event(e: ExecEvent): void;
  notice(n: StreamNotice): void;
  /** fork and gone records (--ancestry), in arrival order. */
  process?(rec: Extract<TraceRecord, { kind: 'fork' | 'gone' }>): void;
}

export class TraceDecoder {
  private readonly lines = new LineSplitter();
  protected readonly assembler: ExecAssembler;
  private readonly fields = new HotFields();
  /** The S records' ends seen (bits 1 and 2): both, and "started" was said. */
  private ends = 0;

  constructor(
    opts: AssemblerOptions,
    protected readonly sink: DecoderSink,
    private readonly now: () => number = Date.now,
  ) {
    this.assembler = new ExecAssembler(opts, (e) => sink.event(e));
  }

  get stats(): AssemblerStats {
    return this.assembler.stats;
  }

  push(chunk: Uint8Array | string): void {
    const text = this.lines.pushText(chunk);
    if (text === '') return;
    // One clock reading per chunk: its records arrived together.
    const nowMs = this.now();
    let at = 0;
    for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', at)) {
      this.line(text, at, nl > at && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl, nowMs);
      at = nl + 1;
    }
  }

  /** Emits execs whose records are overdue; call it periodically. */
  tick(): void {
    for (const e of this.assembler.expire(this.now())) this.sink.event(e);
  }

  /** End of stream: flushes the last line and every exec still waiting. */
  end(): void {
    const nowMs = this.now();
    for (const line of this.lines.end()) this.line(line, 0, line.length, nowMs);
    for (const e of this.assembler.expire(this.now(), true)) this.sink.event(e);
  }

  /** The line s[from, to), without its newline. */
  protected line(s: string, from: number, to: number, nowMs: number): void {
    const start = plainPrintfAt(s, from, to);
    if (start >= 0 && s.charCodeAt(start + 1) === 32) {
      const end = to - 4;
      const f = this.fields;
      switch (s.charCodeAt(start)) {
        case 69 /* E */:
          if (!readE(s, start, end, f)) break;
          return this.assembler.enter(f, nowMs);
        case 65 /* A */:
          if (!readA(s, start, end, f)) break;
          return this.assembler.arg(f);
        case 88 /* X */:
          if (!readX(s, start, end, f)) break;
          return this.assembler.ret(f, nowMs);
      }
    }
    this.record(parseRecord(s.slice(from, to)), nowMs);
  }

  private record(rec: TraceRecord | null, nowMs: number): void {
    if (!rec) return;
    if (rec.kind === 'tracing') {
      // Both ends of the program attached: every probe between them is (bpf/trace-exec.bt.tmpl, S).
      const had = this.ends;
      this.ends |= rec.end;
      if (had !== 3 && this.ends === 3) this.sink.notice({ kind: 'started', monoNs: rec.monoNs });
    } else if (rec.kind === 'lost') this.sink.notice({ kind: 'lost', count: rec.count });
    else if (rec.kind === 'malformed') this.sink.notice({ kind: 'malformed', line: rec.line, reason: rec.reason });
    else if (rec.kind === 'fork' || rec.kind === 'gone') this.sink.process?.(rec);
    for (const e of this.assembler.push(rec, nowMs)) this.sink.event(e);
  }
}
