/**
 * What one trace run needs (src/run.ts), as the CLI hands it over frozen: where to trace, what to
 * keep and show, when to stop, what to write at the end. The cluster part is the session's own
 * (src/kube/session.ts); a run takes both.
 */
import type { ClusterScope } from '../kube/targets.js';
import type { SessionOptions } from '../kube/session.js';
import type { Filters } from '../join/filter.js';
import type { OutputFormat, SummaryFormat } from '../output/index.js';
import type { BaselineOptions } from '../report/diff.js';

/** Where to trace: this machine, or nodes of a cluster. */
export type Scope =
  /** cluster: --kubeconfig or --context was given too: join with that cluster's pods (nested clusters). */
  { kind: 'local'; cluster: boolean } | ClusterScope;

export interface TraceOptions {
  readonly scope: Scope;
  readonly filters: Filters;
  /** Skip the confirmation --all-nodes asks for on a terminal above 10 nodes. */
  readonly yes: boolean;
  /** Give each exec its parent chain (traces forks and exits too). */
  readonly ancestry: boolean;
  /** --exits: also report how each process exec'd during the trace ended. */
  readonly exits: boolean;
  /** Show the execs of trace-exec's own debug pod too (else left out and counted as "self"). */
  readonly includeSelf: boolean;
  /** Namespaces to keep (client-side filter after the join); null = everything, host processes included. */
  readonly namespaces: readonly string[] | null;
  readonly output: OutputFormat;
  readonly durationMs: number | null;
  readonly maxEvents: number | null;
  /** How long to try to re-attach to a node after its exec stream was lost, per loss; 0: never. */
  readonly reconnectTimeoutMs: number;
  /** Also write the summary table to this file at the end (besides the chosen output). */
  readonly summaryTo: string | null;
  /** What --summary-to writes: the text table, or GitHub-flavoured Markdown. */
  readonly summaryFormat: SummaryFormat;
  /** Also write the shown execs as a Chrome trace-event timeline to this file at the end. */
  readonly timelineTo: string | null;
  /** --baseline, --fail-on, --allow: what is new against an earlier recording, said at the end; null without --baseline. */
  readonly baseline: BaselineOptions | null;
}

/** A run: the trace's options and, for a cluster scope (or --local with a cluster), the session's. */
export type RunOptions = TraceOptions & Omit<SessionOptions, 'scope'>;
