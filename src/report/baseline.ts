/**
 * A baseline diff: what ran in NEW that did not run in OLD, by stable keys (src/report/sighting.ts).
 * Both recordings are reduced to a Profile of what they saw; findings() compares them. Pure.
 *
 * Each exec of NEW (a PATH search's failed attempts that went on are left out: the exec after them
 * stands for the search) is one of:
 * - failed (retval < 0) → `new-failure` when OLD has no failure of that command (its file name) there;
 * - ran from the writable layer → `drift` when OLD has no drift of that executable there;
 * - ran otherwise → when OLD never ran that executable there: `session` if it ran in an exec
 *   session (entry "exec": kubectl exec and what runs under it), else `new-exec`.
 * "There" is namespace, workload, container and entry kind. A workload derived from a pod name that
 * does not tell its kind matches any kind of that name; an entry or a path that one side does not
 * know matches any.
 */
import { splitWorkload, WILDCARD_KIND } from './workload-name.js';
import { baseKey, type Sighting } from './sighting.js';

export const FINDING_KINDS = ['new-exec', 'new-failure', 'drift', 'session'] as const;
export type FindingKind = (typeof FINDING_KINDS)[number];
/** The order findings are listed in: what most likely needs a look first. */
export const SHOWN_ORDER: readonly FindingKind[] = ['drift', 'session', 'new-exec', 'new-failure'];

export interface Finding {
  readonly kind: FindingKind;
  readonly namespace: string | null;
  readonly workload: string;
  readonly container: string | null;
  readonly entry: string | null;
  /** The executable that ran (exe, else the filename); for a failure the filename tried. */
  readonly executable: string;
  /** Execs of NEW this finding stands for. */
  readonly count: number;
  /** Distinct exec sessions among them, where known (session findings). */
  readonly sessions: number | null;
  readonly firstMs: number;
  /** The first one's argv, node, pod and errno name. */
  readonly args: readonly string[];
  readonly node: string;
  readonly pod: string | null;
  readonly error: string | null;
}

type Category = 'ran' | 'drifted' | 'failed';

interface Variant {
  kind: string;
  entry: string | null;
  path: Sighting['path'];
}

/** Different programs seen at one base key, at most (a key's variants beyond it match nothing new). */
const MAX_VARIANTS = 64;

const compatible = (a: Variant, b: Variant): boolean =>
  (a.kind === b.kind || a.kind === WILDCARD_KIND || b.kind === WILDCARD_KIND) &&
  (a.entry === b.entry || a.entry === null || b.entry === null) &&
  (a.path === null || b.path === null || a.path.from !== b.path.from || a.path.value === b.path.value);

const variantOf = (s: Sighting, category: Category): Variant => ({
  kind: splitWorkload(s.workload)[0],
  entry: s.entry,
  // A failed command is named by its file name alone: a PATH search tries it in several directories.
  path: category === 'failed' ? null : s.path,
});

/** What one recording saw: per category, the variants at each base key. */
export class Profile {
  private readonly seen: Record<Category, Map<string, Variant[]>> = { ran: new Map(), drifted: new Map(), failed: new Map() };

  add(s: Sighting): void {
    if (s.failed) return this.note('failed', s);
    this.note('ran', s);
    if (s.drift) this.note('drifted', s);
  }

  has(category: Category, s: Sighting): boolean {
    const v = variantOf(s, category);
    return this.seen[category].get(baseKey(s))?.some((x) => compatible(x, v)) ?? false;
  }

  private note(category: Category, s: Sighting): void {
    const key = baseKey(s);
    const v = variantOf(s, category);
    const list = this.seen[category].get(key);
    if (!list) return void this.seen[category].set(key, [v]);
    if (
      list.length >= MAX_VARIANTS ||
      list.some((x) => x.kind === v.kind && x.entry === v.entry && x.path?.from === v.path?.from && x.path?.value === v.path?.value)
    )
      return;
    list.push(v);
  }
}

/** The finding an exec of NEW makes against OLD, or null. */
export function classify(old: Profile, s: Sighting): FindingKind | null {
  if (s.failed) return old.has('failed', s) ? null : 'new-failure';
  if (s.drift) return old.has('drifted', s) ? null : 'drift';
  if (old.has('ran', s)) return null;
  return s.entry === 'exec' ? 'session' : 'new-exec';
}

/** Gathers NEW's findings against OLD, one per kind and exact place and program, in order of first sight. */
export class Findings {
  private readonly byKey = new Map<string, { finding: Finding; sessions: Set<string> }>();

  constructor(private readonly old: Profile) {}

  add(s: Sighting): void {
    const kind = classify(this.old, s);
    if (kind === null) return;
    const executable = s.path?.value ?? s.filename;
    const key = [kind, s.namespace, s.workload, s.container, s.entry, kind === 'new-failure' ? s.name : executable].join('\0');
    const had = this.byKey.get(key);
    if (had) {
      const f = had.finding;
      if (s.session) had.sessions.add(s.session);
      // Records of several files may come out of time order: the example is the earliest.
      const earlier = s.timeMs < f.firstMs;
      had.finding = {
        ...f,
        count: f.count + 1,
        sessions: had.sessions.size > 0 ? had.sessions.size : null,
        ...(earlier ? { firstMs: s.timeMs, args: s.args, node: s.node, pod: s.pod, error: s.error, executable } : {}),
      };
      return;
    }
    const sessions = new Set(s.session ? [s.session] : []);
    this.byKey.set(key, {
      sessions,
      finding: {
        kind,
        namespace: s.namespace,
        workload: s.workload,
        container: s.container,
        entry: s.entry,
        executable,
        count: 1,
        sessions: sessions.size > 0 ? 1 : null,
        firstMs: s.timeMs,
        args: s.args,
        node: s.node,
        pod: s.pod,
        error: s.error,
      },
    });
  }

  /** By kind (SHOWN_ORDER), then first seen. */
  list(): Finding[] {
    const order = (k: FindingKind): number => SHOWN_ORDER.indexOf(k);
    return [...this.byKey.values()].map((x) => x.finding).sort((a, b) => order(a.kind) - order(b.kind) || a.firstMs - b.firstMs);
  }
}
