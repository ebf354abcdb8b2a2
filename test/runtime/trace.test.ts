/**
 * trace-exec on a real node: the built CLI → the API stand-in → its CRI kubelet → the run's
 * containerd, which runs the debug pod from the project's debug image (`npm run image`, amd64; built
 * once per package list, see test/support/debug-image.ts) as a privileged hostPID container, and
 * the workload pods of two namespaces; real bpftrace in the debug container sees the execs the
 * runtime placed in the cgroups it made, and the run joins them with the pods.
 */
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiServer, type ApiServer, type Pod } from '../apiserver/index.js';
import { jsonLines, startCli } from '../support/cli.js';
import { hex32, traceUnavailable } from '../support/kernel.js';
import { debugImageUnavailable, importDebugImage } from './debug-image.js';
import { createPod, deletePod, execIn, running, waitForPod } from './pods.js';
import { runtimeDescribe, sharedRuntime, type Runtime } from './shared.js';
import { WORKLOAD_IMAGE } from './test-images.js';

const r = runtimeDescribe();
const reason = r.reason ?? traceUnavailable() ?? debugImageUnavailable();
const skip = r.skip || (reason !== null && process.env.CI !== 'true');
const NODE = 'cri-node';
const LEASE_S = 6;
const sleep = (ms: number) => new Promise((res) => setTimeout(res, ms));
const idOf = (p: Pod, c: string): string =>
  (p.status?.containerStatuses?.find((s) => s.name === c)?.containerID ?? '').replace('containerd://', '');
const totalsOf = (stderr: string) => JSON.parse(stderr.split('\n').find((l) => l.startsWith('{"kind":"trace-exec.totals"')) ?? 'null');

/** Host pids whose cgroup (any hierarchy) is the container's. */
function containerPids(id: string): number[] {
  const out: number[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      if (readFileSync(`/proc/${e}/cgroup`, 'utf8').includes(`/${id}\n`)) out.push(Number(e));
    } catch {
      /* gone */
    }
  }
  return out;
}

/** A /proc file of a pid, or null once the process is gone (container processes come and go). */
function proc(pid: number, file: string): string | null {
  try {
    return file === 'ns/pid' ? readlinkSync(`/proc/${pid}/${file}`) : readFileSync(`/proc/${pid}/${file}`, 'utf8');
  } catch {
    return null;
  }
}

const isBpftrace = (pid: number): boolean => proc(pid, 'comm')?.trim() === 'bpftrace';

async function waitFor<T>(
  what: string,
  get: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  timeoutMs: number,
): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await get();
    if (v) return v;
    if (Date.now() > until) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await sleep(100);
  }
}

