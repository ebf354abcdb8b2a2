/**
 * The kernel's wait status of a process that ended (task->exit_code, as the processEnd record carries it):
 * the exit status in bits 8–15, or the signal that killed it in bits 0–6, with 0x80 when it dumped
 * core — what wait(2) hands a parent.
 */
import type { ProcessEnd } from './types.js';

/** A wait status (status << 8, or the signal with 0x80 for a core dump) → ProcessEnd without the duration. */
export function decodeWaitStatus(status: number): Omit<ProcessEnd, 'durationMs'> {
  const signal = status & 0x7f;
  return signal === 0
    ? { exitCode: (status >> 8) & 0xff, signal: null, core: false }
    : { exitCode: null, signal, core: (status & 0x80) !== 0 };
}

/**
 * Whether a process ended badly: a non-zero exit status, or killed by a signal. The one test for
 * both a live end (ProcessEnd, the signal a number) and a recording's exit line (the signal a name,
 * and neither field when the line lacks them: not bad, nothing says so).
 */
export function endedBadly(end: { exitCode: number | null; signal: number | string | null }): boolean {
  return end.signal !== null || (end.exitCode !== null && end.exitCode !== 0);
}
