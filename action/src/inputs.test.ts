import { describe, expect, it } from 'vitest';
import { readConfig } from './inputs.js';

const env = { GITHUB_JOB: 'e2e', DEFAULT_VERSION: '0.1.0' };
const config = (inputs: Record<string, string>) => readConfig((name) => inputs[name] ?? '', env);

describe('readConfig', () => {
  it.each([
    [{ nodes: 'worker-1' }, ['node/worker-1', '-o', 'json']],
    [{ nodes: 'worker-1, node/worker-2\nnodes/worker-3' }, ['node/worker-1', 'node/worker-2', 'nodes/worker-3', '-o', 'json']],
    [{ 'all-nodes': 'true' }, ['--all-nodes', '--yes', '-o', 'json']],
    [
      { nodes: 'w', namespace: 'a, b', kubeconfig: ' /k/config ', context: 'kind-ci', image: 'arm64=r/i:1,r/j:2', args: '--drift  -d 60m' },
      [
        'node/w',
        '-n',
        'a',
        '-n',
        'b',
        '--kubeconfig',
        '/k/config',
        '--context',
        'kind-ci',
        '--image',
        'arm64=r/i:1',
        '--image',
        'r/j:2',
        '--drift',
        '-d',
        '60m',
        '-o',
        'json',
      ],
    ],
  ])('%o → trace-exec %o', (inputs, args) => {
    expect(config(inputs).traceArgs).toEqual(args);
  });

  it('defaults: the bundled version, artifact trace-exec-<job>, 120 s to start, no baseline', () => {
    expect(config({ nodes: 'w' })).toEqual({
      version: '0.1.0',
      releaseUrl: '',
      traceArgs: ['node/w', '-o', 'json'],
      baseline: [],
      failOn: '',
      artifactName: 'trace-exec-e2e',
      startTimeoutSeconds: 120,
    });
  });

  it('baseline: one path a line; fail-on: a list', () => {
    const c = config({ nodes: 'w', baseline: 'base/execs one.jsonl\nbase/b.jsonl.gz\n', 'fail-on': 'new-exec, drift' });
    expect(c.baseline).toEqual(['base/execs one.jsonl', 'base/b.jsonl.gz']);
    expect(c.failOn).toBe('new-exec,drift');
  });

  it.each([
    [{}, 'inputs: give nodes (node names, e.g. nodes: worker-1) or all-nodes: true'],
    [{ nodes: 'w', 'all-nodes': 'true' }, 'inputs: give nodes or all-nodes: true, not both'],
    [{ 'all-nodes': 'yes' }, 'input all-nodes: "yes" is not true or false'],
    [{ nodes: 'w', args: '-o wide' }, 'input args: -o is set by the action (-o json is the recording): leave it out'],
    [{ nodes: 'w', args: '--output=summary' }, 'input args: --output=summary is set by the action'],
    [{ nodes: 'w', 'fail-on': 'new-exec' }, 'input fail-on needs input baseline'],
    [{ nodes: 'w', 'start-timeout': '1m' }, 'input start-timeout: "1m" is not a whole number of seconds ≥ 1'],
  ])('%o is refused: %s', (inputs, message) => {
    expect(() => config(inputs)).toThrow(message);
  });
});
