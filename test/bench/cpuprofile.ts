/**
 * What a V8 CPU profile (`node --cpu-prof`) says in a few lines: self time by function and by file,
 * so that the benchmark can print where the client's time goes without opening a profiler.
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

export interface ProfileSummary {
  /** Sampled time, idle included. */
  totalMs: number;
  idleMs: number;
  /** Busiest first; pct is of the busy (non-idle) time. */
  functions: { name: string; where: string; selfMs: number; pct: number }[];
  files: { file: string; selfMs: number; pct: number }[];
}

/** file:///…/dist/events/lines.js → dist/events/lines.js; node:internal/… stays as it is. */
function shortUrl(url: string, root: string): string {
  const path = url.startsWith('file://') ? url.slice('file://'.length) : url;
  if (path.startsWith(root)) return path.slice(root.length).replace(/^\//, '');
  return path || '(native)';
}

export interface CpuProfile {
  nodes: ProfileNode[];
  samples?: number[];
  timeDeltas?: number[];
}

/** Summarises a profile, or the .cpuprofile file that holds one. */
export function summariseProfile(source: string | CpuProfile, root: string, top = 20): ProfileSummary {
  const profile = typeof source === 'string' ? (JSON.parse(readFileSync(source, 'utf8')) as CpuProfile) : source;
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  // timeDeltas[i] is the time since the previous sample: it is spent where sample i landed.
  samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + Math.max(0, deltas[i] ?? 0)));
  const fns = new Map<string, { name: string; where: string; us: number }>();
  const files = new Map<string, number>();
  let total = 0;
  let idle = 0;
  for (const [id, us] of selfUs) {
    const f = byId.get(id)!.callFrame;
    total += us;
    if (f.functionName === '(idle)') {
      idle += us;
      continue;
    }
    const url = shortUrl(f.url, root);
    const where = f.url ? `${url}:${f.lineNumber + 1}` : '';
    const key = `${f.functionName} ${where}`;
    const entry = fns.get(key) ?? { name: f.functionName || '(anonymous)', where, us: 0 };
    entry.us += us;
    fns.set(key, entry);
    const fileKey = f.url ? url : f.functionName;
    files.set(fileKey, (files.get(fileKey) ?? 0) + us);
  }
  const busy = Math.max(1, total - idle);
  return {
    totalMs: total / 1000,
    idleMs: idle / 1000,
    functions: [...fns.values()]
      .sort((a, b) => b.us - a.us)
      .slice(0, top)
      .map((e) => ({ name: e.name, where: e.where, selfMs: e.us / 1000, pct: (100 * e.us) / busy })),
    files: [...files]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([file, us]) => ({ file, selfMs: us / 1000, pct: (100 * us) / busy })),
  };
}
