/**
 * The action's inputs (action.yml) → a frozen config, and the trace-exec command lines built from
 * it. Pure: the inputs come in as a function, as @actions/core's getInput reads them.
 */

export interface ActionConfig {
  version: string;
  releaseUrl: string;
  /** The arguments of the trace, after the executable: targets, flags, `-o json`. */
  traceArgs: readonly string[];
  baseline: readonly string[];
  failOn: string;
  artifactName: string;
  startTimeoutSeconds: number;
}

/** A list input: one item a line or comma/space separated (`worker-1, worker-2`). */
export function listInput(v: string): string[] {
  return v.split(/[\s,]+/).filter((s) => s !== '');
}

/** A multi-line input, one item a line (paths may hold spaces, never newlines). */
function lines(v: string): string[] {
  return v
    .split('\n')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

function bool(name: string, v: string): boolean {
  const t = v.trim().toLowerCase();
  if (t === '' || t === 'false') return false;
  if (t === 'true') return true;
  throw new Error(`input ${name}: "${v}" is not true or false`);
}

export function readConfig(input: (name: string) => string, env: { GITHUB_JOB?: string; DEFAULT_VERSION: string }): ActionConfig {
  const nodes = listInput(input('nodes')).map((n) => (/^nodes?\//.test(n) ? n : `node/${n}`));
  const allNodes = bool('all-nodes', input('all-nodes'));
  if (nodes.length === 0 && !allNodes) throw new Error('inputs: give nodes (node names, e.g. nodes: worker-1) or all-nodes: true');
  if (nodes.length > 0 && allNodes) throw new Error('inputs: give nodes or all-nodes: true, not both');

  const args: string[] = allNodes ? ['--all-nodes', '--yes'] : [...nodes];
  for (const ns of listInput(input('namespace'))) args.push('-n', ns);
  if (input('kubeconfig').trim()) args.push('--kubeconfig', input('kubeconfig').trim());
  if (input('context').trim()) args.push('--context', input('context').trim());
  for (const image of listInput(input('image'))) args.push('--image', image);
  // Extra flags, split at whitespace (no shell quoting: a value with a space cannot be passed).
  const extra = input('args').trim() === '' ? [] : input('args').trim().split(/\s+/);
  for (const a of extra) {
    if (/^-o/.test(a) || a.startsWith('--output'))
      throw new Error(`input args: ${a} is set by the action (-o json is the recording): leave it out`);
  }
  args.push(...extra);
  args.push('-o', 'json');

  const baseline = lines(input('baseline'));
  const failOn = listInput(input('fail-on')).join(',');
  if (failOn && baseline.length === 0)
    throw new Error('input fail-on needs input baseline: the findings are what is new against the baseline recording');

  const timeout = input('start-timeout').trim() || '120';
  const startTimeoutSeconds = Number(timeout);
  if (!Number.isInteger(startTimeoutSeconds) || startTimeoutSeconds < 1)
    throw new Error(`input start-timeout: "${timeout}" is not a whole number of seconds ≥ 1`);

  return Object.freeze({
    version: input('version').trim() || env.DEFAULT_VERSION,
    releaseUrl: input('release-url').trim(),
    traceArgs: Object.freeze(args),
    baseline: Object.freeze(baseline),
    failOn,
    artifactName: input('artifact-name').trim() || `trace-exec-${env.GITHUB_JOB ?? 'job'}`,
    startTimeoutSeconds,
  });
}
