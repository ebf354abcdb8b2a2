/**
 * pods/exec into a pod of a CRI node: the kubelet's part. CRI Exec gives a URL on the runtime's
 * streaming server (containerd's speaks WebSocket with `v4.channel.k8s.io` only, and answers 403
 * to v5); the client's connection is relayed to it frame for frame in both directions, the status
 * on channel 3 included, and each side's close closes the other.
 *
 * v5 to the client: v5 differs from v4 only by the close frame (channel 255), with which a client
 * says its stdin has ended. v4 has no way to say that on an open connection, so the frame is not
 * forwarded: the process's stdin ends when the client's connection does (the runtime then closes
 * it at once). trace-exec never relies on a stdin close (README: `head -c N` reads the program).
 */
import { WebSocket, type RawData } from 'ws';

const ERROR = 3;
const CLOSE = 255;
export const RUNTIME_PROTOCOL = 'v4.channel.k8s.io';

const toBuffer = (data: RawData): Buffer => (Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data));

/** What the kubelet answers on channel 3 when the runtime cannot run the exec at all. */
function internalError(message: string): Buffer {
  const cause = `error executing command in container: ${message}`;
  const status = {
    metadata: {},
    status: 'Failure',
    message: `Internal error occurred: ${cause}`,
    reason: 'InternalError',
    details: { causes: [{ message: cause }] },
    code: 500,
  };
  return Buffer.concat([Buffer.from([ERROR]), Buffer.from(JSON.stringify(status))]);
}

/**
 * Relays `client` (already upgraded, v4 or v5) to the exec `url` resolves to. `url` rejects with
 * the runtime's error when CRI Exec fails: the client gets it as an InternalError status.
 */
export function relayExec(client: WebSocket, url: Promise<string>): void {
  const pending: Buffer[] = [];
  let upstream: WebSocket | undefined;
  let clientClosed = false;
  client.on('message', (data: RawData, isBinary: boolean) => {
    const buf = toBuffer(data);
    if (!isBinary || buf.length === 0) return;
    if (buf[0] === CLOSE) return; // v5's stdin close: v4 cannot carry it (see above)
    if (upstream?.readyState === WebSocket.OPEN) upstream.send(buf);
    else pending.push(buf);
  });
  client.on('error', () => {});
  client.on('close', () => {
    clientClosed = true;
    // The kubelet's proxy closes its side: the runtime ends the process's stdin.
    upstream?.terminate();
  });
  url.then(
    (u) => {
      if (clientClosed) return;
      const up = new WebSocket(u, [RUNTIME_PROTOCOL], { perMessageDeflate: false });
      upstream = up;
      up.on('open', () => {
        for (const b of pending.splice(0)) up.send(b);
      });
      up.on('message', (data: RawData) => {
        if (client.readyState === WebSocket.OPEN) client.send(toBuffer(data));
      });
      up.on('unexpected-response', (_req, res) => {
        finish(internalError(`the runtime's streaming server answered ${res.statusCode} ${res.statusMessage ?? ''}`.trim()));
      });
      up.on('error', (err) => finish(internalError(err.message)));
      up.on('close', () => finish());
    },
    (err: Error) => finish(internalError((err as { details?: string }).details ?? err.message)),
  );
  function finish(last?: Buffer): void {
    if (client.readyState !== WebSocket.OPEN) return;
    if (last) client.send(last);
    client.close(1000);
  }
}
