/**
 * The totals line trace-exec writes on stderr when a run ends normally (`{"kind":"trace-exec.totals",…}`,
 * docs/output.md): whether the recording is complete, as the CI recipe checks it.
 */

interface Totals {
  kind: 'trace-exec.totals';
  lost?: number;
  malformed?: number;
  failedNodes?: number;
}

/** What makes the recording in `log` incomplete, one sentence each; [] when it is complete. */
export function totalsProblems(log: string): string[] {
  let totals: Totals | null = null;
  for (const line of log.split('\n')) {
    if (!line.startsWith('{"kind":"trace-exec.totals"')) continue;
    try {
      totals = JSON.parse(line) as Totals;
    } catch {
      // a line cut short: the run did not end cleanly
    }
  }
  if (!totals)
    return ['trace-exec did not end cleanly (no totals line in its log): the recording may be incomplete; its log is in the artifact'];
  const problems: string[] = [];
  if ((totals.lost ?? 0) > 0) problems.push(`trace-exec lost ${totals.lost} events: the recording is incomplete`);
  if ((totals.malformed ?? 0) > 0)
    problems.push(`trace-exec read ${totals.malformed} malformed lines from bpftrace: the recording may be incomplete`);
  if ((totals.failedNodes ?? 0) > 0) problems.push(`trace-exec could not trace ${totals.failedNodes} node(s) to the end: see its log`);
  return problems;
}
