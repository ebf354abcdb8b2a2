/**
 * The whole user-facing surface, dispatched: argv → one command module → the exit code. Usage,
 * examples and flags live in each command (src/cli/*-command.ts) and in the flag table
 * (src/cli/flags.ts); signals and the terminal in src/cli/terminal.ts.
 */
import { stderrLog } from '../log.js';
import { closestSubcommand } from './suggest.js';
import { INVOKED_AS, NAME } from './command-name.js';
import { openTerminal } from './terminal.js';
import { traceCommand } from './trace-command.js';
import { reportCommand } from './report-command.js';
import { cleanupCommand } from './cleanup-command.js';
import { completeCommand, completionCommand } from './completion-command.js';

export async function main(argv: string[]): Promise<number> {
  // Signals and a reader of stdout or stderr going away end the trace; cleanup always runs.
  const terminal = openTerminal();
  const log = stderrLog(terminal.write, argv.includes('-v') || argv.includes('--verbose'));
  if (INVOKED_AS === 'complete') return completeCommand(argv, true);
  if (argv[0] === '__complete' || argv[0] === '__completeNoDesc') return completeCommand(argv.slice(1), argv[0] === '__complete');
  if (argv[0] === 'completion') return completionCommand(argv.slice(1), log);
  if (argv[0] === 'cleanup') return cleanupCommand(argv.slice(1), log, terminal);
  if (argv[0] === 'report') return reportCommand(argv.slice(1), log, terminal);
  const near = argv[0] === undefined ? null : closestSubcommand(argv[0]);
  if (near) {
    log.error(`unknown command "${argv[0]}"; did you mean ${near}? (see ${NAME} --help)`);
    return 1;
  }
  return traceCommand(argv, log, terminal);
}
