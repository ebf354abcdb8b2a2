/**
 * Every flag of `trace-exec` and `trace-exec cleanup`, once: yargs (src/cli/parse.ts), `did you
 * mean` (src/cli/suggest.ts), completion (src/cli/completion.ts) and the README's flag table
 * (checked by src/cli/readme-flags.test.ts) are all read from here.
 *
 * Repeated flags, one rule for all (kubectl's own): a single-valued flag given twice takes its last
 * value; a list-valued flag (`kind: 'list'`) accumulates every value, and commas also separate values
 * for -n and -c (not for -l, whose commas are part of the selector, nor for --comm, a regular expression).
 */
import { OUTPUT_FORMATS, REPORT_FORMATS, SUMMARY_FORMATS, type ReportFormat, type SummaryFormat } from '../output/index.js';
import { DEFAULT_IMAGES } from '../node/images.js';
import { FINDING_KINDS } from '../report/baseline.js';

/** What completion offers for a flag's value. */
export type ValueKind =
  | 'namespaces'
  | 'namespace'
  | 'containers'
  | 'output'
  | 'report-output'
  | 'summary-format'
  | 'kubeconfig'
  | 'file'
  | 'context'
  | 'duration'
  | 'timeout'
  | 'request-timeout'
  | 'reconnect-timeout'
  | 'image'
  | 'number'
  | 'fail-on'
  | 'none';

export { REPORT_FORMATS, SUMMARY_FORMATS, type ReportFormat, type SummaryFormat };

/**
 * - boolean: no value;
 * - value: one string, the last one given wins;
 * - list: every value given is kept (see `meaning` for how several combine);
 * - count: a whole number ≥ 1, the last one given wins;
 * - duration: 30s, 2m, 1m30s, 500ms, bare seconds; the last one given wins.
 */
export type FlagKind = 'boolean' | 'value' | 'list' | 'count' | 'duration';

export interface FlagSpec {
  readonly name: string;
  readonly alias?: string;
  readonly kind: FlagKind;
  /** The --help line. */
  readonly describe: string;
  /** For completion menus: a few lowercase words. */
  readonly brief: string;
  /** What completion offers as the value; also the README placeholder's source. */
  readonly complete?: ValueKind;
  readonly default?: string;
  /** list flags: how several values combine ("either", "all"). */
  readonly combine?: 'any' | 'all';
}

