/** "did you mean --namespace?" for a mistyped flag. */
export const FLAGS = [
  'namespace', 'output', 'duration', 'max-events', 'kubeconfig', 'context', 'request-timeout', 'image',
  'debug-namespace', 'timeout', 'local', 'verbose', 'help', 'version', 'node-selector', 'all-nodes', 'yes',
  'selector', 'container', 'comm', 'failed', 'host', 'ancestry', 'summary-to',
];

function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
  }
  return d[a.length]![b.length]!;
}

export function closestFlag(flag: string): string | null {
  const f = flag.replace(/^-+/, '');
  let best: string | null = null;
  let bestD = Infinity;
  for (const k of FLAGS) {
    const dd = distance(f, k);
    if (dd < bestD) {
      bestD = dd;
      best = k;
    }
  }
  return best !== null && bestD <= Math.max(2, Math.floor(f.length / 3)) ? best : null;
}
