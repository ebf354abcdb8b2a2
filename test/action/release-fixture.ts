/**
 * The release a runner downloads, served from 127.0.0.1: `npm run release`'s build for linux-amd64
 * only (the runner platform of these tests; the other platforms are slow to build and tested in
 * test/release/), kept in release/cache/action-test/<hash of what goes into it> so that a rerun on
 * unchanged sources does not rebuild. Also a copy of it whose SHA256SUMS is wrong for the archive.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, relative } from 'node:path';
import { run } from '../release/support.js';

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)]));
}

/** What the release build reads: the sources (not their tests), bpf/, the builder, the package files. */
function sourcesHash(root: string): string {
  const files = [
    ...filesUnder(join(root, 'src')).filter((f) => !/\.test(-helpers)?\.ts$/.test(f)),
    ...filesUnder(join(root, 'bpf')),
    ...filesUnder(join(root, '.ci/release')),
  ]
    .concat(['package.json', 'package-lock.json', 'plugin.yaml', 'LICENSE'].map((f) => join(root, f)))
    .sort();
  const h = createHash('sha256');
  for (const f of files) h.update(relative(root, f)).update('\0').update(readFileSync(f)).update('\0');
  return h.digest('hex').slice(0, 16);
}

export interface ReleaseFixture {
  dir: string;
  version: string;
  archive: string;
  /** Whether this run built it (false: taken from the cache). */
  built: boolean;
}

export async function linuxRelease(root: string): Promise<ReleaseFixture> {
  const version = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;
  const archive = `trace-exec_v${version}_linux_${process.arch === 'arm64' ? 'arm64' : 'amd64'}.tar.gz`;
  const cache = join(root, 'release/cache/action-test');
  const dir = join(cache, sourcesHash(root));
  if (existsSync(join(dir, 'SHA256SUMS'))) return { dir, version, archive, built: false };
  const work = `${dir}.tmp-${process.pid}`;
  rmSync(work, { recursive: true, force: true });
  const target = process.arch === 'arm64' ? 'linux-arm64' : 'linux-amd64';
  mkdirSync(cache, { recursive: true });
  const r = await run(
    process.execPath,
    [join(root, '.ci/release/build.ts'), '--out', work, '--targets', target, '--cache', join(root, 'release/cache')],
    { timeoutMs: 240_000 },
  );
  if (r.code !== 0) throw new Error(`release build failed (${r.code}):\n${r.stderr}`);
  // Older builds go; other processes' builds in progress stay.
  for (const old of readdirSync(cache)) if (!old.includes('.tmp-')) rmSync(join(cache, old), { recursive: true, force: true });
  // Only what a GitHub release holds: the archive and SHA256SUMS.
  rmSync(join(work, 'dist'), { recursive: true, force: true });
  renameSync(work, dir);
  return { dir, version, archive, built: true };
}

export interface ReleaseServer {
  /** The release as published. */
  url: string;
  /** The same archive, with a SHA256SUMS that gives another sum for it. */
  tamperedUrl: string;
  requests: string[];
  close(): Promise<void>;
}

export async function serveRelease(rel: ReleaseFixture): Promise<ReleaseServer> {
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    requests.push(path);
    const m = /^\/(published|tampered)\/([^/]+)$/.exec(path);
    const file = m ? join(rel.dir, m[2]!) : '';
    if (!m || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404);
      return res.end('Not Found');
    }
    let body = readFileSync(file);
    if (m[1] === 'tampered' && m[2] === 'SHA256SUMS') {
      // One hex digit of the archive's sum changed.
      body = Buffer.from(body.toString('utf8').replace(/^([0-9a-f])/gm, (d) => (d === '0' ? '1' : '0')));
    }
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': body.length });
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: `${base}/published`,
    tamperedUrl: `${base}/tampered`,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
