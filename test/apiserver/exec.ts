/**
 * pods/exec over WebSocket, following the real remotecommand protocol: subprotocol negotiation
 * (v5/v4/.../channel.k8s.io), binary frames whose first byte is the channel (0 stdin, 1 stdout, 2 stderr,
 * 3 error/status, 4 resize, 255 close), and on exit a v4 Status on channel 3 before a normal close.
 * The command runs as a real process on this machine (see Kubelet.exec) and, as with a real kubelet,
 * keeps running when the client goes away; on a simulated node it is answered in-process instead
 * (simulated-node.ts), through the same channels.
 */
import type { IncomingMessage } from 'node:http';
import { constants } from 'node:os';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import { relayExec } from './cri-exec.js';
import { flag } from './http.js';
import type { Kubelet } from './kubelet.js';
import type { NodeSimulation, SimulatedExec } from './simulated-node.js';
import type { ResourceTarget } from './routes.js';
import { badRequest, notFound } from './status.js';
import type { Store } from './store.js';
import type { ContainerStatus, Pod } from './types.js';

/** In order of preference, as the API server negotiates them. */
const PROTOCOLS = ['v5.channel.k8s.io', 'v4.channel.k8s.io', 'v3.channel.k8s.io', 'v2.channel.k8s.io', 'channel.k8s.io'];

const STDIN = 0;
const STDOUT = 1;
const STDERR = 2;
const ERROR = 3;
const CLOSE = 255;

interface ExecRequest {
  pod: Pod;
  container: string;
  command: string[];
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
}

function offeredProtocols(req: IncomingMessage): string[] {
  const header = req.headers['sec-websocket-protocol'];
  return header === undefined
    ? []
    : header
        .split(',')
        .map((p) => p.trim())
        .filter(Boolean);
}

/** Protocol version: 5 and 4 carry a JSON Status on the error channel, older ones a plain message. */
function versionOf(protocol: string): number {
  const m = /^v(\d+)\.channel\.k8s\.io$/.exec(protocol);
  return m ? Number(m[1]) : 1;
}

type Outcome = { kind: 'success' } | { kind: 'exit'; code: number; command: string[] } | { kind: 'error'; message: string };

/**
 * What goes on the error channel when the command is over. v4+ carry a JSON Status (exactly the kubelet's
 * shapes, which clients parse for the exit code); v1-v3 carry the bare message, and nothing on success.
 */
function errorChannelPayload(version: number, outcome: Outcome): string | undefined {
  if (outcome.kind === 'success') {
    return version < 4 ? undefined : JSON.stringify({ metadata: {}, status: 'Success' });
  }
  if (outcome.kind === 'exit') {
    const message = `command terminated with non-zero exit code: error executing command [${outcome.command.join(' ')}], exit code ${outcome.code}`;
    if (version < 4) return message;
    return JSON.stringify({
      metadata: {},
      status: 'Failure',
      message,
      reason: 'NonZeroExitCode',
      details: { causes: [{ reason: 'ExitCode', message: String(outcome.code) }] },
    });
  }
  const cause = `error executing command in container: ${outcome.message}`;
  const message = `Internal error occurred: ${cause}`;
  if (version < 4) return message;
  return JSON.stringify({
    metadata: {},
    status: 'Failure',
    message,
    reason: 'InternalError',
    details: { causes: [{ message: cause }] },
    code: 500,
  });
}

export class ExecServer {
  private readonly wss = new WebSocketServer({
    noServer: true,
    perMessageDeflate: false,
    handleProtocols: (offered) => PROTOCOLS.find((p) => offered.has(p)) ?? false,
  });

  constructor(
    private readonly store: Store,
    private readonly kubelet: Kubelet,
  ) {}

