/**
 * The process's terminal and signals, in one place: stdout and stderr whose readers may go away
 * (src/cli/std-stream.ts), the signals that stop a trace, the terminal's width, and the yes/no
 * question --all-nodes asks. Everything here touches `process`; the commands take what they need.
 */
import type { Log } from '../log.js';
import { LineBatch } from '../output/line-batch.js';
import { stdStream, type StdStream } from './std-stream.js';

export interface Terminal {
  /** Resolves with why, when a signal arrives or stdout or stderr goes away. */
  readonly interrupted: Promise<string>;
  /** stderr; a closed stderr interrupts as a closed stdout does. */
  readonly stderr: StdStream;
  /** Writes text to stderr (dropped once it is closed). */
  write(text: string): void;
  /**
   * stdout for data, batched: every line a chunk of the stream produced goes out in one write (not
   * one system call per event). A closed stdout interrupts.
   */
  data(): LineBatch;
  /** SIGINT, SIGTERM, SIGHUP (and SIGBREAK on Windows) interrupt; a second one does not skip the cleanup. */
  catchSignals(log: Log): void;
}

export function openTerminal(): Terminal {
  let interrupt!: (why: string) => void;
  const interrupted = new Promise<string>((r) => (interrupt = r));
  // A closed stderr (`2>&1 | head`, a CI log pipe) ends a trace as a closed stdout does; the
  // diagnostics after it are dropped, and cannot crash the run or change its exit code.
  const stderr = stdStream(process.stderr, 'stderr', (why) => interrupt(why));
  return {
    interrupted,
    stderr,
    write: (t) => stderr.write(t),
    data: () => {
      const data = stdStream(process.stdout, 'stdout', (why) => interrupt(why));
      return new LineBatch({ write: (text) => data.write(text) });
    },
    catchSignals: (log) => {
      let signals = 0;
      // Windows: Ctrl-C is SIGINT, Ctrl-Break SIGBREAK, closing the console window SIGHUP (then about 10 s
      // until Windows ends the process); SIGTERM is never raised there, listening to it is harmless.
      const stopSignals: NodeJS.Signals[] = [
        'SIGINT',
        'SIGTERM',
        'SIGHUP',
        ...(process.platform === 'win32' ? (['SIGBREAK'] as const) : []),
      ];
      for (const sig of stopSignals) {
        process.on(sig, () => {
          if (signals++ === 0) interrupt(sig);
          else log.progress('stopping: removing the debug pod first, please wait');
        });
      }
    },
  };
}

/**
 * stdout for a command that is not stopped by its reader going away (`report`, `cleanup`): later
 * writes are dropped, batched as data() is.
 */
export function quietData(): LineBatch {
  const data = stdStream(process.stdout, 'stdout', () => {});
  return new LineBatch({ write: (text) => data.write(text) });
}

/** The columns of the terminal stdout is, null when it is piped (then output is never cut). */
export function terminalWidth(): number | null {
  return process.stdout.isTTY ? (process.stdout.columns ?? 120) : null;
}

/** Columns --help wraps at. */
export function helpWidth(): number {
  return Math.min(110, process.stderr.columns ?? 100);
}

/** A yes/no question on the terminal; null when stdin or stderr is not one (nobody to ask). */
export function terminalConfirm(): ((question: string) => Promise<boolean>) | null {
  return process.stdin.isTTY && process.stderr.isTTY ? askOnTerminal : null;
}

async function askOnTerminal(question: string): Promise<boolean> {
  const { createInterface } = await import('node:readline/promises');
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(`${question} [y/N] `)).trim());
  } finally {
    rl.close();
  }
}
