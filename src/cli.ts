#!/usr/bin/env node
/**
 * The whole user-facing surface on one page: usage, examples, flags → frozen Options → run().
 * Exit codes are decided here: 0 when the trace ends by --duration, --max-events, Ctrl-C or a closed
 * stdout or stderr; 1 on any error (as kubectl), including objects left behind on the cluster.
 */
import { hideBin } from 'yargs/helpers';
import { buildOptions, UsageError, type RawArgs } from './cli/options.js';
import { defaultsText } from './node/images.js';
import { parseCleanup, parseMain, parseReport } from './cli/parse.js';
import { buildReportOptions, refuseSelector, type RawReportArgs } from './cli/report-options.js';
import { closestSubcommand } from './cli/suggest.js';
import { report } from './report.js';
import { TOTALS_KIND } from './report/record.js';
import { camelKey, MAIN_FLAGS } from './cli/flags.js';
import { unwritableMessage } from './cli/output-paths.js';
import { stdStream } from './cli/std-stream.js';
import { stderrLog } from './log.js';
import { UserError } from './errors.js';
import { run, type Totals } from './run.js';
import { GapLog } from './reconnect.js';
import { cleanup } from './cleanup.js';
import { LineBatch } from './output/line-batch.js';
import { EXIT_FINDINGS, type DiffResult } from './report/diff.js';
import { gitCommit, VERSION } from './version.js';
import { complete, completionScript, formatCompletion, invokedAs, SHELLS, type Shell } from './cli/completion.js';
import { contextNames, listContainerNames, listNamespaceNames, listNodeNames, listObjectNames } from './kube/names.js';

const INVOKED_AS = invokedAs(process.argv[1], process.env.TRACE_EXEC_INVOKED_AS);
const NAME = INVOKED_AS === 'oc' ? 'oc trace-exec' : 'kubectl trace-exec';
/** A TAB must not hang on an unreachable cluster: the lookup's limit without --request-timeout. */
const COMPLETION_TIMEOUT_MS = 5000;

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
  [`${NAME} --all-nodes --image arm64=registry.example.com/trace-exec-bpftrace:1`, 'Every node; arm64 nodes with your image (there is no default for arm64)'],
  [`${NAME} --local -d 10s`, 'Trace this machine directly (no cluster): on a node or a CI runner, as root'],
  [`${NAME} node/worker-1 -o json -d 10m --baseline green.jsonl --fail-on new-exec,drift,session > execs.jsonl`, 'Record, then say on stderr what is new since a green run; exit 3 if any of these'],
];

export async function main(argv: string[]): Promise<number> {
  // Signals and a reader of stdout or stderr going away end the trace; cleanup always runs.
  let interrupt!: (why: string) => void;
  const interrupted = new Promise<string>((r) => (interrupt = r));
  // A closed stderr (`2>&1 | head`, a CI log pipe) ends a trace as a closed stdout does; the
  // diagnostics after it are dropped, and cannot crash the run or change its exit code.
  const stderr = stdStream(process.stderr, 'stderr', (why) => interrupt(why));
  const write = (t: string): void => stderr.write(t);
  let verbose = argv.includes('-v') || argv.includes('--verbose');
  const log = stderrLog(write, verbose);
  if (INVOKED_AS === 'complete') return completeMain(argv, true);
  if (argv[0] === '__complete' || argv[0] === '__completeNoDesc') return completeMain(argv.slice(1), argv[0] === '__complete');
  if (argv[0] === 'completion') return completionMain(argv.slice(1), log);
  if (argv[0] === 'cleanup') return cleanupMain(argv.slice(1), log, write);
  if (argv[0] === 'report') return reportMain(argv.slice(1), log, write);
  const near = argv[0] === undefined ? null : closestSubcommand(argv[0]);
  if (near) {
    log.error(`unknown command "${argv[0]}"; did you mean ${near}? (see ${NAME} --help)`);
    return 1;
  }

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
      wrap: Math.min(110, process.stderr.columns ?? 100),
    });
  } catch (e) {
    if (e instanceof UsageError) {
      log.error(e.message);
      return 1;
    }
    throw e;
  }
  if (parsed.kind === 'shown') return 0;
  const raw = { ...parsed.flags, targets: parsed.targets } as unknown as RawArgs;

  let opts;
  try {
    opts = buildOptions(raw);
  } catch (e) {
    if (e instanceof UsageError) {
      log.error(e.message);
      return 1;
    }
    throw e;
  }
  verbose = opts.verbose;
  // Files written at the end are checked now, before anything is created or traced.
  for (const f of MAIN_FLAGS.filter((x) => x.name.endsWith('-to'))) {
    const file = (raw as unknown as Record<string, unknown>)[camelKey(f.name)];
    const message = typeof file === 'string' ? unwritableMessage(`--${f.name}`, file, exampleFileName(f.name, opts.summaryFormat)) : null;
    if (message) {
      log.error(message);
      return 1;
    }
  }

  // A second Ctrl-C does not skip the cleanup.
  let signals = 0;
  // Windows: Ctrl-C is SIGINT, Ctrl-Break SIGBREAK, closing the console window SIGHUP (then about 10 s
  // until Windows ends the process); SIGTERM is never raised there, listening to it is harmless.
  const stopSignals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', ...(process.platform === 'win32' ? (['SIGBREAK'] as const) : [])];
  for (const sig of stopSignals) {
    process.on(sig, () => {
      if (signals++ === 0) interrupt(sig);
      else log.progress('stopping: removing the debug pod first, please wait');
    });
  }
  const data = stdStream(process.stdout, 'stdout', (why) => interrupt(why));
  // Every line a chunk of the stream produced goes out in one write (not one system call per event).
  const stdout = new LineBatch({ write: (text) => data.write(text) });
  const out = (line: string): void => stdout.push(line);

  try {
    const result = await run(opts, {
      out,
      log,
      width: terminalWidth(),
      interrupted,
      confirm: process.stdin.isTTY && process.stderr.isTTY ? askOnTerminal : null,
      diffOut: { write, width: process.stderr.isTTY ? (process.stderr.columns ?? 120) : null },
    }).finally(() => stdout.flush());
    reportTotals(result.totals, opts.output === 'json', write, result.reason);
    if (result.writeFailures.length > 0) {
      for (const w of result.writeFailures) log.error(`${w}; exiting with 1`);
      return 1;
    }
    if (result.failures.length > 0) {
      log.error(`${result.failures.length} of ${result.totals.nodes} nodes could not be traced to the end: ${result.failures.map((f) => f.message.split('\n')[0]).join('; ')}`);
      return 1;
    }
    return result.cleanedUp ? exitForFindings(result.diff ?? null, log) : 1;
  } catch (e) {
    return reportFailure(e, log, write, verbose);
  }
}

