/**
 * `trace-exec node/NAME…` (and --local): flags → frozen Options → run() → totals on stderr and the
 * exit code: 0 when the trace ends by --duration, --max-events, Ctrl-C or a closed stdout or stderr;
 * 1 on any error (as kubectl), including objects left behind on the cluster.
 */
import type { Log } from '../log.js';
import { buildOptions, type RawArgs } from './options.js';
import { defaultsText } from '../node/images.js';
import { parseMain } from './parse.js';
import { camelKey, MAIN_FLAGS } from './flags.js';
import { unwritableMessage } from './output-paths.js';
import { run } from '../run.js';
import { TOTALS_KIND } from '../report/record.js';
import type { GapLog } from '../reconnect.js';
import { stopText } from '../trace/stop.js';
import { gitCommit, VERSION } from '../version.js';
import type { Totals } from '../run.js';
import { NAME } from './command-name.js';
import { exampleFileName, reportFailure, usageFailure } from './failure.js';
import { helpWidth, terminalConfirm, terminalWidth, type Terminal } from './terminal.js';
import { exitForFindings } from './findings-exit.js';

const EXAMPLES: [string, string][] = [
  [`${NAME} node/worker-1`, 'Show every exec on worker-1 live, with namespace / pod / container'],
  [`${NAME} node/worker-1 -n payments -o json -d 60s > execs.jsonl`, 'Record one namespace for a minute as JSON lines'],
  [`${NAME} node/worker-1 -o summary -d 5m`, 'Which pods ran what, counted over five minutes'],
  [`${NAME} node/worker-1 -o wide --max-events 20`, 'The first 20 execs, with node, uid, return value and container id'],
  [`${NAME} pod/api-0 -n payments`, 'Only the execs of one pod, on the node it runs on'],
  [`${NAME} deploy/web -n shop --comm '^(sh|bash)$'`, 'Shells started in any pod of a deployment, on all its nodes'],
  [`${NAME} --node-selector node-role.kubernetes.io/worker= --failed -o wide`, 'Failed execs on every worker node'],
  [`${NAME} node/worker-1 --drift -o json`, "Execs of files that are not in their container's image (written after it started)"],
  [`${NAME} node/worker-1 -n payments --exits --failed`, 'Failed execs, and processes that exited non-zero or were killed'],
  [
    `${NAME} --all-nodes --image arm64=registry.example.com/trace-exec-bpftrace:1`,
    'Every node; arm64 nodes with your image (there is no default for arm64)',
  ],
  [`${NAME} --local -d 10s`, 'Trace this machine directly (no cluster): on a node or a CI runner, as root'],
  [
    `${NAME} node/worker-1 -o json -d 10m --baseline green.jsonl --fail-on new-exec,drift,session > execs.jsonl`,
    'Record, then say on stderr what is new since a green run; exit 3 if any of these',
  ],
];

export async function traceCommand(argv: string[], log: Log, terminal: Terminal): Promise<number> {
  const { write } = terminal;
  let verbose = argv.includes('-v') || argv.includes('--verbose');
  let parsed;
  try {
    parsed = await parseMain(argv, {
      command: NAME,
      usage:
        `Trace every exec on a node and show which namespace / pod / container ran it.\n\n` +
        `Runs a short-lived privileged debug pod on the node, streams bpftrace's exec events back\n` +
        `through the exec API, joins them with the node's pods, and deletes the pod when done.\n\n` +
        `Usage:\n  ${NAME} node/NAME [flags]\n  ${NAME} --local [flags]\n  ${NAME} cleanup [-A] [-n NS] [--dry-run] [--all]   remove debug pods and namespaces that runs left behind\n  ${NAME} report FILE… [-o summary|markdown] [--timeline-to F]   summarise a recording (-o json), offline\n  ${NAME} report NEW… --baseline OLD… [--fail-on KINDS]   what is new in NEW, offline\n  ${NAME} completion bash|zsh|fish   print a shell completion script\n\n` +
        `A flag given twice takes its last value; -n, -l, -c and --comm add up (see each).\n` +
        `Put --kubeconfig, --context and -n after "trace-exec": kubectl refuses flags before a plugin's name.`,
      examples: EXAMPLES,
      version: versionText(),
      wrap: helpWidth(),
    });
  } catch (e) {
    return usageFailure(e, log);
  }
  if (parsed.kind === 'shown') return 0;
  const raw = { ...parsed.flags, targets: parsed.targets } as unknown as RawArgs;

  let opts;
  try {
    opts = buildOptions(raw);
  } catch (e) {
    return usageFailure(e, log);
  }
  verbose = opts.verbose;
  // The launcher's and the standalone executables' V8 flags (bin/trace-exec NODE_FLAGS) bound the
  // memory a busy stream takes: say whether this process got them.
  log.debug(`Node ${process.version}, started with ${process.execArgv.join(' ') || 'no flags'}`);
  // Files written at the end are checked now, before anything is created or traced.
  for (const f of MAIN_FLAGS.filter((x) => x.name.endsWith('-to'))) {
    const file = (raw as unknown as Record<string, unknown>)[camelKey(f.name)];
    const message = typeof file === 'string' ? unwritableMessage(`--${f.name}`, file, exampleFileName(f.name, opts.summaryFormat)) : null;
    if (message) {
      log.error(message);
      return 1;
    }
  }

  terminal.catchSignals(log);
  const stdout = terminal.data();
  const out = (line: string): void => stdout.push(line);

  try {
    const result = await run(opts, {
      out,
      log,
      width: terminalWidth(),
      interrupted: terminal.interrupted,
      confirm: terminalConfirm(),
      diffOut: { write, width: process.stderr.isTTY ? (process.stderr.columns ?? 120) : null },
    }).finally(() => stdout.flush());
    reportTotals(result.totals, result.gaps, opts.output === 'json', write, stopText(result.reason));
    if (result.writeFailures.length > 0) {
      for (const w of result.writeFailures) log.error(`${w}; exiting with 1`);
      return 1;
    }
    if (result.failures.length > 0) {
      log.error(
        `${result.failures.length} of ${result.totals.nodes} nodes could not be traced to the end: ${result.failures.map((f) => f.message.split('\n')[0]).join('; ')}`,
      );
      return 1;
    }
    return result.cleanedUp ? exitForFindings(result.diff ?? null, log) : 1;
  } catch (e) {
    return reportFailure(e, log, write, verbose);
  }
}

/** --version: what is running, from which commit, and which image it starts by default. */
function versionText(): string {
  return `trace-exec ${VERSION}\ncommit: ${gitCommit()}\ndefault image: ${defaultsText()}`;
}

function reportTotals(t: Totals, gapLog: GapLog, json: boolean, write: (s: string) => void, reason: string): void {
  const gaps = gapLog.summary();
  write(
    `trace-exec: stopped (${reason}): ${t.shown} execs shown of ${t.events} traced, ${t.lost} lost, ` +
      `${t.unattributed} unattributed, ${t.incomplete} incomplete, ${t.malformed} malformed lines, ${t.self} self${t.exits > 0 ? `, ${t.exits} exits` : ''}${gaps ? `, ${gaps} without execs` : ''}\n`,
  );
  if (json) write(JSON.stringify({ kind: TOTALS_KIND, reason, ...t }) + '\n');
}
