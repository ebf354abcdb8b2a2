/**
 * Drift on the cluster path: the built CLI → the API stand-in → its "kubelet" running bpftrace on
 * this machine. A pod's container runs executables from a real overlayfs mount (an image file, one
 * written into it after it started); each exec comes back joined with its pod and with upperLayer,
 * and --drift (here with -o wide, whose DRIFT column says it) keeps only the written one.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { startApiServer, type ApiServer } from '../apiserver/index.js';
import { execIn, hex32, kernelDescribe } from '../support/kernel.js';
import { jsonLines, startCli } from '../support/cli.js';
import { expectNothingLeft } from '../support/leftovers.js';
import { mountOverlay, type Overlay } from '../support/overlay.js';
import { removeTempDirs } from '../support/tmp.js';
import { addToApi, makeWorkload, removeCgroups, runIn } from '../support/workloads.js';

const k = kernelDescribe();

describe.skipIf(k.skip)(`drift end to end against the API stand-in${k.reason ? ` (${k.reason})` : ''}`, () => {
  let api: ApiServer;
  let overlay: Overlay | null = null;
  const tag = `e2e-${hex32().slice(0, 10)}`;
  const pod = makeWorkload('systemd-crio-hybrid', 'shop', 'web-5c8d9-drift', [{ name: 'web' }]);
  let all: Record<string, unknown>[] = [];
  let wide: string[] = [];
  let stderr = '';

  beforeAll(async () => {
    if (k.reason) throw new Error(`end-to-end tests must run under CI but cannot: ${k.reason}`);
    overlay = mountOverlay({ lower: { nginx: true } }, 'trace-exec-e2e-drift-');
    overlay.writeTrue('miner');
    api = await startApiServer({ podStartDelayMs: 200 });
    api.addNode('worker-1');
    api.addNamespace('shop');
    addToApi(api, pod);

    const args = ['node/worker-1', '--kubeconfig', api.kubeconfigPath, '-d', '90s'];
    const clis = [startCli([...args, '-o', 'json']), startCli([...args, '-o', 'wide', '--drift'])];
    await Promise.all(clis.map((c) => c.waitForStderr(/tracing execs on worker-1/, 60_000)));
    await runIn(pod, 'web', [join(overlay.merged, 'nginx'), `${tag}-image`]);
    await runIn(pod, 'web', [join(overlay.merged, 'miner'), `${tag}-written`]);
    await runIn(pod, 'web', ['/bin/true', `${tag}-volume`]); // not on overlayfs
    await execIn(null, [join(overlay.merged, 'miner'), `${tag}-host`]); // drift outside any pod
    await new Promise((r) => setTimeout(r, 1500));
    const runs = [];
    for (const c of clis) {
      c.proc.kill('SIGINT');
      runs.push(await c.done());
    }
    for (const r of runs) expect(r.code, r.stderr).toBe(0);
    stderr = runs.map((r) => r.stderr).join('\n');
    all = jsonLines(runs[0]!.stdout);
    wide = runs[1]!.stdout.split('\n');
  }, 180_000);

  afterAll(async () => {
    await api?.close();
    overlay?.unmount();
    removeCgroups([pod]);
    removeTempDirs();
  });

  const one = (t: string) => {
    const hits = all.filter((e) => (e.args as string[])[1] === `${tag}-${t}`);
    expect(hits, stderr).toHaveLength(1);
    return hits[0]!;
  };

  it('each exec says where its executable came from, joined with its pod', () => {
    const where = { node: 'worker-1', namespace: 'shop', pod: 'web-5c8d9-drift', container: 'web', attribution: 'pod', retval: 0 };
    expect(one('image')).toMatchObject({ ...where, upperLayer: false });
    expect(one('written')).toMatchObject({ ...where, upperLayer: true, filename: join(overlay!.merged, 'miner') });
    expect(one('volume')).toMatchObject({ ...where, upperLayer: null });
    expect(one('host')).toMatchObject({ attribution: 'host', upperLayer: true });
  });

  it('--drift keeps only the execs from a writable layer; wide says so in DRIFT', () => {
    const header = wide[0]!;
    expect(header).toMatch(/ DRIFT +ARGS$/);
    const ours = wide.filter((l) => l.includes(tag));
    expect(ours.map((l) => /(e2e-\w+-\w+)$/.exec(l)?.[1]).sort()).toEqual([`${tag}-host`, `${tag}-written`]);
    // DRIFT is the cell before ARGS (piped, a long cell before it may push it right).
    for (const l of ours) expect(l).toMatch(new RegExp(` yes {2,}${join(overlay!.merged, 'miner')} ${tag}-\\w+$`));
  });

  it('removed both debug pods', async () => {
    await expectNothingLeft(api);
  });
});