/**
 * The exit code and message of a run that threw: a UserError is one line (and its hint); anything
 * else is a bug, reported with versions, its stack only with -v.
 */
function reportFailure(e: unknown, log: ReturnType<typeof stderrLog>, write: (t: string) => void, verbose: boolean): number {
  if (e instanceof UserError) {
    log.error(e.message);
    if (e.hint) write(`  hint: ${e.hint}\n`);
    return 1;
  }
  log.error(`unexpected: ${(e as Error)?.message ?? e}`);
  write(`  please report this at the project's issue tracker with: trace-exec ${VERSION}, node ${process.version}${verbose ? '' : ' (run again with -v for a stack trace)'}\n`);
  if (verbose) write(`${(e as Error)?.stack}\n`);
  return 1;
}

/** The file name offered below a directory given to a --…-to flag. */
function exampleFileName(flag: string, summaryFormat: string | null): string {
  if (flag === 'summary-to') return summaryFormat === 'markdown' ? 'summary.md' : 'summary.txt';
  if (flag === 'timeline-to') return 'timeline.json';
  return `${flag.replace(/-to$/, '')}.out`;
}

/** --version: what is running, from which commit, and which image it starts by default. */
function versionText(): string {
  return `trace-exec ${VERSION}\ncommit: ${gitCommit()}\ndefault image: ${defaultsText()}`;
}

/** The hidden `__complete` command (and kubectl_complete-trace_exec): cobra's protocol, see src/cli/completion.ts. */
async function completeMain(args: string[], descriptions: boolean): Promise<number> {
  const timeout = (ms: number | null): number => ms ?? COMPLETION_TIMEOUT_MS;
  const result = await complete(args.length > 0 ? args : [''], {
    nodes: (c) => listNodeNames({ kubeconfig: c.kubeconfig, context: c.context, timeoutMs: timeout(c.requestTimeoutMs) }),
    namespaces: (c) => listNamespaceNames({ kubeconfig: c.kubeconfig, context: c.context, timeoutMs: timeout(c.requestTimeoutMs) }),
    contexts: (kubeconfig) => contextNames(kubeconfig),
    objects: (c, namespace, resource) => listObjectNames({ kubeconfig: c.kubeconfig, context: c.context, timeoutMs: timeout(c.requestTimeoutMs), namespace }, resource),
    containers: (c, namespace, targets) => listContainerNames({ kubeconfig: c.kubeconfig, context: c.context, timeoutMs: timeout(c.requestTimeoutMs), namespace }, targets),
  });
  process.stdout.write(formatCompletion(result, descriptions));
  if (result.error) process.stderr.write(`trace-exec: completion: ${result.error}\n`);
  return 0;
}

