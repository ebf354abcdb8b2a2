/** Why a run stopped, as a value: control flow turns on its kind, the totals line prints its text. */

export type StopReason =
  | { kind: 'duration' }
  | { kind: 'max-events' }
  /** A signal (SIGINT…) or a reader gone ("stdout closed"), in the terminal's words. */
  | { kind: 'interrupted'; why: string }
  /** Every node's trace ended by itself (bpftrace failed, a debug pod went away…). */
  | { kind: 'nodes-ended' };

/** The words of the totals line and of its JSON `reason` (recordings carry them: keep them). */
export function stopText(r: StopReason): string {
  switch (r.kind) {
    case 'duration':
      return 'duration';
    case 'max-events':
      return 'max-events';
    case 'interrupted':
      return r.why;
    case 'nodes-ended':
      return 'every node ended';
  }
}

/** The first reason given wins; later ones are ignored. */
export class Stop {
  private resolve!: (r: StopReason) => void;
  readonly requested = new Promise<StopReason>((r) => (this.resolve = r));
  private first: StopReason | null = null;

  request(r: StopReason): void {
    if (this.first) return;
    this.first = r;
    this.resolve(r);
  }

  /** The reason, once one was given. */
  get reason(): StopReason | null {
    return this.first;
  }
}
