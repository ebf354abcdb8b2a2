/**
 * Parsed command line → a frozen Options object. Pure: every check that can be made without the
 * cluster is made here, so bad input is answered before anything is created.
 */
import { parseDuration } from './duration.js';
import { FlagError, parseCount, SUMMARY_FORMATS, type SummaryFormat } from './flags.js';
import { OUTPUT_FORMATS, type OutputFormat } from '../output/index.js';
import { parseSelector } from '../join/selector.js';
import { parseImageFlag } from './image-flag.js';
import type { ImageSpec } from '../node/images.js';
import { DEFAULT_BUDGET, type Budget } from '../kube/token-bucket.js';
import type { Filters } from '../join/filter.js';
import type { Target, WorkloadKind } from '../kube/targets.js';
import type { RunOptions, Scope } from '../trace/options.js';
import { parseTarget, refuseSpacedTargets, TARGET_KINDS } from './target.js';
import { UsageError } from './usage-error.js';
import { buildBaselineOptions, type RawBaselineArgs } from './baseline-options.js';

export { parseTarget, TARGET_KINDS, UsageError };
export type { Filters, Scope, Target, WorkloadKind };

/** Everything a trace run takes (src/trace/options.ts, src/kube/session.ts), and -v. */
export interface Options extends RunOptions {
  readonly verbose: boolean;
}

export interface RawArgs extends RawBaselineArgs {
  targets: string[];
  local?: boolean;
  nodeSelector?: string;
  allNodes?: boolean;
  includeNotReady?: boolean;
  ancestry?: boolean;
  exits?: boolean;
  includeSelf?: boolean;
  yes?: boolean;
  selector?: string[];
  container?: string[];
  comm?: string[];
  failed?: boolean;
  host?: boolean;
  drift?: boolean;
  sessions?: boolean;
  noProbes?: boolean;
  namespace?: string[];
  output?: string;
  duration?: string;
  maxEvents?: string;
  kubeconfig?: string;
  context?: string;
  requestTimeout?: string;
  kubeApiQps?: string;
  kubeApiBurst?: string;
  /** Repeatable, comma lists: IMAGE or ARCH=IMAGE. */
  image?: string[];
  debugNamespace?: string;
  timeout?: string;
  reconnectTimeout?: string;
  verbose?: boolean;
  summaryTo?: string;
  summaryFormat?: string;
  timelineTo?: string;
}

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** Values of a repeatable flag that also takes comma lists, without empties and repeats; null when none. */
function commaList(values: readonly string[] | undefined): string[] | null {
  if (!values) return null;
  const all = [
    ...new Set(
      values
        .flatMap((v) => v.split(','))
        .map((v) => v.trim())
        .filter((v) => v !== ''),
    ),
  ];
  return all.length > 0 ? all : null;
}

