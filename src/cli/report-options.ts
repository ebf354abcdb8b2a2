/**
 * `report`'s parsed command line → frozen ReportOptions. Pure. Positionals are the files to read
 * (`-` for stdin) and pod/NAME filters; -l/--selector is refused before parsing (refuseSelector):
 * a recording has no pod labels.
 */
import { REPORT_FORMATS, type ReportFormat } from './flags.js';
import { buildFilters, UsageError, type RawArgs } from './options.js';
import type { ReportOptions } from '../report.js';

export type { ReportOptions };
import { buildBaselineOptions, type RawBaselineArgs } from './baseline-options.js';

export interface RawReportArgs extends RawBaselineArgs {
  targets: string[];
  output?: string;
  timelineTo?: string;
  namespace?: string[];
  container?: string[];
  comm?: string[];
  failed?: boolean;
  host?: boolean;
  drift?: boolean;
  sessions?: boolean;
  noProbes?: boolean;
  verbose?: boolean;
}

const NO_LABELS = 'is not possible offline: the JSON records carry no pod labels; keep pods by name (pod/NAME), -n, -c or --comm instead';

/** -l/--selector anywhere among the flags (before `--`), in any spelling: one line saying why not. */
export function refuseSelector(argv: readonly string[]): void {
  for (const w of argv) {
    if (w === '--') return;
    if (/^(-l|--selector)(=.*)?$/.test(w) || /^-l./.test(w)) throw new UsageError(`-l/--selector ${NO_LABELS}`);
  }
}

const POD_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export function buildReportOptions(raw: RawReportArgs): ReportOptions {
  const sources: string[] = [];
  const pods: string[] = [];
  for (const t of raw.targets) {
    const m = /^(pod|pods|po)\/(.*)$/i.exec(t);
    if (m) {
      if (!POD_NAME.test(m[2]!) || m[2]!.length > 253)
        throw new UsageError(`"${m[2]}" in ${t} is not a valid pod name (lowercase letters, digits, '-' and '.')`);
      pods.push(m[2]!);
    } else if (/^(deploy|deployment|deployments|sts|statefulsets?|ds|daemonsets?|jobs?|rs|replicasets?|node|nodes|no)\//i.test(t)) {
      throw new UsageError(
        `${t}: report reads files and keeps pods by name (pod/NAME); workloads need pod labels, which a recording does not have (a file named so: write ./${t})`,
      );
    } else sources.push(t);
  }
  if (sources.length === 0) throw new UsageError('report: give the files to read (written by -o json; .gz too), or - for stdin');
  if (sources.filter((s) => s === '-').length > 1) throw new UsageError('report: - (stdin) can be read only once');
  const output = (raw.output ?? 'summary') as ReportFormat;
  if (!REPORT_FORMATS.includes(output)) {
    throw new UsageError(`-o/--output "${raw.output}" is not a report format: use summary, markdown or json (json: with --baseline)`);
  }
  const baseline = buildBaselineOptions(raw);
  if (output === 'json' && baseline === null)
    throw new UsageError(
      '-o json is the findings of --baseline, one a line: add --baseline FILE (the input is JSON lines already: filter it with jq)',
    );
  if (baseline !== null && raw.timelineTo !== undefined)
    throw new UsageError('--timeline-to draws a recording, --baseline compares two: run report once for each');
  if (raw.timelineTo !== undefined && raw.timelineTo.trim() === '') throw new UsageError('--timeline-to needs a file name');
  const { filters, namespaces } = buildFilters(
    raw as Pick<RawArgs, 'container' | 'comm' | 'failed' | 'host' | 'drift' | 'sessions' | 'noProbes' | 'namespace'>,
  );
  if (filters.host && pods.length > 0) throw new UsageError('--host keeps only host processes: it cannot be combined with pod/NAME');
  return Object.freeze({
    sources: Object.freeze(sources),
    output,
    timelineTo: raw.timelineTo ?? null,
    namespaces,
    pods: pods.length > 0 ? Object.freeze([...new Set(pods)]) : null,
    filters,
    verbose: raw.verbose ?? false,
    baseline,
  });
}