describe.skipIf(skip)(`trace-exec on a real node (containerd through the CRI)${reason ? ` (${reason})` : ''}`, () => {
  let rt: Runtime;
  let api: ApiServer;
  let image = '';
  const shop = `shop-${hex32().slice(0, 6)}`;
  const pay = `pay-${hex32().slice(0, 6)}`;
  const debugPod = (): Pod | undefined => api.listPods().find((p) => p.metadata?.labels?.['app.kubernetes.io/name'] === 'trace-exec');
  const args = (...more: string[]) => [`node/${NODE}`, '--kubeconfig', api.kubeconfigPath, '--image', image, ...more];
  const sandboxOf = async (uid: string) => (await rt.cri.listPodSandbox()).find((s) => s.metadata.uid === uid);

  beforeAll(async () => {
    if (reason) throw new Error(`real-runtime tests must run under CI but cannot: ${reason}`);
    rt = await sharedRuntime();
    image = await importDebugImage(rt);
    api = await startApiServer();
    api.addNode(NODE, { runtime: rt });
    const sleeper = (name: string) => ({ name, image: WORKLOAD_IMAGE, command: ['sleep', '3600'] });
    await createPod(api, { namespace: shop, name: 'web', node: NODE, containers: [sleeper('app'), sleeper('side')] });
    await createPod(api, { namespace: pay, name: 'api', node: NODE, containers: [sleeper('main')] });
    await waitForPod(api, shop, 'web', running);
    await waitForPod(api, pay, 'api', running);
  }, 600_000);

  afterAll(async () => {
    await api?.close();
  });

  it("node/NAME -n NS: every marker exec of that namespace with its pod, container and the runtime's container id; none of the other", async () => {
    const tag = `rt-${hex32().slice(0, 8)}`;
    // The debug pod mounts /lib/modules, which this machine lacks: made for the pod, removed with it.
    const noModules = !existsSync('/lib/modules');
    const cli = startCli(args('-n', shop, '-o', 'json', '-d', '90s'));
    await cli.waitForStderr(new RegExp(`tracing execs on ${NODE}`), 90_000);

    // The debug pod runs in containerd: a privileged container in the host's PID namespace.
    const pod = debugPod()!;
    const id = idOf(pod, 'trace-exec');
    expect(pod.status?.containerStatuses?.[0]?.containerID).toMatch(/^containerd:\/\/[0-9a-f]{64}$/);
    expect((await rt.cri.containerStatus(id)).state).toBe('CONTAINER_RUNNING');
    const pids = containerPids(id);
    expect(pids.length, 'processes in the debug container').toBeGreaterThan(0);
    const bpftrace = pids.find(isBpftrace);
    expect(bpftrace, 'bpftrace in the debug container').toBeDefined();
    // bpftrace and the container's main process (started first: the lowest pid) in the host's PID namespace, with every capability.
    const full = /^CapBnd:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
    expect(pod.status?.qosClass).toBe('Burstable');
    expect(proc(bpftrace!, 'cgroup')).toContain(`:/kubepods/burstable/pod${pod.metadata.uid}/${id}\n`);
    for (const p of [bpftrace!, Math.min(...pids)]) {
      expect(proc(p, 'ns/pid')).toBe(readlinkSync('/proc/self/ns/pid'));
      expect(/^CapEff:\s*([0-9a-f]+)$/m.exec(proc(p, 'status') ?? '')?.[1]).toBe(full);
    }

    await execIn(api, shop, 'web', 'app', ['/bin/echo', `${tag}-app`]);
    await execIn(api, shop, 'web', 'side', ['/bin/echo', `${tag}-side`]);
    await execIn(api, pay, 'api', 'main', ['/bin/echo', `${tag}-pay`]);
    await sleep(1500);
    cli.proc.kill('SIGINT');
    const res = await cli.done();
    expect(res.code, res.stderr).toBe(0);
    const events = jsonLines(res.stdout);
    const web = api.getPod(shop, 'web')!;
    const hits = (t: string) => events.filter((e) => (e.args as string[])[1] === `${tag}-${t}`);
    expect(hits('app'), res.stderr).toHaveLength(1);
    expect(hits('app')[0]).toMatchObject({
      node: NODE,
      namespace: shop,
      pod: 'web',
      container: 'app',
      containerId: idOf(web, 'app'),
      podUid: web.metadata.uid,
      attribution: 'pod',
      retval: 0,
      comm: 'echo',
    });
    expect(hits('side')[0]).toMatchObject({
      namespace: shop,
      pod: 'web',
      container: 'side',
      containerId: idOf(web, 'side'),
      attribution: 'pod',
    });
    expect(hits('pay')).toEqual([]);
    expect(events.filter((e) => e.namespace === pay)).toEqual([]);
    // The pod and its sandbox are gone when the run is over.
    await waitFor('the debug pod deleted', () => !debugPod(), 10_000);
    await waitFor('its sandbox removed', async () => !(await sandboxOf(pod.metadata.uid!)), 15_000);
    if (noModules) expect(existsSync('/lib/modules')).toBe(false);
  }, 150_000);

  it("--exits and --drift in a workload container: a file written at run time is upperLayer, the image's is not", async () => {
    const tag = `dr-${hex32().slice(0, 8)}`;
    const clis = [
      startCli(args('-n', shop, '--exits', '-o', 'json', '-d', '90s')),
      startCli(args('-n', shop, '--exits', '--drift', '-o', 'json', '-d', '90s')),
    ];
    await Promise.all(clis.map((c) => c.waitForStderr(new RegExp(`tracing execs on ${NODE}`), 90_000)));
    await execIn(api, shop, 'web', 'app', ['/bin/echo', `${tag}-image`]);
    // busybox copied into the container's writable layer, run under an applet's name.
    await execIn(api, shop, 'web', 'app', [
      'sh',
      '-c',
      `mkdir -p /tmp/${tag} && cp /bin/busybox /tmp/${tag}/echo && exec /tmp/${tag}/echo ${tag}-written`,
    ]);
    await sleep(1500);
    const runs = [];
    for (const c of clis) {
      c.proc.kill('SIGINT');
      runs.push(await c.done());
    }
    for (const x of runs) expect(x.code, x.stderr).toBe(0);
    const [all, drift] = runs.map((x) => jsonLines(x.stdout));
    const web = api.getPod(shop, 'web')!;
    const where = { node: NODE, namespace: shop, pod: 'web', container: 'app', containerId: idOf(web, 'app'), attribution: 'pod' };
    const execOf = (lines: Record<string, unknown>[], t: string) =>
      lines.filter((l) => l.type === 'exec' && l.retval === 0 && (l.args as string[]).at(-1) === `${tag}-${t}`);
    const image = execOf(all!, 'image');
    const written = execOf(all!, 'written');
    expect(image, runs[0]!.stderr).toHaveLength(1);
    expect(written, runs[0]!.stderr).toHaveLength(1);
    expect(image[0]).toMatchObject({ ...where, upperLayer: false, filename: '/bin/echo' });
    expect(written[0]).toMatchObject({ ...where, upperLayer: true, filename: `/tmp/${tag}/echo` });
    for (const e of [image[0]!, written[0]!]) {
      const exits = all!.filter((l) => l.type === 'exit' && l.pid === e.pid);
      expect(exits, `exit of ${String(e.filename)}`).toHaveLength(1);
      const { attribution: _, ...place } = where; // exit lines carry the place, not the attribution
      expect(exits[0]).toMatchObject({ ...place, exitCode: 0, signal: null });
    }
    // --drift: only the written one, its exec and its exit.
    const mine = drift!.filter(
      (l) => JSON.stringify(l.args ?? []).includes(tag) || (l.type === 'exit' && drift!.some((e) => e.type === 'exec' && e.pid === l.pid)),
    );
    expect(
      mine.filter((l) => l.type === 'exec').map((l) => (l.args as string[]).at(-1)),
      runs[1]!.stderr,
    ).toEqual([`${tag}-written`]);
    expect(mine.filter((l) => l.type === 'exit' && l.pid === written[0]!.pid)).toHaveLength(1);
  }, 150_000);

  it('a stream dropped mid-trace: re-attached through the runtime, the gap reported, execs after it attributed', async () => {
    const tag = `ra-${hex32().slice(0, 8)}`;
    const cli = startCli(args('-n', shop, '-o', 'json', '-d', '90s'));
    await cli.waitForStderr(new RegExp(`tracing execs on ${NODE}`), 90_000);
    await execIn(api, shop, 'web', 'app', ['/bin/echo', `${tag}-before`]);
    await sleep(1000);
    expect(api.dropExecStreams()).toBeGreaterThan(0);
    await cli.waitForStderr(/re-attached/, 60_000);
    await execIn(api, shop, 'web', 'app', ['/bin/echo', `${tag}-after`]);
    await sleep(1500);
    cli.proc.kill('SIGINT');
    const res = await cli.done();
    expect(res.code, res.stderr).toBe(0);
    expect(res.stderr).toMatch(new RegExp(`${NODE}: the exec stream was lost`));
    expect(res.stderr).toMatch(new RegExp(`${NODE}: re-attached; execs from \\S+ to \\S+ UTC \\([\\d.]+ s\\) are unknown`));
    const totals = totalsOf(res.stderr);
    expect(totals.gaps, res.stderr).toHaveLength(1);
    expect(totals.gaps[0]).toMatchObject({ node: NODE });
    expect(totals.gaps[0].to).not.toBeNull();
    const events = jsonLines(res.stdout);
    for (const t of ['before', 'after']) {
      expect(
        events.filter((e) => (e.args as string[])[1] === `${tag}-${t}`),
        `${t}\n${res.stderr}`,
      ).toMatchObject([{ namespace: shop, pod: 'web', container: 'app' }]);
    }
    // One tracer at a time: the one of the lost stream ended when the runtime closed its stdin.
    await waitFor('the debug pod deleted', () => !debugPod(), 10_000);
  }, 150_000);

  it('-o summary: the debug container counts the execs of a workload container on the node and sends counts; a session exec comes whole', async () => {
    const tag = `ct-${hex32().slice(0, 8)}`;
    const cli = startCli(args('-n', shop, '-o', 'summary', '-v', '-d', '90s'));
    await cli.waitForStderr(new RegExp(`tracing execs on ${NODE}`), 90_000);
    // A container whose own init tree execs (what the node counts), ~10 a second.
    const loop = `while :; do /bin/echo ${tag} >/dev/null; /bin/sleep 0.2; done`;
    await createPod(api, {
      namespace: shop,
      name: 'counter',
      node: NODE,
      containers: [{ name: 'c', image: WORKLOAD_IMAGE, command: ['sh', '-c', loop] }],
    });
    await waitForPod(api, shop, 'counter', running);
    await sleep(4000);
    await execIn(api, shop, 'web', 'app', ['/bin/echo', `${tag}-session`]);
    await sleep(2500); // past a count period (1-2 s)
    cli.proc.kill('SIGINT');
    const res = await cli.done();
    await deletePod(api, shop, 'counter');
    expect(res.code, res.stderr).toBe(0);
    expect(res.stderr).toMatch(new RegExp(`${NODE}: the node counts execs`));
    const cells = (pod: string): string[] | undefined =>
      res.stdout
        .split('\n')
        .filter((l) => l.includes(` ${pod} `))
        .map((l) =>
          l
            .split('│')
            .map((c) => c.trim())
            .filter((_c, i, all) => i > 0 && i < all.length - 1),
        )[0];
    // NAMESPACE POD CONTAINER EXECS COMMANDS FAILED FIRST LAST TOP
    const counter = cells('counter');
    expect(counter, res.stdout).toBeDefined();
    expect(counter!.slice(0, 3)).toEqual([shop, 'counter', 'c']);
    expect(Number(counter![3])).toBeGreaterThanOrEqual(10);
    expect(counter![5]).toBe('0');
    expect(counter![8]).toMatch(/echo×\d+/);
    expect(counter![8]).toMatch(/sleep×\d+/);
    // The session exec (entered from outside the container's init tree) is sent whole and shown.
    expect(cells('web'), res.stdout).toEqual(expect.arrayContaining([shop, 'web', 'app', '1']));
  }, 150_000);

  it("the client SIGKILLed: the debug container's processes end within the lease, the sandbox goes on cleanup", async () => {
    const cli = startCli(args('-o', 'json'), { TRACE_EXEC_LEASE_S: String(LEASE_S) });
    await cli.waitForStderr(new RegExp(`tracing execs on ${NODE}`), 90_000);
    const pod = debugPod()!;
    const id = idOf(pod, 'trace-exec');
    expect(containerPids(id).length).toBeGreaterThan(1);
    const t0 = Date.now();
    cli.proc.kill('SIGKILL');
    await cli.done();
    // bpftrace first (the runtime ends the tracer's stdin), then the lease check of the main process.
    await waitFor('bpftrace stopped', () => !containerPids(id).some(isBpftrace), 5000);
    await waitFor('every process of the debug container ended', () => containerPids(id).length === 0, (LEASE_S + 2 + 4) * 1000);
    const ended = Date.now() - t0;
    expect(ended).toBeLessThan((LEASE_S + 2 + 4) * 1000);
    const done = await waitFor(
      'the pod completed',
      () =>
        api.getPod(pod.metadata.namespace!, pod.metadata.name!)?.status?.phase === 'Succeeded'
          ? api.getPod(pod.metadata.namespace!, pod.metadata.name!)
          : undefined,
      5000,
    );
    expect(done!.status?.containerStatuses?.[0]?.state?.terminated).toMatchObject({ exitCode: 0, reason: 'Completed' });
    expect((await rt.cri.containerStatus(id)).state).toBe('CONTAINER_EXITED');
    // `cleanup` deletes the completed pod; the kubelet removes its sandbox.
    const clean = await startCli(['cleanup', '-A', '--kubeconfig', api.kubeconfigPath]).done();
    expect(clean.code, clean.stderr + clean.stdout).toBe(0);
    expect(clean.stdout).toContain(`deleted pod/${pod.metadata.name} -n ${pod.metadata.namespace} (Succeeded)`);
    await waitFor('its sandbox removed', async () => !(await sandboxOf(pod.metadata.uid!)), 15_000);
    process.stdout.write(
      `measured: the debug container's processes ended ${ended} ms after the client was SIGKILLed (lease ${LEASE_S} s)\n`,
    );
  }, 120_000);
});
