/**
 * Expected failures carry a message that says what is wrong and how to fix it; they print as one
 * line without a stack. Anything else is a bug and asks to be reported.
 */
export class UserError extends Error {
  constructor(
    message: string,
    /** A second line telling the user what to do, when there is one. */
    readonly hint?: string,
  ) {
    super(message);
  }
}

/** The user stopped the run (Ctrl-C, SIGTERM…) before tracing started: not a failure. */
export class Interrupted extends UserError {
  constructor(
    readonly why: string,
    when: string,
  ) {
    super(`interrupted (${why}) ${when}`);
  }
}
