/** stderr is for people and CI logs: progress, warnings and totals, one line each, never data. */
export interface Log {
  progress(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
  /** Only with --verbose. */
  debug(msg: string): void;
}

export function stderrLog(write: (text: string) => void, verbose: boolean): Log {
  return {
    progress: (m) => write(`trace-exec: ${m}\n`),
    warn: (m) => write(`trace-exec: warning: ${m}\n`),
    error: (m) => write(`trace-exec: error: ${m}\n`),
    debug: (m) => {
      if (verbose) write(`trace-exec: debug: ${m}\n`);
    },
  };
}
