/**
 * stdout or stderr whose reader may go away: `| head`, `2>&1 | head`, a killed `| tee`, a CI log pipe
 * that breaks, a terminal that closes. That is an ordinary way for a run to end, not a crash: the
 * first failure is reported once through onGone, and later writes are dropped instead of throwing
 * (an 'error' event nobody listens to would end the process with 1 and skip the cleanup).
 */
export interface StdStream {
  write(text: string): void;
  /** false once a write failed: nothing more reaches the reader. */
  readonly open: boolean;
}

/** The part of a Writable this needs (process.stdout / process.stderr, or a test's stream). */
export interface WritableLike {
  write(text: string): unknown;
  on(event: 'error', listener: (e: NodeJS.ErrnoException) => void): unknown;
}

/** Why a run stopped when name's reader went away: "stderr closed", or "stderr failed: …" for anything but a closed reader. */
export function goneReason(name: string, e: NodeJS.ErrnoException): string {
  // EPIPE: the reading end of a pipe or socket is closed; EIO: the terminal is gone (hang-up).
  return e.code === 'EPIPE' || e.code === 'EIO' ? `${name} closed` : `${name} failed: ${e.message}`;
}

export function stdStream(stream: WritableLike, name: 'stdout' | 'stderr', onGone: (reason: string) => void): StdStream {
  let open = true;
  const gone = (e: NodeJS.ErrnoException): void => {
    if (!open) return;
    open = false;
    onGone(goneReason(name, e));
  };
  stream.on('error', gone);
  return {
    write: (text) => {
      if (!open) return;
      try {
        stream.write(text);
      } catch (e) {
        gone(e as NodeJS.ErrnoException);
      }
    },
    get open() {
      return open;
    },
  };
}
