/** A command line that cannot run as given: one line on stderr saying how to fix it, exit 1. */
export class UsageError extends Error {}
