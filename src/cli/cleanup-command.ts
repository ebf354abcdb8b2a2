/** `trace-exec cleanup`: flags → cleanup() → exit code. stdout lists what was (or would be) removed. */
import type { Log } from '../log.js';
import { parseCleanup } from './parse.js';
import { NAME } from './command-name.js';
import { reportFailure, usageFailure } from './failure.js';
import { helpWidth, type Terminal } from './terminal.js';

export async function cleanupCommand(argv: string[], log: Log, terminal: Terminal): Promise<number> {
  let parsed;
  try {
    parsed = await parseCleanup(argv, {
      command: `${NAME} cleanup`,
      usage:
        `Remove the debug pods and temporary namespaces that earlier runs left behind (found by the label app.kubernetes.io/name=trace-exec).\n` +
        `Debug pods still Pending or Running may be a trace in progress elsewhere: they are kept unless --all.\n\n` +
        `Usage:\n  ${NAME} cleanup [-A | -n NS] [--dry-run] [--all]`,
      examples: [
        [`${NAME} cleanup -A --dry-run`, 'List what would be removed, in every namespace'],
        [`${NAME} cleanup -A`, 'Remove it'],
        [`${NAME} cleanup -A --all`, 'Also remove debug pods that are still running'],
      ],
      version: null,
      wrap: helpWidth(),
    });
  } catch (e) {
    return usageFailure(e, log);
  }
  if (parsed.kind === 'shown') return 0;
  const raw = parsed.flags as {
    namespace?: string;
    allNamespaces?: boolean;
    dryRun?: boolean;
    all?: boolean;
    kubeconfig?: string;
    context?: string;
    verbose?: boolean;
  };
  try {
    // The client library (~0.6 s to load) only once the command line is good (--help needs none).
    const { cleanup } = await import('../cleanup.js');
    await cleanup(
      {
        kubeconfig: raw.kubeconfig ?? null,
        context: raw.context ?? null,
        namespace: raw.namespace ?? null,
        allNamespaces: raw.allNamespaces ?? false,
        dryRun: raw.dryRun ?? false,
        all: raw.all ?? false,
      },
      (line) => void process.stdout.write(line + '\n'),
      log,
    );
    return 0;
  } catch (e) {
    return reportFailure(e, log, terminal.write, raw.verbose ?? false);
  }
}
