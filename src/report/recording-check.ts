/**
 * Whether each input of `report` is a recording at all. An input with lines but not one exec or exit
 * record — trace-exec's stderr log (often given by mistake: `2>trace-exec.log` sits next to
 * `>execs.jsonl`), another program's JSON lines — is refused instead of summarised as empty. Its
 * warnings are held until it shows a record, so such an input gets one error, not a warning per
 * line; a recording with some malformed lines gets them all, as before. Pure.
 *
 * The totals line alone proves nothing: `-o json` writes it to stderr, so a stderr log has it. It
 * counts only when it says no exec was shown: then the input is a recording of a run that saw none
 * (stdout and stderr in one file), and an empty summary is the truth either way.
 */
export type LineKind =
  | { kind: 'record' | 'blank' | 'other' }
  | { kind: 'malformed'; reason: string }
  | { kind: 'totals'; shown: number | null };

interface SourceState {
  lines: number;
  records: number;
  firstMalformed: { lineNo: number; reason: string } | null;
  firstText: string | null;
  emptyTotals: boolean;
  held: string[];
}

export interface NotARecording {
  source: string;
  lines: number;
  firstMalformed: { lineNo: number; reason: string } | null;
  /** Its first line is one of trace-exec's own diagnostics: the run's stderr instead of its stdout. */
  looksLikeStderr: boolean;
}

export class RecordingCheck {
  private readonly sources = new Map<string, SourceState>();

  /**
   * Notes one line of `source` and the warning it causes (null: none); returns the warnings to
   * print now: those of a source that has shown a record, its held ones included.
   */
  line(source: string, lineNo: number, text: string, what: LineKind, warning: string | null): string[] {
    let s = this.sources.get(source);
    if (!s) this.sources.set(source, (s = { lines: 0, records: 0, firstMalformed: null, firstText: null, emptyTotals: false, held: [] }));
    s.lines++;
    if (what.kind !== 'blank') s.firstText ??= text;
    if (what.kind === 'totals' && what.shown === 0) s.emptyTotals = true;
    if (what.kind === 'malformed') s.firstMalformed ??= { lineNo, reason: what.reason };
    if (what.kind === 'record') s.records++;
    if (warning !== null) s.held.push(warning);
    if (s.records === 0) return [];
    const now = s.held;
    s.held = [];
    return now;
  }

  /**
   * At the end: the inputs that are not recordings (in the order first read), and the warnings still
   * held for those that are (recordings of runs that showed no exec).
   */
  end(): { notRecordings: NotARecording[]; warnings: string[] } {
    const notRecordings: NotARecording[] = [];
    const warnings: string[] = [];
    for (const [source, s] of this.sources) {
      if (s.records === 0 && s.firstText !== null && !s.emptyTotals) {
        notRecordings.push({
          source,
          lines: s.lines,
          firstMalformed: s.firstMalformed,
          looksLikeStderr: s.firstText.startsWith('trace-exec: '),
        });
      } else warnings.push(...s.held);
    }
    return { notRecordings, warnings };
  }
}
