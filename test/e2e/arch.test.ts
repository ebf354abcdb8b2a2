/**
 * Nodes of different architectures side by side: each node gets the debug image for its own
 * architecture; a node no image fits is refused in one line before anything is created for it; and a
 * debug container that does not start (an image of another architecture: exec format error) is
 * reported within seconds with its own reason and message, not after --timeout.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiServer, type ApiServer } from '../apiserver/index.js';
import { kernelDescribe } from '../support/kernel.js';
import { startCli } from '../support/cli.js';
import { expectNothingLeft } from '../support/leftovers.js';

const k = kernelDescribe();
const DEFAULT_AMD64 = 'quay.io/iovisor/bpftrace:v0.19.1';
/** A stand-in image "built for amd64 only": its container fails on any node, as on an arm64 one. */
const AMD64_ONLY = 'registry.example.com/amd64-only/bpftrace:1';
const ARM64_IMAGE = 'registry.example.com/trace-exec-bpftrace-arm64:1';

let api: ApiServer;

beforeAll(async () => {
  api = await startApiServer({
    podStartDelayMs: 100,
    failingImages: [{ image: /\/amd64-only\//, reason: 'Error', exitCode: 255, log: 'exec /usr/bin/sleep: exec format error' }],
  });
  api.addNode('amd-1', { nodeInfo: { architecture: 'amd64' }, labels: { 'kubernetes.io/arch': 'amd64', pool: 'mixed' } });
  api.addNode('arm-1', { nodeInfo: { architecture: 'arm64' }, labels: { 'kubernetes.io/arch': 'arm64', pool: 'mixed' } });
  // The status lacks the field: the label says it.
  api.addNode('arm-label', { nodeInfo: { architecture: '' }, labels: { 'kubernetes.io/arch': 'arm64' } });
});
afterAll(async () => {
  await api?.close();
});

/** Requests that would have created something on the cluster. */
const creations = (since: number) => api.requests.slice(since).filter((r) => r.method === 'POST' && /\/(namespaces|pods)$/.test(r.path));
const errorLines = (stderr: string) => stderr.split('\n').filter((l) => /error:|hint:/.test(l));

describe('an arm64 node without an arm64 image is refused before anything is created', () => {
  it.each([
    ['nodeInfo.architecture', 'arm-1'],
    ['the kubernetes.io/arch label, when the status has no architecture', 'arm-label'],
  ])('known from %s: one line naming the architecture, --image and the README recipe; exit 1', async (_how, node) => {
    const before = api.requests.length;
    const r = await startCli([`node/${node}`, '--kubeconfig', api.kubeconfigPath]).done();
    expect(r.code, r.stderr).toBe(1);
    expect(errorLines(r.stderr)).toEqual([
      `trace-exec: error: node ${node} is arm64 and there is no default debug image for arm64: pass --image arm64=IMAGE with an image that has bpftrace for linux/arm64 (README "The debug pod image" shows how to build one from bpf/Dockerfile)`,
    ]);
    expect(creations(before)).toEqual([]);
    await expectNothingLeft(api);
  });

  it('--image for amd64 only does not cover it', async () => {
    const before = api.requests.length;
    const r = await startCli(['node/arm-1', '--image', `amd64=${DEFAULT_AMD64}`, '--kubeconfig', api.kubeconfigPath]).done();
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/error: node arm-1 is arm64 and there is no default debug image for arm64: pass --image arm64=IMAGE/);
    expect(creations(before)).toEqual([]);
  });

  it('every selected node refused: one line each, then that nothing was created', async () => {
    const before = api.requests.length;
    const r = await startCli(['node/arm-1', 'node/arm-label', '--kubeconfig', api.kubeconfigPath]).done();
    expect(r.code, r.stderr).toBe(1);
    expect(errorLines(r.stderr)).toEqual([
      expect.stringMatching(/^trace-exec: error: node arm-1 is arm64 and there is no default debug image for arm64/),
      expect.stringMatching(/^trace-exec: error: node arm-label is arm64 and there is no default debug image for arm64/),
      'trace-exec: error: none of the 2 nodes has a debug image for its architecture: nothing was created',
    ]);
    expect(creations(before)).toEqual([]);
  });
});

describe.skipIf(k.skip)(`mixed architectures in one run${k.reason ? ` (${k.reason})` : ''}`, () => {
  beforeAll(() => {
    if (k.reason) throw new Error(`end-to-end tests must run under CI but cannot: ${k.reason}`);
  });

  /** The image of each debug pod, by node, while they exist. */
  const debugImages = () =>
    Object.fromEntries(
      api
        .listPods()
        .filter((p) => p.metadata?.labels?.['app.kubernetes.io/name'] === 'trace-exec')
        .map((p) => [p.spec?.nodeName, p.spec?.containers?.[0]?.image]),
    );

  it('--node-selector over amd64 and arm64 nodes without an arm64 image: arm64 refused in one line, amd64 traced; exit 1', async () => {
    const before = api.requests.length;
    const cli = startCli(['--node-selector', 'pool=mixed', '--kubeconfig', api.kubeconfigPath, '-o', 'json']);
    await cli.waitForStderr(/tracing execs on amd-1/, 90_000);
    expect(debugImages()).toEqual({ 'amd-1': DEFAULT_AMD64 });
    cli.proc.kill('SIGINT');
    const r = await cli.done();
    expect(r.code, r.stderr).toBe(1);
    console.log('STDERR1\n' + r.stderr);
    expect(r.stderr.match(/node arm-1 is arm64/g)?.length, r.stderr).toBe(2); // the line as it happens, and in the summary
    expect(r.stderr).toMatch(
      /^trace-exec: error: node arm-1 is arm64 and there is no default debug image for arm64: pass --image arm64=IMAGE .*; going on with the other nodes$/m,
    );
    expect(r.stderr).toMatch(/creating debug pod \S+ on amd-1 \(amd64, image quay\.io\/iovisor\/bpftrace:v0\.19\.1\)/);
    expect(r.stderr).toMatch(/error: 1 of 2 nodes could not be traced to the end: node arm-1 is arm64/);
    expect(creations(before).filter((q) => /\/pods$/.test(q.path))).toHaveLength(1);
    await expectNothingLeft(api);
  });

  it('--node-selector over both with --image arm64=IMAGE: each node its own image, both traced; exit 0', async () => {
    const cli = startCli([
      '--node-selector',
      'pool=mixed',
      '--image',
      `arm64=${ARM64_IMAGE}`,
      '--kubeconfig',
      api.kubeconfigPath,
      '-o',
      'json',
    ]);
    await cli.waitForStderr(/tracing execs on \S+ \(2\/2\)/, 90_000);
    expect(debugImages()).toEqual({ 'amd-1': DEFAULT_AMD64, 'arm-1': ARM64_IMAGE });
    cli.proc.kill('SIGINT');
    const r = await cli.done();
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/on arm-1 \(arm64, image registry\.example\.com\/trace-exec-bpftrace-arm64:1\)/);
    await expectNothingLeft(api);
  });

  it("an image of another architecture (exec format error): reported within seconds with the container's reason and message and a hint, cleaned up; exit 1", async () => {
    const started = Date.now();
    const r = await startCli([
      'node/arm-1',
      '--image',
      `arm64=${AMD64_ONLY}`,
      '--kubeconfig',
      api.kubeconfigPath,
      '--timeout',
      '2m',
    ]).done();
    const took = Date.now() - started;
    expect(r.code, r.stderr).toBe(1);
    expect(errorLines(r.stderr)).toEqual([
      expect.stringMatching(
        /^trace-exec: error: the debug container of trace-exec-\w+\/trace-exec-arm-1-\w+ did not start: Error \(exit code 255\): exec \/usr\/bin\/sleep: exec format error$/,
      ),
      `  hint: the image ${AMD64_ONLY} is not built for linux/arm64, the node's architecture: pass --image arm64=IMAGE with an image for linux/arm64 (README "The debug pod image")`,
    ]);
    expect(took, r.stderr).toBeLessThan(20_000); // not --timeout's 2 minutes
    await expectNothingLeft(api);
  });

  it('one image for every node that fails on one of them: that node reported, the other traces on', async () => {
    const cli = startCli([
      '--node-selector',
      'pool=mixed',
      '--image',
      AMD64_ONLY,
      '--image',
      `amd64=${DEFAULT_AMD64}`,
      '--kubeconfig',
      api.kubeconfigPath,
      '-o',
      'json',
    ]);
    await cli.waitForStderr(/tracing execs on amd-1/, 90_000);
    await cli.waitForStderr(/arm-1: the debug container of \S+ did not start: .*exec format error.*going on with the other nodes/, 30_000);
    cli.proc.kill('SIGINT');
    const r = await cli.done();
    expect(r.code, r.stderr).toBe(1);
    console.log('STDERR2\n' + r.stderr);
    expect(r.stderr).toMatch(/hint: the image registry\.example\.com\/amd64-only\/bpftrace:1 is not built for linux\/arm64/);
    await expectNothingLeft(api);
  });
});