  /**
   * Checks the request as the API server and kubelet would (throwing an ApiError, which the caller turns
   * into an HTTP response before any upgrade), then upgrades and starts the command.
   */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, target: ResourceTarget, query: URLSearchParams): void {
    const exec = this.validate(target, query);
    const offered = offeredProtocols(req);
    if (offered.length > 0 && !offered.some((p) => PROTOCOLS.includes(p))) {
      throw badRequest(`requested protocol(s) are not supported: [${offered.join(' ')}]; supported protocols are [${PROTOCOLS.join(' ')}]`);
    }
    // A runtime's streaming server speaks v4, whose Status on channel 3 older protocols do not carry.
    if (this.kubelet.runtimeFor(exec.pod) && !offered.some((p) => p === 'v5.channel.k8s.io' || p === 'v4.channel.k8s.io')) {
      throw badRequest(
        `requested protocol(s) are not supported by the container runtime: [${offered.join(' ')}]; supported protocols are [v5.channel.k8s.io v4.channel.k8s.io]`,
      );
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.run(ws, exec));
  }

  /**
   * Drops every open exec connection without a status, as a proxy or a dying API server does (the
   * socket is destroyed: no close frame); the processes go on, their stdin ends. Returns how many.
   */
  dropAll(): number {
    const n = this.wss.clients.size;
    for (const ws of this.wss.clients) ws.terminate();
    return n;
  }

  /** Closes every exec connection (the processes themselves belong to the kubelet). */
  closeAll(): void {
    for (const ws of this.wss.clients) ws.terminate();
    this.wss.close();
  }

  private validate(target: ResourceTarget, query: URLSearchParams): ExecRequest {
    const name = target.name ?? '';
    const pod = this.store.get('pods', target.namespace, name) as Pod | undefined;
    if (!pod) throw notFound('pods', name);
    const phase = pod.status?.phase ?? 'Pending';
    if (phase === 'Succeeded' || phase === 'Failed') {
      throw badRequest(`cannot exec into a container in a completed pod; current phase is ${phase}`);
    }
    if (!pod.spec?.nodeName) throw badRequest(`pod ${name} does not have a host assigned`);

    const spec = pod.spec;
    const names = [...(spec.containers ?? []), ...(spec.initContainers ?? []), ...(spec.ephemeralContainers ?? [])].map((c) => c.name);
    let container = query.get('container') ?? '';
    if (container === '') {
      const regular = (spec.containers ?? []).map((c) => c.name);
      if (regular.length > 1) throw badRequest(`a container name must be specified for pod ${name}, choose one of: [${regular.join(' ')}]`);
      container = regular[0] ?? '';
    } else if (names.length > 0 && !names.includes(container)) {
      throw badRequest(`container ${container} is not valid for pod ${name}`);
    }

    const exec: ExecRequest = {
      pod,
      container,
      command: query.getAll('command'),
      stdin: flag(query, 'stdin'),
      stdout: flag(query, 'stdout'),
      stderr: flag(query, 'stderr'),
      tty: flag(query, 'tty'),
    };
    if (!exec.stdin && !exec.stdout && !exec.stderr) throw badRequest('you must specify at least one of stdin, stdout or stderr');
    if (exec.command.length === 0) throw badRequest('you must specify at least one command for the container');

    const statuses: ContainerStatus[] = [
      ...(pod.status?.containerStatuses ?? []),
      ...(pod.status?.initContainerStatuses ?? []),
      ...(pod.status?.ephemeralContainerStatuses ?? []),
    ];
    const status = statuses.find((s) => s.name === container);
    // Pods added by tests may come without container statuses: then a Running pod is good enough.
    const running = phase === 'Running' && (status ? !status.state || !!status.state.running : statuses.length === 0);
    if (!running) throw badRequest(`container not found ("${container}")`);
    return exec;
  }

  private run(ws: WebSocket, exec: ExecRequest): void {
    const version = versionOf(ws.protocol);
    const send = (channel: number, data: Buffer): void => {
      if (ws.readyState === WebSocket.OPEN) ws.send(Buffer.concat([Buffer.from([channel]), data]));
    };
    const sim = this.kubelet.simulationFor(exec.pod);
    if (sim) return this.runSimulated(ws, exec, sim, version, send);
    const runtime = this.kubelet.runtimeFor(exec.pod);
    if (runtime) {
      const streams = { tty: exec.tty, stdin: exec.stdin, stdout: exec.stdout, stderr: exec.stderr };
      return relayExec(ws, runtime.execUrl(exec.pod, exec.container, exec.command, streams));
    }
    const proc = this.kubelet.exec(exec.pod, exec.container, exec.command, { stdin: exec.stdin });
    const { child } = proc;

    // The API server writes an empty frame on the first output channel to tell the client it is connected.
    send(exec.stdout ? STDOUT : exec.stderr ? STDERR : ERROR, Buffer.alloc(0));

    // Output keeps being read after the client is gone, so that the process never blocks on a full pipe.
    child.stdout?.on('data', (chunk: Buffer) => {
      if (exec.stdout) send(STDOUT, chunk);
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      // A TTY has one output stream: stderr arrives on stdout, as from a real terminal.
      if (exec.tty ? exec.stdout : exec.stderr) send(exec.tty ? STDOUT : STDERR, chunk);
    });
    child.stdin?.on('error', () => {}); // EPIPE when the command does not read its stdin: not our concern

    let spawnError: NodeJS.ErrnoException | undefined;
    child.once('error', (err: NodeJS.ErrnoException) => {
      if (proc.pid === undefined) spawnError = err;
    });
    // 'close' comes after the process exited AND its stdout/stderr were drained: nothing is left to forward.
    child.once('close', (code: number | null, signal: NodeJS.Signals | null) => {
      let outcome: Outcome;
      if (spawnError) {
        const file = exec.command[0] ?? '';
        const why = spawnError.code === 'ENOENT' ? 'executable file not found in $PATH' : spawnError.message;
        outcome = {
          kind: 'error',
          message: `OCI runtime exec failed: exec failed: unable to start container process: exec: "${file}": ${why}: unknown`,
        };
      } else {
        // Killed by a signal is reported as a shell would: 128 + the signal number (137 for SIGKILL).
        const exitCode = signal ? 128 + (constants.signals[signal] ?? 0) : (code ?? 0);
        outcome = exitCode === 0 ? { kind: 'success' } : { kind: 'exit', code: exitCode, command: exec.command };
      }
      const payload = errorChannelPayload(version, outcome);
      if (payload !== undefined) send(ERROR, Buffer.from(payload));
      if (ws.readyState === WebSocket.OPEN) ws.close(1000);
    });

    onStdin(ws, exec, version, {
      stdin: (chunk) => child.stdin?.write(chunk),
      // The exec connection ending is EOF on stdin; the process itself keeps running, as on a real node.
      stdinEnd: () => child.stdin?.end(),
    });
  }

  /** An exec into a pod of a simulated node: answered by the simulation, framed as for a process. */
  private runSimulated(
    ws: WebSocket,
    exec: ExecRequest,
    sim: NodeSimulation,
    version: number,
    send: (channel: number, data: Buffer) => void,
  ): void {
    send(exec.stdout ? STDOUT : exec.stderr ? STDERR : ERROR, Buffer.alloc(0));
    let ended = false;
    let handle: SimulatedExec = {};
    onStdin(ws, exec, version, { stdin: (chunk) => handle.stdin?.(chunk), stdinEnd: () => handle.stdinEnd?.() });
    handle = sim.exec(
      { podUid: exec.pod.metadata.uid ?? '', command: exec.command, stdin: exec.stdin },
      {
        stdout: (chunk) => {
          if (exec.stdout) send(STDOUT, chunk);
        },
        // ws's own queue plus the socket's: what the client has not taken yet (the kernel's buffers aside).
        backlog: () => ws.bufferedAmount,
        connected: () => ws.readyState === WebSocket.OPEN,
        exit: (code) => {
          if (ended) return;
          ended = true;
          const payload = errorChannelPayload(version, code === 0 ? { kind: 'success' } : { kind: 'exit', code, command: exec.command });
          if (payload !== undefined) send(ERROR, Buffer.from(payload));
          if (ws.readyState === WebSocket.OPEN) ws.close(1000);
        },
      },
    );
  }
}

/** Stdin frames (channel 0) and its end: a v5 close of channel 0, or the connection closing. */
function onStdin(ws: WebSocket, exec: ExecRequest, version: number, to: Required<SimulatedExec>): void {
  ws.on('message', (data: RawData, isBinary: boolean) => {
    const buf = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
    if (!isBinary || buf.length === 0) return;
    const channel = buf[0];
    if (channel === STDIN && exec.stdin) {
      to.stdin(buf.subarray(1));
    } else if (channel === CLOSE && version >= 5 && buf[1] === STDIN) {
      to.stdinEnd(); // v5: the client closed its stdin
    }
    // Channel 4 (resize) needs a terminal; without one there is nothing to resize.
  });
  ws.on('close', () => to.stdinEnd());
  ws.on('error', () => {});
}