export const MAIN_FLAGS: readonly FlagSpec[] = Object.freeze([
  {
    name: 'namespace',
    alias: 'n',
    kind: 'list',
    combine: 'any',
    complete: 'namespaces',
    brief: 'only execs of pods in these namespaces',
    describe:
      'Only execs of pods in these namespaces (repeatable or a,b: either). Default: every exec on the node, host processes included',
  },
  {
    name: 'output',
    alias: 'o',
    kind: 'value',
    complete: 'output',
    default: 'table',
    brief: 'output format',
    describe: `Output format: ${OUTPUT_FORMATS.join(' | ')}`,
  },
  {
    name: 'duration',
    alias: 'd',
    kind: 'duration',
    complete: 'duration',
    brief: 'stop after this long',
    describe: 'Stop after this long (30s, 2m, 1m30s; a bare number is seconds). Default: until Ctrl-C',
  },
  {
    name: 'max-events',
    kind: 'count',
    complete: 'number',
    brief: 'stop after this many printed execs',
    describe: 'Stop after this many printed execs',
  },
  {
    name: 'kubeconfig',
    kind: 'value',
    complete: 'kubeconfig',
    brief: 'path to the kubeconfig file',
    describe: 'Path to the kubeconfig file (default: $KUBECONFIG, then ~/.kube/config)',
  },
  {
    name: 'context',
    kind: 'value',
    complete: 'context',
    brief: 'the kubeconfig context to use',
    describe: 'The kubeconfig context to use',
  },
  {
    name: 'request-timeout',
    kind: 'duration',
    complete: 'request-timeout',
    brief: 'limit for each API request',
    describe: 'How long to wait for each API request (e.g. 10s). Default: no limit',
  },
  {
    name: 'kube-api-qps',
    kind: 'value',
    complete: 'number',
    default: '50',
    brief: 'API requests per second, sustained',
    describe:
      'API requests per second this run may make, sustained (the token bucket kubectl uses for its own fan-out; a fraction is allowed)',
  },
  {
    name: 'kube-api-burst',
    kind: 'count',
    complete: 'number',
    default: '300',
    brief: 'API requests that may go at once',
    describe: 'API requests that may go at once before --kube-api-qps paces them',
  },
  {
    name: 'image',
    kind: 'list',
    complete: 'image',
    brief: 'debug pod image with bpftrace: IMAGE, or ARCH=IMAGE per architecture',
    describe: `Debug pod image: IMAGE, or ARCH=IMAGE per architecture (repeatable, a,b). Default: ${Object.entries(DEFAULT_IMAGES)
      .map(([a, i]) => `${a}=${i}`)
      .join(', ')}, none for others`,
  },
  {
    name: 'debug-namespace',
    kind: 'value',
    complete: 'namespace',
    brief: 'create the debug pod in this existing namespace',
    describe: 'Create the debug pod in this existing namespace instead of a temporary one',
  },
  {
    name: 'timeout',
    kind: 'duration',
    complete: 'timeout',
    default: '2m',
    brief: 'how long to wait for the debug pod to be Running',
    describe: 'How long to wait for the debug pod to be Running',
  },
  {
    name: 'reconnect-timeout',
    kind: 'duration',
    complete: 'reconnect-timeout',
    default: '60s',
    brief: 'how long to re-attach to a node after its exec stream was lost',
    describe: 'How long to try to re-attach to a node after its exec stream was lost (per loss; at most 80s; 0: a loss ends the node)',
  },
  {
    name: 'local',
    kind: 'boolean',
    brief: 'trace this machine directly, without a cluster',
    describe: 'Trace this machine directly, without a cluster (needs root and bpftrace)',
  },
  {
    name: 'node-selector',
    kind: 'value',
    complete: 'none',
    brief: 'trace every node with these labels',
    describe: 'Trace every node with these labels (e.g. node-role.kubernetes.io/worker=)',
  },
  { name: 'all-nodes', kind: 'boolean', brief: 'trace every node', describe: 'Trace every node (asks first on a terminal above 10 nodes)' },
  {
    name: 'include-not-ready',
    kind: 'boolean',
    brief: 'with --all-nodes or --node-selector, also try NotReady nodes',
    describe: 'With --all-nodes or --node-selector, also try the nodes that are not Ready (left out by default, one line each)',
  },
  { name: 'yes', kind: 'boolean', brief: 'do not ask before tracing many nodes', describe: 'Do not ask before tracing many nodes' },
  {
    name: 'selector',
    alias: 'l',
    kind: 'list',
    combine: 'all',
    complete: 'none',
    brief: 'only execs of pods with these labels',
    describe: 'Only execs of pods with these labels (a=b,c!=d,e in (x,y)); repeated: all of them, as a comma',
  },
  {
    name: 'container',
    alias: 'c',
    kind: 'list',
    combine: 'any',
    complete: 'containers',
    brief: 'only execs in containers with this name',
    describe: 'Only execs in containers with this name (repeatable or a,b: either)',
  },
  {
    name: 'comm',
    kind: 'list',
    combine: 'any',
    complete: 'none',
    brief: 'only execs whose command name matches this regular expression',
    describe: 'Only execs whose command name matches this regular expression (repeatable: either)',
  },
  {
    name: 'failed',
    kind: 'boolean',
    brief: 'only execs that failed',
    describe: 'Only execs that failed (retval < 0); with --exits also processes that exited non-zero or by a signal',
  },
  { name: 'host', kind: 'boolean', brief: 'only host processes', describe: 'Only host processes (not in any pod)' },
  {
    name: 'drift',
    kind: 'boolean',
    brief: "only execs of files from a container's writable layer, not its image",
    describe:
      'Only execs of files written or changed in a container after it started: from its writable (overlayfs upper) layer, not its image (JSON: "upperLayer": true)',
  },
  {
    name: 'sessions',
    kind: 'boolean',
    brief: 'only execs that entered their container through exec (kubectl exec), and what they ran',
    describe:
      'Only execs that entered their container through the runtime\'s exec (kubectl exec) and the commands run under them (JSON: "entry": "exec")',
  },
  {
    name: 'no-probes',
    kind: 'boolean',
    brief: 'leave out the exec probes and exec hooks the kubelet runs',
    describe:
      'Leave out the exec probes and postStart/preStop exec hooks the kubelet runs, and what runs under them (JSON: "entry": "probe", "hook")',
  },
  {
    name: 'summary-to',
    kind: 'value',
    complete: 'file',
    brief: 'also write the summary table to this file at the end',
    describe: 'Also write the summary table to this file when the trace ends',
  },
  {
    name: 'summary-format',
    kind: 'value',
    complete: 'summary-format',
    default: 'text',
    brief: 'the --summary-to file as text or markdown',
    describe: `What --summary-to writes: ${SUMMARY_FORMATS.join(' | ')} (GitHub-flavoured Markdown, e.g. for $GITHUB_STEP_SUMMARY)`,
  },
  {
    name: 'timeline-to',
    kind: 'value',
    complete: 'file',
    brief: 'also write a Perfetto / chrome://tracing timeline to this file at the end',
    describe:
      'Also write the execs as a timeline (Chrome trace-event JSON: opens in ui.perfetto.dev and chrome://tracing) to this file when the trace ends',
  },
  {
    name: 'baseline',
    kind: 'list',
    complete: 'file',
    brief: 'compare with an earlier recording and report what is new at the end',
    describe: 'Compare with this earlier recording (-o json; repeatable): at the end, what is new goes to stderr and --summary-to',
  },
  {
    name: 'fail-on',
    kind: 'list',
    complete: 'fail-on',
    brief: 'with --baseline: exit 3 when any of these findings exists',
    describe: `With --baseline: exit with 3 when any of these findings exists: ${FINDING_KINDS.join(', ')} (repeatable or a,b)`,
  },
  {
    name: 'allow',
    kind: 'value',
    complete: 'file',
    brief: 'with --baseline: known exceptions, WORKLOAD [EXECUTABLE] a line',
    describe: 'With --baseline: leave out what this file allows (a rule a line: WORKLOAD [EXECUTABLE], globs)',
  },
  {
    name: 'include-self',
    kind: 'boolean',
    brief: "also the execs of trace-exec's own debug pod",
    describe: 'Also show the execs of trace-exec\'s own debug pod (left out by default; counted as "self" in the totals)',
  },
  {
    name: 'ancestry',
    kind: 'boolean',
    brief: "give each exec its parent chain, with each ancestor's pod or host",
    describe: 'Give each exec its parent chain, with each ancestor\'s pod or host (-o json: "ancestry")',
  },
  {
    name: 'exits',
    kind: 'boolean',
    brief: "also show how each exec'd process ended: exit code or signal, and how long it ran",
    describe:
      'Also show how each process exec\'d during the trace ended: its exit code or the signal that killed it, and how long it ran (-o json: "type": "exit" lines)',
  },
  {
    name: 'verbose',
    alias: 'v',
    kind: 'boolean',
    brief: 'say more on stderr',
    describe: 'Say more on stderr, and show stack traces of unexpected errors',
  },
  { name: 'help', alias: 'h', kind: 'boolean', brief: 'show help', describe: 'Show help' },
  { name: 'version', kind: 'boolean', brief: 'show version', describe: 'Show version number' },
] satisfies FlagSpec[]);

