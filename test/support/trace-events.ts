/**
 * A checker for Chrome trace-event files (the JSON object form), as Perfetto's importer and
 * chrome://tracing read them: the required fields of each phase this project writes, microsecond
 * timestamps, and every pid / tid declared by a metadata event. Returns the problems found (none: []).
 * Format: "Trace Event Format" (Google doc, linked from Perfetto's docs on JSON traces).
 */
const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v);

/** Epoch microseconds of a plausible trace: after 2001-09-09 and before 2286 (ms or s would be far smaller). */
const EPOCH_US_MIN = 1e15;
const EPOCH_US_MAX = 1e16;

export function traceEventProblems(file: unknown): string[] {
  const problems: string[] = [];
  if (typeof file !== 'object' || file === null || Array.isArray(file)) return ['not the object form {"traceEvents": [...]}'];
  const events = (file as { traceEvents?: unknown }).traceEvents;
  if (!Array.isArray(events)) return ['traceEvents is not an array'];
  const unit = (file as { displayTimeUnit?: unknown }).displayTimeUnit;
  if (unit !== undefined && unit !== 'ms' && unit !== 'ns') problems.push(`displayTimeUnit ${String(unit)} is neither ms nor ns`);

  const processes = new Set<number>();
  const threads = new Map<number, number>(); // tid → pid
  const used: { i: number; pid: number; tid: number }[] = [];
  events.forEach((e: Record<string, unknown>, i) => {
    const at = `traceEvents[${i}] (${JSON.stringify(e).slice(0, 120)})`;
    if (typeof e !== 'object' || e === null) return void problems.push(`${at}: not an object`);
    if (typeof e.name !== 'string' || e.name === '') problems.push(`${at}: name must be a non-empty string`);
    if (!isInt(e.pid)) problems.push(`${at}: pid must be an integer`);
    if (e.args !== undefined && (typeof e.args !== 'object' || e.args === null || Array.isArray(e.args)))
      problems.push(`${at}: args must be an object`);
    switch (e.ph) {
      case 'M': {
        const name = (e.args as { name?: unknown } | undefined)?.name;
        if (e.name === 'process_name') {
          if (typeof name !== 'string' || name === '') problems.push(`${at}: process_name needs args.name`);
          if (processes.has(e.pid as number)) problems.push(`${at}: pid ${String(e.pid)} named twice`);
          processes.add(e.pid as number);
        } else if (e.name === 'thread_name') {
          if (typeof name !== 'string' || name === '') problems.push(`${at}: thread_name needs args.name`);
          if (!isInt(e.tid)) problems.push(`${at}: thread_name needs an integer tid`);
          else if (threads.has(e.tid)) problems.push(`${at}: tid ${e.tid} named twice`);
          else threads.set(e.tid, e.pid as number);
        } else if (!['process_sort_index', 'thread_sort_index', 'process_labels'].includes(e.name as string)) {
          problems.push(`${at}: unknown metadata event ${String(e.name)}`);
        }
        break;
      }
      case 'X':
      case 'i': {
        if (!isInt(e.tid)) problems.push(`${at}: tid must be an integer`);
        if (!isInt(e.ts)) problems.push(`${at}: ts must be whole microseconds`);
        else if (e.ts < EPOCH_US_MIN || e.ts > EPOCH_US_MAX) problems.push(`${at}: ts ${e.ts} is not epoch microseconds`);
        if (e.ph === 'X' && (!isInt(e.dur) || e.dur < 0)) problems.push(`${at}: a complete event needs dur ≥ 0 in whole microseconds`);
        if (e.ph === 'i' && e.s !== undefined && !['t', 'p', 'g'].includes(e.s as string))
          problems.push(`${at}: instant scope s must be t, p or g`);
        if (isInt(e.pid) && isInt(e.tid)) used.push({ i, pid: e.pid, tid: e.tid });
        break;
      }
      default:
        problems.push(`${at}: phase ${String(e.ph)} is not one this file should contain (X, i, M)`);
    }
  });
  for (const u of used) {
    if (!processes.has(u.pid)) problems.push(`traceEvents[${u.i}]: pid ${u.pid} has no process_name metadata event`);
    const owner = threads.get(u.tid);
    if (owner === undefined) problems.push(`traceEvents[${u.i}]: tid ${u.tid} has no thread_name metadata event`);
    else if (owner !== u.pid) problems.push(`traceEvents[${u.i}]: tid ${u.tid} is declared in pid ${owner}, used in pid ${u.pid}`);
  }
  return problems;
}
