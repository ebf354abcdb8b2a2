#!/usr/bin/env node
/**
 * The entry module, and the only one with a side effect on import: it runs the command line
 * (src/cli/main.ts) and turns its result into the process's exit code. Commands: src/cli/*-command.ts.
 */
import { hideBin } from 'yargs/helpers';
import { main } from './cli/main.js';
import { reportFailure } from './cli/failure.js';
import { stdStream } from './cli/std-stream.js';
import { stderrLog } from './log.js';

main(hideBin(process.argv)).then(
  (code) => {
    process.exitCode = code;
    // Open handles (watch sockets) must not keep a finished run alive.
    setTimeout(() => process.exit(code), 200).unref();
  },
  (e: unknown) => {
    const verbose = process.argv.includes('-v') || process.argv.includes('--verbose');
    const write = stdStream(process.stderr, 'stderr', () => {}).write;
    process.exit(reportFailure(e, stderrLog(write, verbose), write, verbose));
  },
);
