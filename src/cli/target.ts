/**
 * Targets as typed on the command line (node/NAME, pod/NAME, deploy/NAME…) → Target. Pure. Shared
 * by the trace's options (strict: every mistake is a UsageError naming the fix) and completion
 * (lenient: a word that names no target yet is just not one).
 */
import type { Target, WorkloadKind } from '../kube/targets.js';
import { UsageError } from './usage-error.js';

/** Node names and object names are DNS-1123 subdomains. */
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** kubectl's resource names and short names → what trace-exec does with them. */
export const TARGET_KINDS: Record<string, 'node' | 'pod' | WorkloadKind> = {
  node: 'node',
  nodes: 'node',
  no: 'node',
  pod: 'pod',
  pods: 'pod',
  po: 'pod',
  deployment: 'deployment',
  deployments: 'deployment',
  deploy: 'deployment',
  statefulset: 'statefulset',
  statefulsets: 'statefulset',
  sts: 'statefulset',
  daemonset: 'daemonset',
  daemonsets: 'daemonset',
  ds: 'daemonset',
  job: 'job',
  jobs: 'job',
  replicaset: 'replicaset',
  replicasets: 'replicaset',
  rs: 'replicaset',
};

function make(kind: 'node' | 'pod' | WorkloadKind, name: string): Target {
  if (kind === 'node') return { kind: 'node', name };
  if (kind === 'pod') return { kind: 'pod', name };
  return { kind: 'workload', workload: kind, name };
}

/** `deploy/web` → the target it names; null for a word that names none (yet): for completion. */
export function targetOf(word: string): Target | null {
  const slash = word.indexOf('/');
  const kind = slash > 0 ? TARGET_KINDS[word.slice(0, slash).toLowerCase()] : undefined;
  const name = word.slice(slash + 1);
  if (!kind || name === '') return null;
  return make(kind, name);
}

export function parseTarget(text: string): Target {
  const slash = text.indexOf('/');
  if (slash < 0) {
    throw new UsageError(`target "${text}" has no kind: write node/NAME (see: kubectl get nodes), pod/NAME or deploy/NAME`);
  }
  const kindText = text.slice(0, slash).toLowerCase();
  const name = text.slice(slash + 1);
  const kind = TARGET_KINDS[kindText];
  if (!kind) {
    throw new UsageError(
      `target kind "${kindText}" is not supported: use node/NAME, pod/NAME, deploy/NAME, sts/NAME, ds/NAME, job/NAME or rs/NAME`,
    );
  }
  if (name === '')
    throw new UsageError(
      `target "${text}" has no ${kind === 'node' ? 'node ' : ''}name: write ${kindText}/NAME${kind === 'node' ? ' (see: kubectl get nodes)' : ''}`,
    );
  if (name.length > 253 || !DNS1123_SUBDOMAIN.test(name)) {
    throw new UsageError(`"${name}" is not a valid ${kind === 'node' ? 'node' : 'object'} name (lowercase letters, digits, '-' and '.')`);
  }
  return make(kind, name);
}

/**
 * `node worker-1` (kubectl get's way of naming objects) for node/worker-1: the kind word alone
 * would otherwise be refused as a name without a kind.
 */
export function refuseSpacedTargets(texts: readonly string[]): void {
  const kindAt = texts.findIndex((t) => !t.includes('/') && TARGET_KINDS[t.toLowerCase()] !== undefined);
  if (kindAt < 0) return;
  const kind = texts[kindAt]!;
  const names: string[] = [];
  for (const t of texts.slice(kindAt + 1)) {
    if (t.includes('/') || TARGET_KINDS[t.toLowerCase()] !== undefined) break;
    names.push(t);
  }
  if (names.length === 0) {
    const node = TARGET_KINDS[kind.toLowerCase()] === 'node';
    throw new UsageError(
      `target "${kind}" has no ${node ? 'node ' : ''}name: write ${kind.toLowerCase()}/NAME${node ? ' (see: kubectl get nodes)' : ''}`,
    );
  }
  const written = names.map((n) => `${kind.toLowerCase()}/${n}`).join(' ');
  throw new UsageError(`"${[kind, ...names].join(' ')}" is not a target: write ${written} (KIND/NAME, with a slash)`);
}