async function completionMain(argv: string[], log: ReturnType<typeof stderrLog>): Promise<number> {
  const cmd = NAME.replace(' ', '-').replace('-trace-exec', '-trace_exec');
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h') {
    const out = argv.length === 0 ? (s: string) => void process.stderr.write(s) : (s: string) => void process.stdout.write(s);
    out(
      `Print a shell completion script for ${cmd} and oc-trace_exec typed directly.\n\n` +
        `Usage:\n  ${NAME} completion bash|zsh|fish\n\n` +
        `Examples:\n  source <(${cmd} completion bash)          # bash, this shell\n` +
        `  source <(${cmd} completion zsh)           # zsh, after compinit\n` +
        `  ${cmd} completion fish | source           # fish\n\n` +
        `${NAME} <TAB> itself is completed by kubectl 1.26+ when kubectl_complete-trace_exec is on PATH (see the README).\n`,
    );
    return argv.length === 0 ? 1 : 0;
  }
  const shell = argv[0] as Shell;
  if (!SHELLS.includes(shell) || argv.length > 1) {
    log.error(`completion: give one shell: ${SHELLS.join(', ')} (got: ${argv.join(' ')})`);
    return 1;
  }
  process.stdout.write(completionScript(shell));
  return 0;
}

async function cleanupMain(argv: string[], log: ReturnType<typeof stderrLog>, write: (t: string) => void): Promise<number> {
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
      wrap: Math.min(110, process.stderr.columns ?? 100),
    });
  } catch (e) {
    if (e instanceof UsageError) {
      log.error(e.message);
      return 1;
    }
    throw e;
  }
  if (parsed.kind === 'shown') return 0;
  const raw = parsed.flags as { namespace?: string; allNamespaces?: boolean; dryRun?: boolean; all?: boolean; kubeconfig?: string; context?: string; verbose?: boolean };
  try {
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
    return reportFailure(e, log, write, raw.verbose ?? false);
  }
}

async function reportMain(argv: string[], log: ReturnType<typeof stderrLog>, write: (t: string) => void): Promise<number> {
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
        [`${NAME} report execs-*.jsonl.gz -n payments -o markdown >> "$GITHUB_STEP_SUMMARY"`, 'One namespace of several compressed files, as Markdown'],
        [`${NAME} report execs.jsonl --timeline-to timeline.json`, 'A timeline to open in ui.perfetto.dev'],
        [`kubectl trace-exec node/w -o json -d 1m | ${NAME} report - --failed`, 'Failed execs of a live minute, summarised'],
        [`${NAME} report execs.jsonl --drift -o markdown`, "Only execs of files not in their container's image"],
        [`${NAME} report execs.jsonl --baseline green.jsonl --fail-on new-exec,drift,session`, 'What is new since a green run; exit 3 if any of these'],
      ],
      version: null,
      wrap: Math.min(110, process.stderr.columns ?? 100),
      positionals: 'files written by -o json (- for stdin, .gz too), and pod/NAME to keep only those pods',
    });
    if (parsed.kind === 'shown') return 0;
    opts = buildReportOptions({ ...parsed.flags, targets: parsed.targets } as unknown as RawReportArgs);
  } catch (e) {
    if (e instanceof UsageError) {
      log.error(e.message);
      return 1;
    }
    throw e;
  }
  const unwritable = opts.timelineTo ? unwritableMessage('--timeline-to', opts.timelineTo, exampleFileName('timeline-to', null)) : null;
  if (unwritable) {
    log.error(unwritable);
    return 1;
  }
  const reportLog = stderrLog(write, opts.verbose);
  let stdoutOpen = true;
  process.stdout.on('error', () => (stdoutOpen = false));
  const stdout = new LineBatch({ write: (text) => void (stdoutOpen && process.stdout.write(text)) });
  try {
    const result = await report(opts, { out: (l) => stdout.push(l), log: reportLog, stdin: process.stdin, width: terminalWidth() }).finally(() => stdout.flush());
    for (const w of result.writeFailures) reportLog.error(`${w}; exiting with 1`);
    if (result.writeFailures.length > 0) return 1;
    return exitForFindings(result.diff, reportLog);
  } catch (e) {
    return reportFailure(e, reportLog, write, opts.verbose);
  }
}

/** 3 when --fail-on names a kind of finding the comparison found (said on stderr), else 0. */
function exitForFindings(diff: DiffResult | null, log: ReturnType<typeof stderrLog>): number {
  if (!diff || diff.failing.length === 0) return 0;
  log.error(`--fail-on: found ${diff.failing.join(', ')} against the baseline; exiting with ${EXIT_FINDINGS}`);
  return EXIT_FINDINGS;
}

/** The columns of the terminal stdout is, null when it is piped (then output is never cut). */
function terminalWidth(): number | null {
  return process.stdout.isTTY ? (process.stdout.columns ?? 120) : null;
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

function reportTotals(t: Totals, json: boolean, write: (s: string) => void, reason: string): void {
  const gaps = new GapLog(t.gaps).summary();
  write(
    `trace-exec: stopped (${reason}): ${t.shown} execs shown of ${t.events} traced, ${t.lost} lost, ` +
      `${t.unattributed} unattributed, ${t.incomplete} incomplete, ${t.malformed} malformed lines, ${t.self} self${t.exits > 0 ? `, ${t.exits} exits` : ''}${gaps ? `, ${gaps} without execs` : ''}\n`,
  );
  if (json) write(JSON.stringify({ kind: TOTALS_KIND, reason, ...t }) + '\n');
}

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
