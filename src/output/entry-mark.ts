/**
 * The mark an ARGS cell starts with for an exec that did not come from its container's own process
 * tree (issue 23): `[exec pts/0]` (entered through the runtime's exec, with its terminal when it has
 * one), `[exec]`, `[probe]`, `[hook]`. Like `[drift]`, it cannot be forged: `[` is always quoted in
 * an argument (src/output/quote.ts shellQuote), so a bare `[` starting the cell is ours.
 */
import type { AttributedEvent } from '../join/types.js';
import { escapeUnprintable } from './quote.js';

/** The mark, or '' for the workload's own processes, host processes and the end of a process. */
export function entryMark(e: AttributedEvent): string {
  if (e.event.exit) return '';
  switch (e.entry) {
    case 'exec':
      // A tty name has no spaces or brackets (pts/N, ttyN): escaped in case a kernel says otherwise.
      return e.event.tty ? `[exec ${escapeUnprintable(e.event.tty).replace(/[\s\]]/g, '?')}]` : '[exec]';
    case 'probe':
      return '[probe]';
    case 'hook':
      return '[hook]';
    default:
      return '';
  }
}

/** `mark args`, either part possibly empty. */
export function withMark(mark: string, args: string): string {
  return mark === '' ? args : args === '' ? mark : `${mark} ${args}`;
}