/** A flag of the live trace, as MAIN_FLAGS defines it (for commands that share it). */
function mainFlag(name: string): FlagSpec {
  const f = MAIN_FLAGS.find((x) => x.name === name);
  if (!f) throw new Error(`no flag --${name} in MAIN_FLAGS`);
  return f;
}

export const CLEANUP_FLAGS: readonly FlagSpec[] = Object.freeze([
  {
    name: 'namespace',
    alias: 'n',
    kind: 'value',
    complete: 'namespace',
    brief: 'debug pods in this namespace',
    describe: "Debug pods in this namespace (default: the context's namespace)",
  },
  {
    name: 'all-namespaces',
    alias: 'A',
    kind: 'boolean',
    brief: 'debug pods in every namespace',
    describe: 'Debug pods in every namespace',
  },
  { name: 'dry-run', kind: 'boolean', brief: 'only list what would be removed', describe: 'Only list what would be removed' },
  {
    name: 'all',
    kind: 'boolean',
    brief: 'also pods that may belong to a trace still running',
    describe: 'Also remove pods that are still Pending or Running (they may belong to a trace still running elsewhere)',
  },
  {
    name: 'kubeconfig',
    kind: 'value',
    complete: 'kubeconfig',
    brief: 'path to the kubeconfig file',
    describe: 'Path to the kubeconfig file',
  },
  {
    name: 'context',
    kind: 'value',
    complete: 'context',
    brief: 'the kubeconfig context to use',
    describe: 'The kubeconfig context to use',
  },
  {
    name: 'verbose',
    alias: 'v',
    kind: 'boolean',
    brief: 'say more on stderr',
    describe: 'Say more on stderr, and show stack traces of unexpected errors',
  },
  { name: 'help', alias: 'h', kind: 'boolean', brief: 'show help', describe: 'Show help' },
] satisfies FlagSpec[]);

