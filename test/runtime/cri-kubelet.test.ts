/**
 * The API stand-in's CRI kubelet on the run's containerd: pods created through the API run as
 * real containers, their status is the runtime's, pods/exec reaches the runtime's streaming
 * server, and a deleted pod leaves nothing. Also what that streaming server does to an exec'd
 * process when the client's stream goes away (README, Development), measured here on every run.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { startApiServer, type ApiServer, type Pod } from '../apiserver/index.js';
import { hex32 } from '../support/kernel.js';
import { cgroupHierarchies } from './containerd.js';
import { collect, createPod, deletePod, execIn, openExec, running, waitForPod } from './pods.js';
import { runtimeDescribe, sharedRuntime, type Runtime } from './shared.js';
import { WORKLOAD_IMAGE } from './test-images.js';

const r = runtimeDescribe();
const NODE = 'cri-node';
const sleep = (ms: number) => new Promise((res) => setTimeout(res, ms));
const idOf = (p: Pod, c: string): string =>
  (p.status?.containerStatuses?.find((s) => s.name === c)?.containerID ?? '').replace('containerd://', '');

/** The state letter and wait channel of a host pid, or null when it is gone. */
function procState(pid: number): { state: string; wchan: string } | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return { state: stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0]!, wchan: readFileSync(`/proc/${pid}/wchan`, 'utf8') };
  } catch {
    return null;
  }
}

