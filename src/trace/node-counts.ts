/**
 * Whether a run lets its nodes count execs instead of sending each one (issue 25): only when what
 * it shows is the summary table and nothing asks for single execs. Then the batcher on each node
 * (bpf/batcher.pl) sends a count per cgroup and command every few seconds, the client joins each
 * count to its pod as it would an exec, and the summary comes out as in per-exec mode
 * (docs/output.md says what differs). A node without perl sends every exec (src/trace/prepare.ts).
 */
import type { TraceOptions } from './options.js';

type Wants = Pick<
  TraceOptions,
  'output' | 'summaryTo' | 'summaryFormat' | 'ancestry' | 'exits' | 'timelineTo' | 'baseline' | 'maxEvents' | 'filters'
>;

/** null when the nodes may count; else the flag that needs every exec (for the debug log). */
export function perExecNeededBy(o: Wants): string | null {
  if (o.output !== 'summary') return `-o ${o.output}`;
  if (o.summaryTo !== null && o.summaryFormat !== 'text') return `--summary-format ${o.summaryFormat}`;
  if (o.ancestry) return '--ancestry';
  if (o.exits) return '--exits';
  if (o.timelineTo !== null) return '--timeline-to';
  if (o.baseline !== null) return '--baseline';
  if (o.maxEvents !== null) return '--max-events';
  if (o.filters.failed) return '--failed';
  if (o.filters.drift) return '--drift';
  if (o.filters.sessions) return '--sessions';
  if (o.filters.noProbes) return '--no-probes';
  return null;
}
