/**
 * Lines to stdout in batches: every line an event produced while one chunk of the stream was
 * decoded goes out in one write, after that chunk (the next turn of the event loop), instead of one
 * write system call per event. A batch is also written as soon as it holds maxBytes, so memory stays
 * bounded when a chunk is very large. Text and order are exactly what one write per line gives.
 */
/**
 * The default maxChars. A batch's text is one string: past V8's largest regular object (128 KiB) it
 * is made in the large-object space, which only a full garbage collection frees. With the launcher's
 * small young generation (bin/trace-exec NODE_FLAGS) 1 Mi-character batches more than doubled the
 * garbage collector's share of the CPU in the fan-in bench (13% → 29%); 64 Ki characters (64 KiB of
 * the usual ASCII) keep it small, for one write system call per 64 KiB.
 */
export const BATCH_CHARS = 1 << 16;

export interface LineBatchOptions {
  /** Receives the text of a batch: whole lines, each ending in '\n'. */
  write: (text: string) => void;
  /** Runs fn once the current chunk is done (setImmediate); tests pass their own. */
  schedule?: (fn: () => void) => void;
  /** Write at once when the pending text reaches this many characters (default BATCH_CHARS). */
  maxChars?: number;
}

export class LineBatch {
  private pending: string[] = [];
  private chars = 0;
  private scheduled = false;
  private readonly schedule: (fn: () => void) => void;
  private readonly maxChars: number;

  constructor(private readonly opts: LineBatchOptions) {
    this.schedule = opts.schedule ?? ((fn) => void setImmediate(fn));
    this.maxChars = opts.maxChars ?? BATCH_CHARS;
  }

  /** Queues one line (without its '\n'). */
  push(line: string): void {
    this.pending.push(line);
    this.chars += line.length + 1;
    if (this.chars >= this.maxChars) this.flush();
    else if (!this.scheduled) {
      this.scheduled = true;
      this.schedule(() => {
        this.scheduled = false;
        this.flush();
      });
    }
  }

  /** Writes what is queued now (idempotent; the end of a run calls it). */
  flush(): void {
    if (this.pending.length === 0) return;
    const text = this.pending.join('\n') + '\n';
    this.pending = [];
    this.chars = 0;
    this.opts.write(text);
  }
}