describe.skipIf(r.skip)(`the CRI kubelet on containerd${r.reason ? ` (${r.reason})` : ''}`, () => {
  let rt: Runtime;
  let api: ApiServer;
  const ns = `cri-${hex32().slice(0, 6)}`;
  const hostDir = `/tmp/trace-exec-hostpath-${hex32().slice(0, 8)}/made`;

  beforeAll(async () => {
    if (r.reason) throw new Error(`real-runtime tests must run under CI but cannot: ${r.reason}`);
    rt = await sharedRuntime();
    api = await startApiServer();
    api.addNode(NODE, { runtime: rt });
  });

  afterAll(async () => {
    await api?.close();
  });

  it("reports the runtime's version as the node's", () => {
    expect(api.listNodes().find((n) => n.metadata.name === NODE)?.status?.nodeInfo?.containerRuntimeVersion).toMatch(
      /^containerd:\/\/1\.6\./,
    );
  });

  it("runs a restartPolicy Never pod to its end: the runtime's exit code, Failed, containerd:// id", async () => {
    await createPod(api, {
      namespace: ns,
      name: 'ends',
      node: NODE,
      restartPolicy: 'Never',
      containers: [{ name: 'main', image: WORKLOAD_IMAGE, command: ['sh', '-c', 'echo bye; exit 3'] }],
    });
    const pod = await waitForPod(api, ns, 'ends', (p) => p.status?.phase === 'Failed');
    const st = pod.status!.containerStatuses![0]!;
    expect(st.containerID).toMatch(/^containerd:\/\/[0-9a-f]{64}$/);
    expect(st.state?.terminated).toMatchObject({ exitCode: 3, reason: 'Error' });
    expect((await rt.cri.containerStatus(idOf(pod, 'main'))).exitCode).toBe(3);
    expect(st.imageID).toMatch(/^sha256:/);
  });

  it("reports the runtime's own error for a container that cannot start", async () => {
    await createPod(api, {
      namespace: ns,
      name: 'nostart',
      node: NODE,
      restartPolicy: 'Never',
      containers: [{ name: 'main', image: WORKLOAD_IMAGE, command: ['/no/such/binary'] }],
    });
    const pod = await waitForPod(api, ns, 'nostart', (p) => p.status?.phase === 'Failed');
    expect(pod.status!.containerStatuses![0]!.state?.terminated).toMatchObject({ exitCode: 128, reason: 'StartError' });
    expect(pod.status!.containerStatuses![0]!.state?.terminated?.message).toMatch(/no such file or directory/);
  });

  it("puts the log's tail in the status of a failed FallbackToLogsOnError container, as the kubelet does", async () => {
    await createPod(api, {
      namespace: ns,
      name: 'logs',
      node: NODE,
      restartPolicy: 'Never',
      containers: [
        {
          name: 'main',
          image: WORKLOAD_IMAGE,
          // Both lines on one stream: containerd copies stdout and stderr to the log each on its own,
          // so lines of the two may land in either order (seen once in a CI run).
          command: ['sh', '-c', 'echo first >&2; echo "exec /x: exec format error" >&2; exit 2'],
          terminationMessagePolicy: 'FallbackToLogsOnError',
        },
      ],
    });
    const pod = await waitForPod(api, ns, 'logs', (p) => p.status?.phase === 'Failed');
    expect(pod.status!.containerStatuses![0]!.state?.terminated).toMatchObject({
      exitCode: 2,
      reason: 'Error',
      message: 'first\nexec /x: exec format error',
    });
  });

  it('keeps a pod whose hostPath of type Directory is missing in ContainerCreating, saying why', async () => {
    await createPod(api, {
      namespace: ns,
      name: 'nodir',
      node: NODE,
      containers: [{ name: 'main', image: WORKLOAD_IMAGE, command: ['sleep', '60'], volumeMounts: [{ name: 'v', mountPath: '/v' }] }],
      volumes: [{ name: 'v', hostPath: { path: `${hostDir}-absent`, type: 'Directory' } }],
    });
    const pod = await waitForPod(api, ns, 'nodir', (p) => !!p.status?.containerStatuses?.[0]?.state?.waiting?.message);
    expect(pod.status!.phase).toBe('Pending');
    expect(pod.status!.containerStatuses![0]!.state?.waiting).toEqual({
      reason: 'ContainerCreating',
      message: `MountVolume.SetUp failed for volume "v" : hostPath type check failed: ${hostDir}-absent is not a directory`,
    });
    expect(existsSync(`${hostDir}-absent`)).toBe(false);
  });

  it('runs a Burstable pod below /kubepods/burstable', async () => {
    await createPod(api, {
      namespace: ns,
      name: 'burst',
      node: NODE,
      containers: [
        { name: 'main', image: WORKLOAD_IMAGE, command: ['sleep', '60'], resources: { requests: { cpu: '10m', memory: '64Mi' } } },
      ],
    });
    const pod = await waitForPod(api, ns, 'burst', running);
    expect(pod.status?.qosClass).toBe('Burstable');
    for (const h of cgroupHierarchies())
      expect(existsSync(join(h, `kubepods/burstable/pod${pod.metadata.uid}`, idOf(pod, 'main'))), h).toBe(true);
  });

  it('runs a hostPID pod with hostPath mounts (a missing one made, read-only honoured), and execs through the runtime', async () => {
    await createPod(api, {
      namespace: ns,
      name: 'runs',
      node: NODE,
      hostPID: true,
      containers: [
        {
          name: 'main',
          image: WORKLOAD_IMAGE,
          command: ['sleep', '600'],
          env: [{ name: 'GREETING', value: 'grüße' }],
          securityContext: { privileged: true },
          volumeMounts: [
            { name: 'made', mountPath: '/made', readOnly: true },
            { name: 'cgroup', mountPath: '/sys/fs/cgroup' },
          ],
        },
      ],
      volumes: [
        { name: 'made', hostPath: { path: hostDir } },
        { name: 'cgroup', hostPath: { path: '/sys/fs/cgroup' } },
      ],
    });
    const pod = await waitForPod(api, ns, 'runs', running);
    expect(pod.status?.qosClass).toBe('BestEffort');
    expect(existsSync(hostDir)).toBe(true);
    const id = idOf(pod, 'main');
    for (const h of cgroupHierarchies()) expect(existsSync(join(h, `kubepods/besteffort/pod${pod.metadata.uid}`, id)), h).toBe(true);

    const hello = await execIn(api, ns, 'runs', 'main', ['sh', '-c', 'echo "$GREETING"; cat /proc/1/comm; touch /made/x 2>&1; exit 7']);
    expect(hello.stdout).toBe(`grüße\n${readFileSync('/proc/1/comm', 'utf8')}touch: /made/x: Read-only file system\n`);
    expect(hello.status).toMatchObject({
      status: 'Failure',
      reason: 'NonZeroExitCode',
      details: { causes: [{ reason: 'ExitCode', message: '7' }] },
    });
    const ok = await execIn(api, ns, 'runs', 'main', ['true']);
    expect(ok.status).toMatchObject({ status: 'Success' });
    const missing = await execIn(api, ns, 'runs', 'main', ['no-such-command']);
    expect(JSON.stringify(missing.status)).toMatch(/executable file not found/);
  });

  it('speaks v5 to a client that asks, relaying v4 from the runtime (which refuses v5)', async () => {
    const url = await rt.cri.exec({
      containerId: idOf(api.getPod(ns, 'runs')!, 'main'),
      cmd: ['true'],
      tty: false,
      stdin: false,
      stdout: true,
      stderr: true,
    });
    const refused = await new Promise<number>((resolve, reject) => {
      const direct = new WebSocket(url, ['v5.channel.k8s.io']);
      direct.once('unexpected-response', (req, res) => {
        req.destroy();
        resolve(res.statusCode ?? 0);
      });
      direct.once('open', () => reject(new Error(`the runtime accepted ${direct.protocol}`)));
    });
    expect(refused).toBe(403);
    const ws = await openExec(api, ns, 'runs', 'main', ['echo', 'five'], { protocol: 'v5.channel.k8s.io' });
    expect(ws.protocol).toBe('v5.channel.k8s.io');
    const res = await collect(ws);
    expect(res).toMatchObject({ stdout: 'five\n', status: { status: 'Success' } });
  });

  it("when the client goes away, the runtime closes the process's stdin at once, sends no signal, and stops reading its output", async () => {
    // A reader: its stdin ends (cat exits), then the shell writes a file and ends normally.
    const reader = await openExec(api, ns, 'runs', 'main', ['sh', '-c', 'echo $$; cat; echo eof > /tmp/reader-saw-eof'], { stdin: true });
    const readerPid = await firstLine(reader);
    // A writer that ignores its stdin and never stops writing; SIGTERM/SIGHUP/SIGPIPE would end it.
    const writer = await openExec(
      api,
      ns,
      'runs',
      'main',
      ['sh', '-c', 'echo $$; while :; do echo 0123456789abcdef0123456789abcdef; done'],
      { stdin: true },
    );
    const writerPid = await firstLine(writer);
    // Both wait on their stdin while the client is there (the shells hold stdout: see stdin.test.ts).
    await sleep(500);
    expect(procState(readerPid), 'the reader waits for input').not.toBeNull();
    const t0 = Date.now();
    reader.terminate();
    writer.terminate();
    let readerGone = 0;
    for (let i = 0; i < 100 && procState(readerPid); i++) await sleep(20);
    readerGone = Date.now() - t0;
    expect(procState(readerPid), 'the reader ended').toBeNull();
    expect(readerGone).toBeLessThan(1500);
    expect((await execIn(api, ns, 'runs', 'main', ['cat', '/tmp/reader-saw-eof'])).stdout).toBe('eof\n');
    // The writer lives on, blocked writing to a pipe nobody reads.
    await sleep(1500);
    const w = procState(writerPid);
    expect(w, 'the writer still runs').not.toBeNull();
    expect(w!.state).toBe('S');
    expect(w!.wchan).toMatch(/pipe_write|wait_woken|pipe_wait/);
    process.stdout.write(`measured: reader gone ${readerGone} ms after the client closed; writer ${JSON.stringify(w)} 1.5 s after\n`);
  });

  it('deleting a pod stops and removes its sandbox, its cgroups and the host directories made for it', async () => {
    const pod = api.getPod(ns, 'runs')!;
    const sandboxes = (await rt.cri.listPodSandbox()).filter((s) => s.metadata.uid === pod.metadata.uid);
    expect(sandboxes).toHaveLength(1);
    await deletePod(api, ns, 'runs');
    for (let i = 0; i < 100 && (await rt.cri.listPodSandbox()).some((s) => s.metadata.uid === pod.metadata.uid); i++) await sleep(100);
    expect((await rt.cri.listPodSandbox()).map((s) => s.metadata.uid)).not.toContain(pod.metadata.uid);
    for (let i = 0; i < 20 && existsSync(hostDir); i++) await sleep(100);
    expect(existsSync(hostDir)).toBe(false);
    for (const h of cgroupHierarchies()) expect(existsSync(join(h, `kubepods/besteffort/pod${pod.metadata.uid}`)), h).toBe(false);
  });
});

/** The first line of an exec's stdout, as a number (the pid the command echoed). */
function firstLine(ws: import('ws').WebSocket): Promise<number> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const on = (data: Buffer): void => {
      if (data[0] !== 1) return;
      buf += data.subarray(1).toString();
      const nl = buf.indexOf('\n');
      if (nl >= 0) {
        ws.off('message', on);
        resolve(Number(buf.slice(0, nl)));
      }
    };
    ws.on('message', on);
    ws.once('close', () => reject(new Error(`exec closed before its first line: ${buf}`)));
  });
}