function durationFlag(value: string | undefined, flag: string): number | null {
  if (value === undefined) return null;
  try {
    return parseDuration(value, flag);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

/** Default --reconnect-timeout: a minute of API server restart or network loss is ridden out. */
export const DEFAULT_RECONNECT_MS = 60_000;
/**
 * The longest useful --reconnect-timeout: the debug pod ends itself 90 s after the client's last
 * heartbeat (src/node/lease.ts), and the last heartbeat may be up to 5 s before the loss was seen.
 */
export const MAX_RECONNECT_MS = 80_000;

function reconnectTimeout(value: string | undefined): number {
  if (value === undefined) return DEFAULT_RECONNECT_MS;
  if (/^\s*0+(\.0*)?(ms|s|m|h)?\s*$/.test(value)) return 0;
  const ms = durationFlag(value, '--reconnect-timeout')!;
  if (ms > MAX_RECONNECT_MS) {
    throw new UsageError(
      `--reconnect-timeout "${value}" is longer than the debug pod outlives a silent client (it ends itself 90 s after the last heartbeat): give at most ${MAX_RECONNECT_MS / 1000}s, or 0 to end a node's trace at its first stream loss`,
    );
  }
  return ms;
}

export function buildOptions(raw: RawArgs): Options {
  const ways = [
    raw.local && '--local',
    raw.targets.length > 0 && `the target ${raw.targets[0]}`,
    raw.nodeSelector !== undefined && '--node-selector',
    raw.allNodes && '--all-nodes',
  ].filter(Boolean);
  if (ways.length > 1) throw new UsageError(`${ways.join(' and ')} cannot be used together: pick one way to choose what to trace`);
  let scope: Scope;
  if (raw.local) {
    scope = { kind: 'local', cluster: raw.kubeconfig !== undefined || raw.context !== undefined };
  } else if (raw.allNodes) {
    scope = { kind: 'all-nodes' };
  } else if (raw.nodeSelector !== undefined) {
    if (raw.nodeSelector.trim() === '')
      throw new UsageError('--node-selector is empty: write key=value (e.g. node-role.kubernetes.io/worker=)');
    scope = { kind: 'node-selector', selector: raw.nodeSelector };
  } else if (raw.targets.length === 0) {
    throw new UsageError(
      'no target: give node/NAME (see: kubectl get nodes), pod/NAME, deploy/NAME, --node-selector, --all-nodes, or --local to trace this machine',
    );
  } else {
    refuseSpacedTargets(raw.targets);
    const targets = raw.targets.map(parseTarget);
    if (targets.some((t) => t.kind === 'node') && targets.some((t) => t.kind !== 'node')) {
      throw new UsageError('node targets and pod/workload targets cannot be mixed: a pod target already traces the node the pod runs on');
    }
    scope = { kind: 'targets', targets: Object.freeze(targets) };
  }
  if (raw.includeNotReady && scope.kind !== 'all-nodes' && scope.kind !== 'node-selector') {
    throw new UsageError(
      '--include-not-ready only applies to --all-nodes and --node-selector (which leave NotReady nodes out): a node/NAME or pod target is always tried; drop the flag',
    );
  }
  const { filters, namespaces } = buildFilters(raw);

  const output = (raw.output ?? 'table') as OutputFormat;
  if (!OUTPUT_FORMATS.includes(output)) {
    throw new UsageError(`-o/--output "${raw.output}" is not a format: use one of ${OUTPUT_FORMATS.join(', ')}`);
  }

  if (raw.ancestry && output === 'summary') {
    throw new UsageError(
      '--ancestry gives each exec its parent chain, and -o summary shows no single exec: use -o table, wide or json with --ancestry',
    );
  }

  let maxEvents: number | null = null;
  if (raw.maxEvents !== undefined) {
    try {
      maxEvents = parseCount(raw.maxEvents, '--max-events');
    } catch (e) {
      if (e instanceof FlagError) throw new UsageError(e.message);
      throw e;
    }
  }

  const apiBudget = parseBudget(raw.kubeApiQps, raw.kubeApiBurst);

  if (raw.debugNamespace !== undefined && !DNS1123_LABEL.test(raw.debugNamespace)) {
    throw new UsageError(`--debug-namespace "${raw.debugNamespace}" is not a valid namespace name`);
  }
  if (raw.summaryTo !== undefined && raw.summaryTo.trim() === '') throw new UsageError('--summary-to needs a file name');
  if (raw.timelineTo !== undefined && raw.timelineTo.trim() === '') throw new UsageError('--timeline-to needs a file name');
  const summaryFormat = parseSummaryFormat(raw.summaryFormat);
  if (raw.summaryFormat !== undefined && raw.summaryTo === undefined) {
    throw new UsageError(
      `--summary-format says what --summary-to writes: add --summary-to FILE (for -o summary on stdout, the table is text)`,
    );
  }
  let images: ImageSpec;
  try {
    images = parseImageFlag(raw.image);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }

  return Object.freeze({
    scope,
    filters,
    yes: raw.yes ?? false,
    includeNotReady: raw.includeNotReady ?? false,
    ancestry: raw.ancestry ?? false,
    exits: raw.exits ?? false,
    includeSelf: raw.includeSelf ?? false,
    namespaces,
    output,
    durationMs: durationFlag(raw.duration, '--duration'),
    maxEvents,
    kubeconfig: raw.kubeconfig ?? null,
    context: raw.context ?? null,
    requestTimeoutMs: durationFlag(raw.requestTimeout, '--request-timeout'),
    apiBudget,
    images,
    debugNamespace: raw.debugNamespace ?? null,
    timeoutMs: durationFlag(raw.timeout, '--timeout') ?? 120_000,
    reconnectTimeoutMs: reconnectTimeout(raw.reconnectTimeout),
    verbose: raw.verbose ?? false,
    summaryTo: raw.summaryTo ?? null,
    summaryFormat,
    timelineTo: raw.timelineTo ?? null,
    baseline: buildBaselineOptions(raw),
  });
}

/**
 * The client-side filters (-n, -l, -c, --comm, --failed, --host, --drift), checked: shared by a
 * live trace and `report`, which applies them to a recording.
 */
export function buildFilters(
  raw: Pick<RawArgs, 'selector' | 'container' | 'comm' | 'failed' | 'host' | 'drift' | 'sessions' | 'noProbes' | 'namespace'>,
): { filters: Filters; namespaces: readonly string[] | null } {
  let comm: RegExp[] | null = null;
  if (raw.comm !== undefined && raw.comm.length > 0) {
    comm = raw.comm.map((c) => {
      try {
        return new RegExp(c);
      } catch (e) {
        throw new UsageError(`--comm "${c}" is not a regular expression: ${(e as Error).message}`);
      }
    });
  }
  // Several -l are all required, as the parts of one comma-separated selector are.
  const selectors = (raw.selector ?? []).filter((s) => s.trim() !== '');
  const selector = selectors.length > 0 ? selectors.join(',') : null;
  for (const s of selectors) {
    try {
      parseSelector(s);
    } catch (e) {
      throw new UsageError(`-l/--selector ${(e as Error).message}`);
    }
  }
  const containers = commaList(raw.container);
  for (const c of containers ?? []) {
    if (c.length > 63 || !DNS1123_LABEL.test(c)) {
      throw new UsageError(`-c/--container "${c}" is not a valid container name (a DNS-1123 label: lowercase letters, digits and '-')`);
    }
  }
  const filters: Filters = Object.freeze({
    selector,
    container: containers ? Object.freeze(containers) : null,
    comm: comm ? Object.freeze(comm) : null,
    failed: raw.failed ?? false,
    host: raw.host ?? false,
    drift: raw.drift ?? false,
    sessions: raw.sessions ?? false,
    noProbes: raw.noProbes ?? false,
  });
  if (filters.sessions && filters.host) {
    throw new UsageError(
      '--sessions keeps execs that entered a container through exec, and --host keeps host processes (in no container): they cannot be combined',
    );
  }
  if (filters.drift && filters.failed) {
    // A failed exec ran no file, so it has no layer: together they would show nothing.
    throw new UsageError(
      '--drift keeps only execs that ran a file from a writable layer, and a failed exec ran none: it cannot be combined with --failed',
    );
  }
  if (filters.host && (filters.selector || filters.container)) {
    throw new UsageError('--host keeps only host processes: it cannot be combined with -l/--selector or -c/--container');
  }

  const namespaces = commaList(raw.namespace);
  for (const ns of namespaces ?? []) {
    if (ns.length > 63 || !DNS1123_LABEL.test(ns)) {
      throw new UsageError(`-n/--namespace "${ns}" is not a valid namespace name (a DNS-1123 label: lowercase letters, digits and '-')`);
    }
  }
  return { filters, namespaces: namespaces ? Object.freeze(namespaces) : null };
}

/** --summary-format's value; text when not given. */
export function parseSummaryFormat(value: string | undefined): SummaryFormat {
  if (value === undefined) return 'text';
  if (!(SUMMARY_FORMATS as readonly string[]).includes(value)) {
    throw new UsageError(`--summary-format "${value}" is not a format: use ${SUMMARY_FORMATS.join(' or ')}`);
  }
  return value as SummaryFormat;
}

/** --kube-api-qps (a positive number, fractions allowed as in client-go) and --kube-api-burst (a count). */
export function parseBudget(qps: string | undefined, burst: string | undefined): Budget {
  let q = DEFAULT_BUDGET.qps;
  if (qps !== undefined) {
    q = Number(qps.trim());
    if (qps.trim() === '' || !Number.isFinite(q) || q <= 0) {
      throw new UsageError(
        `--kube-api-qps "${qps}" is not a rate: give the API requests per second, a number above 0 (e.g. --kube-api-qps 20 or 0.5)`,
      );
    }
  }
  let b = DEFAULT_BUDGET.burst;
  if (burst !== undefined) {
    try {
      b = parseCount(burst, '--kube-api-burst');
    } catch (e) {
      if (e instanceof FlagError) throw new UsageError(e.message);
      throw e;
    }
  }
  return Object.freeze({ qps: q, burst: b });
}
