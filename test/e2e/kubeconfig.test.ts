/**
 * KUBECONFIG lists, as kubectl reads them, through the built CLI against the API stand-in: a missing
 * file is skipped, and where two files name the same cluster and user the first wins, as does the
 * first current-context (the client library alone fails on both).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiServer, type ApiServer } from '../apiserver/index.js';
import { formatJsonLine } from '../../src/output/json.js';
import { podEvent } from '../../src/output/fixtures.test-helpers.js';
import { startCli } from '../support/cli.js';
import { kernelDescribe } from '../support/kernel.js';
import { removeTempDirs, tempDir } from '../support/tmp.js';

const dir = tempDir('trace-exec-kubeconfig-');
const missing = join(dir, 'missing.yaml');
// The stand-in's cluster and user names, another server and context: if this file won, the run
// would go to 127.0.0.1:1 and fail.
const other = join(dir, 'other.yaml');
let api: ApiServer;

beforeAll(async () => {
  api = await startApiServer();
  const user = /^users:\n- name: (\S+)$/m.exec(readFileSync(api.kubeconfigPath, 'utf8'))![1]!;
  writeFileSync(
    other,
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters: [{name: standin, cluster: {server: "https://127.0.0.1:1", insecure-skip-tls-verify: true}}]',
      `contexts: [{name: elsewhere, context: {cluster: standin, user: ${user}}}]`,
      `users: [{name: ${user}, user: {token: nope}}]`,
      'current-context: elsewhere',
    ].join('\n'),
  );
});
afterAll(async () => {
  await api?.close();
  removeTempDirs();
});

describe('KUBECONFIG lists', () => {
  it('missing file, then the stand-in, then a file sharing its names: the stand-in is used', async () => {
    const before = api.requests.length;
    const r = await startCli(['cleanup', '--dry-run'], { KUBECONFIG: [missing, api.kubeconfigPath, other].join(delimiter) }).done();
    expect(r.code, r.stderr).toBe(0);
    expect(api.requests.length).toBeGreaterThan(before);
  });

  it('--context picks a context of a later file', async () => {
    const r = await startCli(['cleanup', '--dry-run', '--context', 'elsewhere'], {
      KUBECONFIG: [api.kubeconfigPath, other].join(delimiter),
    }).done();
    // elsewhere's cluster and user are the first file's (the first to name them wins): the stand-in,
    // with its token (the later file's token would get a 401).
    expect(r.code, r.stderr).toBe(0);
  });

  it('no file of the list exists: the error names KUBECONFIG and its files, the hint says what to set; exit 1', async () => {
    const r = await startCli(['cleanup', '--dry-run'], { KUBECONFIG: missing }).done();
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toEqual([
      `trace-exec: error: cannot load the kubeconfig (KUBECONFIG=${missing}): none of its files exists: ${missing}`,
      '  hint: set KUBECONFIG to kubeconfig files that exist, or pass --kubeconfig FILE',
    ]);
  });
});

describe('no kubeconfig at all (KUBECONFIG unset, an empty HOME, not in a pod)', () => {
  const home = tempDir('trace-exec-home-');
  const bare = { HOME: home, KUBECONFIG: undefined, KUBERNETES_SERVICE_HOST: undefined, KUBERNETES_SERVICE_PORT: undefined };
  const noKubeconfig = [
    `trace-exec: error: no kubeconfig found: KUBECONFIG is not set, ${home}/.kube/config does not exist, and this is not a pod with a service account (no /var/run/secrets/kubernetes.io/serviceaccount/token)`,
    `  hint: pass --kubeconfig FILE or set KUBECONFIG=FILE to your cluster's kubeconfig (or copy it to ${home}/.kube/config); \`report\` and --local need no cluster`,
  ];

  it.each([[['node/worker-1']], [['node/worker-1', '-v']], [['--all-nodes']], [['cleanup']], [['cleanup', '-A', '--dry-run']]])(
    '%j: says where it looked and how to fix it; exit 1',
    async (args) => {
      const r = await startCli(args, bare).done();
      expect(r.code).toBe(1);
      expect(
        r.stderr
          .trim()
          .split('\n')
          .filter((l) => !l.startsWith('trace-exec: debug:')),
      ).toEqual(noKubeconfig);
      expect(r.stdout).toBe('');
    },
  );

  it('report needs none', async () => {
    const file = join(home, 'execs.jsonl');
    writeFileSync(file, formatJsonLine(podEvent({}, { namespace: 'pay', pod: 'api-0' })) + '\n');
    const r = await startCli(['report', file], bare).done();
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/│ pay +│ api-0 /);
  });

  const k = kernelDescribe();
  it.skipIf(k.skip)(`--local needs none${k.reason ? ` (${k.reason})` : ''}`, async () => {
    const r = await startCli(['--local', '-o', 'json', '-d', '1s'], bare).done();
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/stopped \(duration\)/);
  });
});
