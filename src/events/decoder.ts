/**
 * The whole read path for one node's bpftrace output: chunks → lines → records → ExecEvents, with
 * the stream's notices (tracer started, events lost, malformed lines) reported as they happen.
 */
import { LineSplitter } from './lines.js';
import { parseRecord, type TraceRecord } from './records.js';
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
  private readonly assembler: ExecAssembler;

  constructor(
    opts: AssemblerOptions,
    private readonly sink: DecoderSink,
    private readonly now: () => number = Date.now,
  ) {
    this.assembler = new ExecAssembler(opts);
  }

  get stats(): AssemblerStats {
    return this.assembler.stats;
  }

  push(chunk: Uint8Array | string): void {
    for (const line of this.lines.push(chunk)) this.line(line);
  }

  /** Emits execs whose records are overdue; call it periodically. */
  tick(): void {
    for (const e of this.assembler.expire(this.now())) this.sink.event(e);
  }

  /** End of stream: flushes the last line and every exec still waiting. */
  end(): void {
    for (const line of this.lines.end()) this.line(line);
    for (const e of this.assembler.expire(this.now(), true)) this.sink.event(e);
  }

  private line(line: string): void {
    const rec = parseRecord(line);
    if (!rec) return;
    if (rec.kind === 'clock') this.sink.notice({ kind: 'started', monoNs: rec.monoNs });
    else if (rec.kind === 'lost') this.sink.notice({ kind: 'lost', count: rec.count });
    else if (rec.kind === 'malformed') this.sink.notice({ kind: 'malformed', line: rec.line, reason: rec.reason });
    else if (rec.kind === 'fork' || rec.kind === 'gone') this.sink.process?.(rec);
    for (const e of this.assembler.push(rec, this.now())) this.sink.event(e);
  }
}
