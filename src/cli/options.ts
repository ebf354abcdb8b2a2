/**
 * Parsed command line → a frozen Options object. Pure: every check that can be made without the
 * cluster is made here, so bad input is answered before anything is created.
 */
import { parseDuration } from './duration.js';
import { OUTPUT_FORMATS, type OutputFormat } from '../output/index.js';

export type Target = { kind: 'node'; name: string } | { kind: 'local' };

export interface Options {
  readonly target: Target;
  /** Namespaces to keep (client-side filter after the join); null = everything, host processes included. */
  readonly namespaces: readonly string[] | null;
  readonly output: OutputFormat;
  readonly durationMs: number | null;
  readonly maxEvents: number | null;
  readonly kubeconfig: string | null;
  readonly context: string | null;
  readonly requestTimeoutMs: number | null;
  readonly image: string;
  readonly debugNamespace: string | null;
  readonly timeoutMs: number;
  readonly verbose: boolean;
}

export interface RawArgs {
  targets: string[];
  local?: boolean;
  namespace?: string[];
  output?: string;
  duration?: string;
  maxEvents?: number;
  kubeconfig?: string;
  context?: string;
  requestTimeout?: string;
  image?: string;
  debugNamespace?: string;
  timeout?: string;
  verbose?: boolean;
}

export class UsageError extends Error {}

/** A published image with bpftrace; see README "The debug pod image". */
export const DEFAULT_IMAGE = 'quay.io/iovisor/bpftrace:v0.19.1';

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** Node names are DNS-1123 subdomains. */
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export function parseTarget(text: string): Target {
  const slash = text.indexOf('/');
  if (slash < 0) {
    throw new UsageError(`target "${text}" has no kind: write node/NAME (see: kubectl get nodes)`);
  }
  const kind = text.slice(0, slash).toLowerCase();
  const name = text.slice(slash + 1);
  if (kind !== 'node' && kind !== 'nodes' && kind !== 'no') {
    throw new UsageError(`target kind "${kind}" is not supported: trace-exec traces nodes, write node/NAME`);
  }
  if (name === '') throw new UsageError(`target "${text}" has no node name: write node/NAME (see: kubectl get nodes)`);
  if (name.length > 253 || !DNS1123_SUBDOMAIN.test(name)) {
    throw new UsageError(`"${name}" is not a valid node name (lowercase letters, digits, '-' and '.')`);
  }
  return { kind: 'node', name };
}

function durationFlag(value: string | undefined, flag: string): number | null {
  if (value === undefined) return null;
  try {
    return parseDuration(value, flag);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

export function buildOptions(raw: RawArgs): Options {
  let target: Target;
  if (raw.local) {
    if (raw.targets.length > 0) throw new UsageError(`--local traces this machine: drop the target "${raw.targets[0]}"`);
    target = { kind: 'local' };
  } else if (raw.targets.length === 0) {
    throw new UsageError('no target: give node/NAME (see: kubectl get nodes), or --local to trace this machine');
  } else if (raw.targets.length > 1) {
    throw new UsageError(`one target at a time: got ${raw.targets.join(' ')}`);
  } else {
    target = parseTarget(raw.targets[0]!);
  }

  let namespaces: string[] | null = null;
  if (raw.namespace && raw.namespace.length > 0) {
    namespaces = [...new Set(raw.namespace.flatMap((n) => n.split(',')).map((n) => n.trim()).filter((n) => n !== ''))];
    for (const ns of namespaces) {
      if (ns.length > 63 || !DNS1123_LABEL.test(ns)) {
        throw new UsageError(`-n/--namespace "${ns}" is not a valid namespace name (a DNS-1123 label: lowercase letters, digits and '-')`);
      }
    }
    if (namespaces.length === 0) namespaces = null;
  }

  const output = (raw.output ?? 'table') as OutputFormat;
  if (!OUTPUT_FORMATS.includes(output)) {
    throw new UsageError(`-o/--output "${raw.output}" is not a format: use one of ${OUTPUT_FORMATS.join(', ')}`);
  }

  let maxEvents: number | null = null;
  if (raw.maxEvents !== undefined) {
    if (!Number.isInteger(raw.maxEvents) || raw.maxEvents < 1) {
      throw new UsageError(`--max-events ${raw.maxEvents} must be a whole number of at least 1`);
    }
    maxEvents = raw.maxEvents;
  }

  if (raw.debugNamespace !== undefined && !DNS1123_LABEL.test(raw.debugNamespace)) {
    throw new UsageError(`--debug-namespace "${raw.debugNamespace}" is not a valid namespace name`);
  }
  if (raw.image !== undefined && (raw.image.trim() === '' || /\s/.test(raw.image))) {
    throw new UsageError(`--image "${raw.image}" is not an image reference`);
  }

  return Object.freeze({
    target,
    namespaces: namespaces ? Object.freeze(namespaces) : null,
    output,
    durationMs: durationFlag(raw.duration, '--duration'),
    maxEvents,
    kubeconfig: raw.kubeconfig ?? null,
    context: raw.context ?? null,
    requestTimeoutMs: durationFlag(raw.requestTimeout, '--request-timeout'),
    image: raw.image ?? DEFAULT_IMAGE,
    debugNamespace: raw.debugNamespace ?? null,
    timeoutMs: durationFlag(raw.timeout, '--timeout') ?? 120_000,
    verbose: raw.verbose ?? false,
  });
}
