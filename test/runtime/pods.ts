/**
 * Pods through the API stand-in's REST API, as a user creates them (so that the node's kubelet
 * runs them), and raw exec WebSockets, for the real-runtime tests.
 */
import { WebSocket } from 'ws';
import type { ApiServer, Pod } from '../apiserver/index.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function request(api: ApiServer, method: string, path: string, body?: object): Promise<unknown> {
  const res = await fetch(`${api.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${api.token}`, 'content-type': 'application/json' },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  const json = (await res.json()) as unknown;
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

export interface PodSketch {
  namespace: string;
  name: string;
  node: string;
  containers: Record<string, unknown>[];
  restartPolicy?: 'Never' | 'Always';
  hostPID?: boolean;
  volumes?: Record<string, unknown>[];
}

export async function createPod(api: ApiServer, p: PodSketch): Promise<Pod> {
  if (!api.listNamespaces().some((n) => n.metadata.name === p.namespace)) api.addNamespace(p.namespace);
  const body = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: p.name, namespace: p.namespace },
    spec: {
      nodeName: p.node,
      restartPolicy: p.restartPolicy ?? 'Always',
      ...(p.hostPID ? { hostPID: true } : {}),
      containers: p.containers,
      ...(p.volumes ? { volumes: p.volumes } : {}),
    },
  };
  return (await request(api, 'POST', `/api/v1/namespaces/${p.namespace}/pods`, body)) as Pod;
}

export async function deletePod(api: ApiServer, namespace: string, name: string): Promise<void> {
  await request(api, 'DELETE', `/api/v1/namespaces/${namespace}/pods/${name}`);
}

/** Waits until the pod satisfies `ok`; the error shows its last status. */
export async function waitForPod(
  api: ApiServer,
  namespace: string,
  name: string,
  ok: (p: Pod) => boolean,
  timeoutMs = 30_000,
): Promise<Pod> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const pod = api.getPod(namespace, name);
    if (pod && ok(pod)) return pod;
    if (Date.now() > until)
      throw new Error(`pod ${namespace}/${name} not as expected within ${timeoutMs} ms: ${JSON.stringify(pod?.status)}`);
    await sleep(100);
  }
}

export const running = (p: Pod): boolean =>
  p.status?.phase === 'Running' && (p.status.containerStatuses ?? []).every((s) => !!s.state?.running);

export interface ExecResult {
  stdout: string;
  stderr: string;
  /** The Status JSON of channel 3. */
  status: Record<string, unknown> | undefined;
}

/** An exec WebSocket to the stand-in (`protocol` as offered), open. */
export async function openExec(
  api: ApiServer,
  namespace: string,
  pod: string,
  container: string,
  command: string[],
  opts: { stdin?: boolean; protocol?: string; tty?: boolean } = {},
): Promise<WebSocket> {
  // With a terminal there is no separate stderr (kubectl exec -t asks so).
  const q = new URLSearchParams({
    container,
    stdout: 'true',
    stderr: String(!opts.tty),
    stdin: String(opts.stdin ?? false),
    ...(opts.tty ? { tty: 'true' } : {}),
  });
  for (const c of command) q.append('command', c);
  const url = `${api.url.replace('http', 'ws')}/api/v1/namespaces/${namespace}/pods/${pod}/exec?${q}`;
  const ws = new WebSocket(url, [opts.protocol ?? 'v4.channel.k8s.io'], { headers: { authorization: `Bearer ${api.token}` } });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
    ws.once('unexpected-response', (_q, res) => reject(new Error(`exec answered ${res.statusCode}`)));
  });
  return ws;
}

/** Collects an open exec's channels until the server closes it. */
export function collect(ws: WebSocket): Promise<ExecResult> {
  const out: ExecResult = { stdout: '', stderr: '', status: undefined };
  ws.on('message', (data: Buffer) => {
    const ch = data[0];
    const text = data.subarray(1).toString();
    if (ch === 1) out.stdout += text;
    else if (ch === 2) out.stderr += text;
    else if (ch === 3) out.status = JSON.parse(text) as Record<string, unknown>;
  });
  return new Promise((resolve) => ws.once('close', () => resolve(out)));
}

/** Runs a command through pods/exec and waits for its end. */
export async function execIn(api: ApiServer, namespace: string, pod: string, container: string, command: string[]): Promise<ExecResult> {
  const ws = await openExec(api, namespace, pod, container, command);
  return collect(ws);
}
