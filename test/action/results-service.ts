/**
 * A stand-in for GitHub's results service as @actions/artifact (v2 artifacts) talks to it, on
 * 127.0.0.1: the twirp JSON calls CreateArtifact and FinalizeArtifact
 * (/twirp/github.actions.results.api.v1.ArtifactService/…, with the runtime token as bearer), and
 * the Azure blob upload to the signed URL CreateArtifact returns (Put Block per chunk, then Put Block
 * List). It keeps what was uploaded so a test can read the artifact's bytes.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Artifact {
  name: string;
  workflowRunBackendId: string;
  workflowJobRunBackendId: string;
  /** The committed blob (the blocks in block-list order). */
  bytes: Buffer | null;
  /** What FinalizeArtifact said: size and `sha256:<hex>`. */
  finalized: { size: string; hash?: string } | null;
  id: number;
}

export interface ResultsService {
  url: string;
  /** An ACTIONS_RUNTIME_TOKEN the library accepts: a JWT whose scp names the run and job backend ids. */
  token: string;
  artifacts: Artifact[];
  close(): Promise<void>;
}

const SERVICE = '/twirp/github.actions.results.api.v1.ArtifactService/';
const RUN = 'c0ffee00-0000-4000-8000-000000000001';
const JOB = 'c0ffee00-0000-4000-8000-000000000002';

function body(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

const b64url = (o: object): string => Buffer.from(JSON.stringify(o)).toString('base64url');

export async function startResultsService(): Promise<ResultsService> {
  const token = `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url({ scp: `Actions.GenericRead Actions.Results:${RUN}:${JOB}` })}.sig`;
  const artifacts: Artifact[] = [];
  const blocks = new Map<string, Map<string, Buffer>>(); // blob path → block id → bytes
  let url = '';

  const server: Server = createServer((req, res) => {
    void (async () => {
      const data = await body(req);
      const u = new URL(req.url ?? '/', url);
      const json = (status: number, o: object): void => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(o));
      };
      if (req.method === 'POST' && u.pathname.startsWith(SERVICE)) {
        if (req.headers.authorization !== `Bearer ${token}`) return json(401, { code: 'unauthenticated', msg: 'bad token' });
        const call = JSON.parse(data.toString('utf8')) as Record<string, string>;
        const method = u.pathname.slice(SERVICE.length);
        if (call.workflow_run_backend_id !== RUN || call.workflow_job_run_backend_id !== JOB)
          return json(400, { code: 'invalid_argument', msg: 'backend ids' });
        if (method === 'CreateArtifact') {
          if (artifacts.some((a) => a.name === call.name))
            return json(409, { code: 'already_exists', msg: `an artifact named ${call.name} exists` });
          const a: Artifact = {
            name: call.name!,
            workflowRunBackendId: RUN,
            workflowJobRunBackendId: JOB,
            bytes: null,
            finalized: null,
            id: artifacts.length + 1,
          };
          artifacts.push(a);
          // Path style (account in the path), as Azure's SDK expects for an IP host.
          return json(200, {
            ok: true,
            signed_upload_url: `${url}/devstoreaccount1/actions-results/${a.id}/${encodeURIComponent(a.name)}.zip?sig=test-signature`,
          });
        }
        if (method === 'FinalizeArtifact') {
          const a = artifacts.find((x) => x.name === call.name);
          if (!a?.bytes) return json(404, { code: 'not_found', msg: `no uploaded artifact ${call.name}` });
          a.finalized = { size: String(call.size), hash: (call as { hash?: string }).hash };
          return json(200, { ok: true, artifact_id: String(a.id) });
        }
        return json(404, { code: 'bad_route', msg: `no method ${method}` });
      }
      const blob = /^\/devstoreaccount1\/actions-results\/(\d+)\//.exec(u.pathname);
      if (req.method === 'PUT' && blob) {
        if (u.searchParams.get('sig') !== 'test-signature') return json(403, { msg: 'signature' });
        const a = artifacts[Number(blob[1]) - 1];
        if (!a) return json(404, { msg: 'no such blob' });
        const staged = blocks.get(u.pathname) ?? new Map<string, Buffer>();
        blocks.set(u.pathname, staged);
        const comp = u.searchParams.get('comp');
        if (comp === 'block') {
          staged.set(u.searchParams.get('blockid')!, data);
        } else if (comp === 'blocklist') {
          // <BlockList><Latest>id</Latest>…</BlockList>
          const ids = [...data.toString('utf8').matchAll(/<(?:Latest|Uncommitted|Committed)>([^<]*)<\//g)].map((m) => m[1]!);
          const missing = ids.filter((id) => !staged.has(id));
          if (missing.length > 0) return json(400, { msg: `blocks not staged: ${missing.join(', ')}` });
          a.bytes = Buffer.concat(ids.map((id) => staged.get(id)!));
        } else if (comp === null) {
          a.bytes = data; // Put Blob in one request
        } else {
          return json(400, { msg: `comp=${comp} not served` });
        }
        res.writeHead(201, { 'x-ms-request-id': `${Date.now()}`, 'x-ms-version': '2025-01-05', etag: '"0x1"' });
        return res.end();
      }
      json(404, { msg: `${req.method} ${u.pathname} not served` });
    })().catch((e: unknown) => {
      res.writeHead(500);
      res.end(String(e));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    token,
    artifacts,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
