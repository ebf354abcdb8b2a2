/** `trace-exec report FILE…`: flags → frozen ReportOptions → report() → exit code. */
import type { Log } from '../log.js';
import { stderrLog } from '../log.js';
import { parseReport } from './parse.js';
import { buildReportOptions, refuseSelector, type RawReportArgs } from './report-options.js';
import { unwritableMessage } from './output-paths.js';
import { report } from '../report.js';
import { NAME } from './command-name.js';
import { exampleFileName, reportFailure, usageFailure } from './failure.js';
import { helpWidth, quietData, terminalWidth, type Terminal } from './terminal.js';
import { exitForFindings } from './findings-exit.js';

export async function reportCommand(argv: string[], log: Log, terminal: Terminal): Promise<number> {
  const { write } = terminal;
  let opts;
  try {
    refuseSelector(argv);
    const parsed = await parseReport(argv, {
      command: `${NAME} report`,
      usage:
        `Summarise a recording: the JSON lines written earlier by -o json (several files, - for stdin, .gz too).\n` +
        `No cluster and no root needed. Prints the summary a live run prints (-o summary), a GitHub-flavoured\n` +
        `Markdown summary (-o markdown), and/or writes a timeline for Perfetto / chrome://tracing (--timeline-to).\n` +
        `Keeps pods by name with pod/NAME; -l is not possible offline: the records carry no pod labels.\n` +
        `Malformed lines are counted and named on stderr, and skipped; an input with no exec or exit record at all\n` +
        `(trace-exec's stderr log, say) is not a recording: refused, exit 1.\n` +
        `With --baseline OLD…: prints what is new in FILE… instead (-o summary|markdown|json): executables, failures,\n` +
        `drift, exec sessions, by namespace / workload / container; --fail-on KINDS exits 3 when any is found.\n\n` +
        `Usage:\n  ${NAME} report FILE… [pod/NAME…] [-o summary|markdown] [--timeline-to FILE] [-n NS] [-c NAME] [--comm RE] [--failed] [--host] [--drift]`,
      examples: [
        [`${NAME} report execs.jsonl`, 'The summary of a recording'],
        [
          `${NAME} report execs-*.jsonl.gz -n payments -o markdown >> "$GITHUB_STEP_SUMMARY"`,
          'One namespace of several compressed files, as Markdown',
        ],
        [`${NAME} report execs.jsonl --timeline-to timeline.json`, 'A timeline to open in ui.perfetto.dev'],
        [`kubectl trace-exec node/w -o json -d 1m | ${NAME} report - --failed`, 'Failed execs of a live minute, summarised'],
        [`${NAME} report execs.jsonl --drift -o markdown`, "Only execs of files not in their container's image"],
        [
          `${NAME} report execs.jsonl --baseline green.jsonl --fail-on new-exec,drift,session`,
          'What is new since a green run; exit 3 if any of these',
        ],
      ],
      version: null,
      wrap: helpWidth(),
      positionals: 'files written by -o json (- for stdin, .gz too), and pod/NAME to keep only those pods',
    });
    if (parsed.kind === 'shown') return 0;
    opts = buildReportOptions({ ...parsed.flags, targets: parsed.targets } as unknown as RawReportArgs);
  } catch (e) {
    return usageFailure(e, log);
  }
  const unwritable = opts.timelineTo ? unwritableMessage('--timeline-to', opts.timelineTo, exampleFileName('timeline-to', null)) : null;
  if (unwritable) {
    log.error(unwritable);
    return 1;
  }
  const reportLog = stderrLog(write, opts.verbose);
  const stdout = quietData();
  try {
    const result = await report(opts, { out: (l) => stdout.push(l), log: reportLog, stdin: process.stdin, width: terminalWidth() }).finally(
      () => stdout.flush(),
    );
    for (const w of result.writeFailures) reportLog.error(`${w}; exiting with 1`);
    if (result.writeFailures.length > 0) return 1;
    return exitForFindings(result.diff, reportLog);
  } catch (e) {
    return reportFailure(e, reportLog, write, opts.verbose);
  }
}