/**
 * `trace-exec report FILE…`: the client-side filters that make sense offline. Not -l: the records
 * carry no pod labels (src/cli/report-options.ts refuses it with one line).
 */
export const REPORT_FLAGS: readonly FlagSpec[] = Object.freeze([
  {
    name: 'output',
    alias: 'o',
    kind: 'value',
    complete: 'report-output',
    default: 'summary',
    brief: 'report format',
    describe: `Report format: ${REPORT_FORMATS.join(' | ')} (markdown: GitHub-flavoured; json: with --baseline, one finding a line)`,
  },
  {
    name: 'timeline-to',
    kind: 'value',
    complete: 'file',
    brief: 'also write a Perfetto / chrome://tracing timeline to this file',
    describe: 'Also write the execs as a timeline (Chrome trace-event JSON: opens in ui.perfetto.dev and chrome://tracing) to this file',
  },
  {
    name: 'namespace',
    alias: 'n',
    kind: 'list',
    combine: 'any',
    complete: 'none',
    brief: 'only execs of pods in these namespaces',
    describe: 'Only execs of pods in these namespaces (repeatable or a,b: either)',
  },
  // The live trace's filters (one definition); -c completes nothing offline (no cluster to ask).
  { ...mainFlag('container'), complete: 'none' },
  mainFlag('comm'),
  mainFlag('failed'),
  mainFlag('host'),
  mainFlag('drift'),
  mainFlag('sessions'),
  mainFlag('no-probes'),
  {
    ...mainFlag('baseline'),
    brief: 'compare with an earlier recording: print what is new instead of the summary',
    describe: 'Compare with this earlier recording (repeatable; .gz too): print what is new in FILE… instead of the summary',
  },
  mainFlag('fail-on'),
  mainFlag('allow'),
  {
    name: 'verbose',
    alias: 'v',
    kind: 'boolean',
    brief: 'say more on stderr',
    describe: 'Say more on stderr (every malformed line), and show stack traces of unexpected errors',
  },
  { name: 'help', alias: 'h', kind: 'boolean', brief: 'show help', describe: 'Show help' },
] satisfies FlagSpec[]);

/** `max-events` → `maxEvents`: the key yargs gives a flag's value under. */
export function camelKey(name: string): string {
  return name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

/** How the flag is written in messages: `-o/--output`, `--image`. */
export function flagLabel(f: FlagSpec): string {
  return f.alias ? `-${f.alias}/--${f.name}` : `--${f.name}`;
}

export class FlagError extends Error {}

/** The value of one flag as the parser found it: a string or boolean, an array when given more than once. */
export type ParsedValue = string | number | boolean | ReadonlyArray<string | number | boolean> | undefined;
export type FlagValue = string | boolean | string[] | undefined;

/**
 * One flag's parsed value → what the rule above makes of it: booleans and single values the last
 * one given, lists every one given (in order). A value flag given without a value is refused.
 */
export function resolveFlag(f: FlagSpec, v: ParsedValue): FlagValue {
  if (v === undefined) return undefined;
  const all = (Array.isArray(v) ? v : [v]) as (string | number | boolean)[];
  if (f.kind === 'boolean') return Boolean(all.at(-1));
  const strings = all.map((x) => (typeof x === 'boolean' ? '' : String(x)));
  if (f.kind === 'list') return strings;
  const last = strings.at(-1) ?? '';
  if (last === '') throw new FlagError(`${flagLabel(f)} needs a value${f.default ? ` (default: ${f.default})` : ''}`);
  return last;
}

/** Every flag of `specs` resolved from the parser's result, keyed as yargs keys them (camelCase). */
export function resolveFlags(specs: readonly FlagSpec[], parsed: Readonly<Record<string, unknown>>): Record<string, FlagValue> {
  const out: Record<string, FlagValue> = {};
  for (const f of specs) {
    const v = resolveFlag(f, parsed[camelKey(f.name)] as ParsedValue);
    if (v !== undefined) out[camelKey(f.name)] = v;
  }
  return out;
}

/** A count flag's text → the number; one line naming the flag when it is not a whole number ≥ 1, or is beyond what it can count to. */
export function parseCount(text: string, flag: string): number {
  const t = text.trim();
  if (!/^\d+$/.test(t) || Number(t) < 1) {
    throw new FlagError(`${flag} "${text}" is not a count: give a whole number of at least 1 (e.g. ${flag} 100)`);
  }
  if (!Number.isSafeInteger(Number(t))) {
    throw new FlagError(`${flag} "${text}" is too large: give at most ${Number.MAX_SAFE_INTEGER}, or leave the flag out for no limit`);
  }
  return Number(t);
}
