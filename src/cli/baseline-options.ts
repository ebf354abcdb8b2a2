/**
 * `--baseline`, `--fail-on`, `--allow` (report and the live trace) → BaselineOptions, or null when
 * there is no --baseline. Pure: the files are read when the run starts (src/report/diff.ts).
 */
import { FINDING_KINDS, type FindingKind } from '../report/baseline.js';
import type { BaselineOptions } from '../report/diff.js';
import { UsageError } from './options.js';

export interface RawBaselineArgs {
  baseline?: string[];
  failOn?: string[];
  allow?: string;
}

export function buildBaselineOptions(raw: RawBaselineArgs): BaselineOptions | null {
  const sources = (raw.baseline ?? []).filter((s) => s.trim() !== '');
  if (raw.baseline !== undefined && sources.length === 0)
    throw new UsageError('--baseline needs a file: the -o json recording of an earlier run');
  const failOn = [
    ...new Set(
      (raw.failOn ?? [])
        .flatMap((v) => v.split(','))
        .map((v) => v.trim())
        .filter((v) => v !== ''),
    ),
  ];
  const bad = failOn.find((k) => !(FINDING_KINDS as readonly string[]).includes(k));
  if (bad !== undefined)
    throw new UsageError(`--fail-on "${bad}" is not a kind of finding: use ${FINDING_KINDS.join(', ')} (a,b for several)`);
  if (raw.failOn !== undefined && failOn.length === 0) throw new UsageError(`--fail-on needs kinds of finding: ${FINDING_KINDS.join(',')}`);
  if (raw.allow !== undefined && raw.allow.trim() === '') throw new UsageError('--allow needs a file name');
  if (sources.length === 0) {
    const without = raw.failOn !== undefined ? '--fail-on' : raw.allow !== undefined ? '--allow' : null;
    if (without) throw new UsageError(`${without} applies to a comparison: add --baseline FILE (the -o json recording of an earlier run)`);
    return null;
  }
  if (sources.filter((s) => s === '-').length > 0) throw new UsageError('--baseline - : stdin cannot be the baseline; give its file');
  return Object.freeze({ sources: Object.freeze(sources), failOn: Object.freeze(failOn as FindingKind[]), allow: raw.allow ?? null });
}
