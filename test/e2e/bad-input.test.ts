/**
 * Bad input is answered before anything is created: one line naming the flag or object and how to
 * fix it, exit code 1, no stack trace, and no object created on the cluster.
 */
import { tempDir, removeTempDirs } from '../support/tmp.js';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiServer, type ApiServer } from '../apiserver/index.js';
import { startCli } from '../support/cli.js';

let api: ApiServer;
const dir = tempDir('trace-exec-bad-input-');
const malformed = join(dir, 'malformed.yaml');
const unreachable = join(dir, 'unreachable.yaml');

/** A loopback port nothing listens on (any more). */
async function closedPort(): Promise<number> {
  const net = await import('node:net');
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

let deadPort = 0;

beforeAll(async () => {
  api = await startApiServer();
  api.addNode('worker-1');
  deadPort = await closedPort();
  writeFileSync(malformed, 'apiVersion: v1\nclusters: [ this is : not yaml\n');
  writeFileSync(
    unreachable,
    [
      'apiVersion: v1',
      'kind: Config',
      `clusters: [{name: c, cluster: {server: "http://127.0.0.1:${deadPort}", insecure-skip-tls-verify: true}}]`,
      'users: [{name: u, user: {token: t}}]',
      'contexts: [{name: x, context: {cluster: c, user: u}}]',
      'current-context: x',
    ].join('\n'),
  );
});
afterAll(async () => {
  await api?.close();
});

async function runBad(args: string[], kubeconfig: string | null = api.kubeconfigPath) {
  const before = api.requests.length;
  const r = await startCli(kubeconfig ? [...args, '--kubeconfig', kubeconfig] : args).done();
  const mutations = api.requests.slice(before).filter((q) => q.method !== 'GET' && !q.path.includes('selfsubjectaccessreviews'));
  return { ...r, mutations };
}

describe('rejected before anything is created', () => {
  it.each([
    ['no target', [], /no target: give node\/NAME/],
    ['node without a name', ['node/'], /has no node name/],
    ['an unsupported kind', ['svc/x'], /target kind "svc" is not supported/],
    ['a target without a kind', ['worker-1'], /has no kind: write node\/NAME/],
    ['a node that does not exist', ['node/nope'], /node "nope" not found[\s\S]*kubectl get nodes/],
    ['a duration that is not one', ['node/worker-1', '--duration', 'abc'], /--duration "abc" is not a duration/],
    ['a negative duration', ['node/worker-1', '--duration=-5s'], /--duration "-5s" is not a duration/],
    ['a zero duration', ['node/worker-1', '-d', '0'], /--duration "0" must be longer than zero/],
    ['an unknown output format', ['node/worker-1', '-o', 'xml'], /-o\/--output "xml" is not a format: use one of table, wide, json, summary/],
    ['--max-events 0', ['node/worker-1', '--max-events', '0'], /--max-events 0 must be a whole number of at least 1/],
    ['--max-events -5', ['node/worker-1', '--max-events=-5'], /--max-events -5 must be/],
    ['an unknown flag', ['node/worker-1', '--nmespace', 'x'], /unknown flag --nmespace; did you mean --namespace\?/],
    ['a namespace that is not a DNS-1123 label', ['node/worker-1', '-n', 'a;rm -rf /'], /-n\/--namespace "a;rm -rf \/" is not a valid namespace name/],
    ['a namespace with $()', ['node/worker-1', '-n', '$(touch /tmp/x)'], /is not a valid namespace name/],
    ['a context that is not in the kubeconfig', ['node/worker-1', '--context', 'nope'], /--context "nope" is not in the kubeconfig[\s\S]*known contexts: standin/],
    ['--debug-namespace that does not exist', ['node/worker-1', '--debug-namespace', 'nope'], /--debug-namespace "nope" does not exist/],
    ['a bad --request-timeout', ['node/worker-1', '--request-timeout', 'soon'], /--request-timeout "soon" is not a duration/],
  ])('%s', async (_what, args, message) => {
    const r = await runBad(args as string[]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/^\s+at /m); // no stack trace
    expect(r.stdout).toBe('');
    expect(r.mutations).toEqual([]);
  });

  it.each([
    ['a malformed kubeconfig', () => malformed, /cannot load the kubeconfig \(--kubeconfig .*malformed.yaml\)/],
    ['an unreadable kubeconfig', () => join(dir, 'missing.yaml'), /cannot load the kubeconfig \(--kubeconfig .*missing.yaml\): ENOENT/],
    ['an unreachable API server', () => unreachable, /cannot reach the API server http:\/\/127.0.0.1:\d+ while reading node worker-1 \(ECONNREFUSED\)/],
  ])('%s', async (_what, kubeconfig, message) => {
    const r = await runBad(['node/worker-1'], kubeconfig());
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/^\s+at /m);
  });

  it('missing RBAC names the verb and resource', async () => {
    api.denyAccess('create', 'pods', 'exec');
    try {
      const r = await runBad(['node/worker-1']);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/you are not allowed to: create pods\/exec/);
      expect(r.mutations).toEqual([]);
    } finally {
      api.allowAllAccess();
    }
  });

  it('--request-timeout is honoured', async () => {
    // A server that accepts connections and never answers.
    const net = await import('node:net');
    const silent = net.createServer(() => {});
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
    const port = (silent.address() as { port: number }).port;
    const cfg = join(dir, 'silent.yaml');
    writeFileSync(
      cfg,
      `apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "http://127.0.0.1:${port}", insecure-skip-tls-verify: true}}]\nusers: [{name: u, user: {token: t}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n`,
    );
    try {
      const started = Date.now();
      const r = await runBad(['node/worker-1', '--request-timeout', '1s'], cfg);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/reading node worker-1 took longer than --request-timeout \(1s\)/);
      expect(Date.now() - started).toBeLessThan(15_000);
    } finally {
      silent.close();
    }
  });
});

afterAll(removeTempDirs);
