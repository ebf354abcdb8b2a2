/**
 * An exec's stdin on containerd (1.6): the runtime closes it as soon as the exec's process side no
 * longer holds its stdout or stderr — not only when the client goes away. A command that hands
 * its stdout to a file and replaces the shell (`sh -c 'head -c N > FILE'`: the shell execs its last
 * command) gets EOF before stdin bytes that arrive a moment later. trace-exec stages its program
 * that way, so the staging command must keep the exec's stdout open until it has read them all.
 */
import { WebSocket } from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stageArgv } from '../../src/kube/exec-runner.js';
import { startApiServer, type ApiServer } from '../apiserver/index.js';
import { hex32 } from '../support/kernel.js';
import { collect, createPod, execIn, openExec, running, waitForPod } from './pods.js';
import { runtimeDescribe, sharedRuntime, type Runtime } from './shared.js';
import { WORKLOAD_IMAGE } from './test-images.js';

const r = runtimeDescribe();
const NODE = 'cri-node';
const LATE_MS = 300;

describe.skipIf(r.skip)(`an exec's stdin on containerd${r.reason ? ` (${r.reason})` : ''}`, () => {
  let rt: Runtime;
  let api: ApiServer;
  let id = '';
  const ns = `stdin-${hex32().slice(0, 6)}`;
  const payload = Buffer.alloc(9444, 'x');
  const size = async (file: string) => (await execIn(api, ns, 'p', 'c', ['sh', '-c', `wc -c < ${file}; rm -f ${file}`])).stdout.trim();

  beforeAll(async () => {
    if (r.reason) throw new Error(`real-runtime tests must run under CI but cannot: ${r.reason}`);
    rt = await sharedRuntime();
    api = await startApiServer();
    api.addNode(NODE, { runtime: rt });
    await createPod(api, {
      namespace: ns,
      name: 'p',
      node: NODE,
      containers: [{ name: 'c', image: WORKLOAD_IMAGE, command: ['sleep', '600'] }],
    });
    const pod = await waitForPod(api, ns, 'p', running);
    id = pod.status!.containerStatuses![0]!.containerID!.replace('containerd://', '');
  });

  afterAll(async () => {
    await api?.close();
  });

  /** Straight to the runtime's streaming server (no relay): stdin sent LATE_MS after the exec opened. */
  async function lateStdin(cmd: string[]): Promise<number> {
    const url = await rt.cri.exec({ containerId: id, cmd, tty: false, stdin: true, stdout: true, stderr: true });
    const ws = new WebSocket(url, ['v4.channel.k8s.io']);
    await new Promise((res) => ws.once('open', res));
    const t0 = Date.now();
    const closed = new Promise((res) => ws.once('close', res));
    const timer = setTimeout(() => ws.send(Buffer.concat([Buffer.from([0]), payload])), LATE_MS);
    await closed;
    clearTimeout(timer);
    return Date.now() - t0;
  }

  it.each([
    ['the shell holds stdout: stdin stays open until the bytes come', ['sh', '-c', 'head -c 9444 > /tmp/a; echo read'], '/tmp/a', '9444'],
    ['the shell execs head with stdout on a file: stdin is closed at once', ['sh', '-c', 'head -c 9444 > /tmp/b'], '/tmp/b', '0'],
    ['stderr closed, stdout held: stdin is closed at once', ['sh', '-c', 'exec 2>&-; head -c 9444 > /tmp/c; echo read'], '/tmp/c', '0'],
  ])('%s', async (_name, cmd, file, bytes) => {
    const ms = await lateStdin(cmd);
    expect(await size(file)).toBe(bytes);
    if (bytes === '0') expect(ms).toBeLessThan(LATE_MS);
  });

  it("trace-exec's staging command reads every byte of a program that arrives late, through pods/exec", async () => {
    const ws = await openExec(api, ns, 'p', 'c', stageArgv('/tmp/program.bt', payload.length), {
      stdin: true,
      protocol: 'v5.channel.k8s.io',
    });
    const res = collect(ws);
    setTimeout(() => {
      ws.send(Buffer.concat([Buffer.from([0]), payload]));
      ws.send(Buffer.from([255, 0])); // v5: the end of stdin, as the client library sends it
    }, LATE_MS);
    expect((await res).status).toMatchObject({ status: 'Success' });
    expect(await size('/tmp/program.bt')).toBe(String(payload.length));
  });
});
