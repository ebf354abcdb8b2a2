/**
 * Builds the debug image for some architectures into one OCI archive, keeping each architecture's
 * rootfs tar and gzip layer in a cache keyed by everything that decides their bytes: the package
 * list and builder (this folder's sources), the apt sources, the epoch. A cached architecture
 * costs only the archive's assembly (seconds); a missing one runs mmdebstrap (about a minute for
 * amd64, several for arm64 under qemu-user). Used by `npm run image` (build.ts) and the tests
 * (test/support/debug-image.ts).
 */
import { createHash } from 'node:crypto';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { image, layout, writeArchive, type Image, type Layer } from './oci.ts';
import { aptSources, buildRootfs, gzipLayer } from './rootfs.ts';
import { removeTree } from './tree.ts';
import { DEFAULT_EPOCH, INCLUDE, SUITE, type Arch } from './packages.ts';

const HERE = fileURLToPath(new URL('.', import.meta.url));
/**
 * The files whose text decides a layer's bytes: a change to any of them is a new cache key. The
 * config, manifest and index (oci.ts) are made anew from the layers at every build.
 */
const BUILDER_FILES = ['packages.ts', 'rootfs.ts'];
/** The layout of a cache entry (layer.json's fields, file names): bump on a change. */
const CACHE_FORMAT = 1;

export const DEFAULT_REPOSITORY = 'localhost/trace-exec-bpftrace';

/**
 * Where layers are kept between builds, by `npm run image` and the tests alike, so that a machine
 * builds each package list once: TRACE_EXEC_IMAGE_CACHE, else /var/cache/trace-exec-test-image.
 */
export const defaultCache = (env: NodeJS.ProcessEnv = process.env): string =>
  env.TRACE_EXEC_IMAGE_CACHE || '/var/cache/trace-exec-test-image';

export interface BuildOptions {
  arches: readonly Arch[];
  /** The archive to write. */
  out: string;
  /** Where layers are kept between builds; each build under a fresh temporary directory when null. */
  cache: string | null;
  /**
   * The name containerd imports it as: `REPOSITORY:TAG`, or `REPOSITORY` alone and the tag is
   * `bpftrace-VERSION-DIGEST` (the top manifest's or index's digest). Default DEFAULT_REPOSITORY.
   */
  name?: string;
  epoch?: number;
  /** Progress lines (stderr in build.ts). */
  log?: (msg: string) => void;
}

export interface BuiltImage {
  arch: Arch;
  manifest: string;
  layer: Layer;
  /** Bytes of the uncompressed rootfs tar. */
  rootfsBytes: number;
  /** `Package Version Architecture` lines: the package snapshot of this image. */
  packages: string;
  /** Where this architecture's rootfs tar is (in the cache, or the temporary work directory). */
  rootfs: string;
  /** Taken from the cache. */
  cached: boolean;
}

export interface Built {
  archive: string;
  /** The full reference the archive names (containerd imports it under this name). */
  name: string;
  /** The digest of index.json's single entry: the image index, or the one manifest. */
  digest: string;
  images: BuiltImage[];
  key: string;
}

/** SOURCE_DATE_EPOCH when set (whole seconds since 1970), else DEFAULT_EPOCH. */
export function epochFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.SOURCE_DATE_EPOCH;
  if (raw === undefined || raw === '') return DEFAULT_EPOCH;
  if (!/^\d+$/.test(raw))
    throw new Error(`SOURCE_DATE_EPOCH=${raw}: give whole seconds since 1970 (date +%s), or unset it for the default ${DEFAULT_EPOCH}`);
  return Number(raw);
}

/**
 * The cache key (16 hex digits): the builder's sources, the apt sources' text, the epoch, and
 * Node's zlib (the gzip layer's bytes are zlib's; the rootfs tar's are not).
 */
export function cacheKey(epoch: number, sources: readonly string[] = aptSources()): string {
  const h = createHash('sha256');
  for (const f of BUILDER_FILES) h.update(`${f}\0${readFileSync(join(HERE, f), 'utf8')}\0`);
  for (const f of sources) h.update(`${f}\0${readFileSync(f, 'utf8')}\0`);
  h.update(`epoch ${epoch}\0format ${CACHE_FORMAT}\0zlib ${process.versions.zlib}`);
  return h.digest('hex').slice(0, 16);
}

interface CachedLayer {
  layer: Layer;
  rootfsBytes: number;
}

/**
 * One architecture's layer in `dir` (rootfs.tar, layer.tar.gz, layer.json, packages.txt), built
 * when missing. Builders of the same key wait for each other (a lock file with the builder's pid;
 * a dead builder's lock is taken over), and a layer appears only complete (built aside, renamed).
 */
async function layerIn(dir: string, arch: Arch, epoch: number, log: (m: string) => void): Promise<{ cached: boolean } & CachedLayer> {
  const meta = join(dir, 'layer.json');
  const read = (): CachedLayer => {
    const m = JSON.parse(readFileSync(meta, 'utf8')) as CachedLayer;
    return { ...m, layer: { ...m.layer, file: join(dir, 'layer.tar.gz') } };
  };
  if (existsSync(meta)) return { cached: true, ...read() };
  mkdirSync(dirname(dir), { recursive: true });
  const unlock = await lock(`${dir}.lock`, log);
  try {
    if (existsSync(meta)) return { cached: true, ...read() };
    removeStale(dir);
    const work = `${dir}.tmp-${process.pid}`;
    removeTree(work);
    mkdirSync(work, { recursive: true });
    const t = Date.now();
    log(`${arch}: mmdebstrap ${SUITE} (Essential + ${INCLUDE.join(', ')}) …`);
    const rootfs = await buildRootfs(arch, work, epoch);
    const layer = await gzipLayer(rootfs.tar, join(work, 'layer.tar.gz'));
    const rootfsBytes = statSync(rootfs.tar).size;
    writeFileSync(join(work, 'packages.txt'), rootfs.packages);
    writeFileSync(
      join(work, 'layer.json'),
      JSON.stringify({ layer: { ...layer, file: 'layer.tar.gz' }, rootfsBytes, seconds: (Date.now() - t) / 1000 }, null, 2),
    );
    removeTree(dir);
    renameSync(work, dir);
    log(`${arch}: built in ${((Date.now() - t) / 1000).toFixed(0)} s`);
    return { cached: false, ...read() };
  } finally {
    unlock();
  }
}

/** Work directories of builders that died (their pid is gone): `DIR.tmp-PID` beside `dir`. */
function removeStale(dir: string): void {
  const base = basename(dir);
  for (const f of readdirSync(dirname(dir))) {
    const m = new RegExp(`^${base}\\.tmp-(\\d+)$`).exec(f);
    if (m && !alive(Number(m[1]))) removeTree(join(dirname(dir), f));
  }
}

async function lock(file: string, log: (m: string) => void): Promise<() => void> {
  for (let said = false; ; ) {
    try {
      const fd = openSync(file, 'wx');
      writeFileSync(fd, String(process.pid));
      closeSync(fd);
      return () => rmSync(file, { force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const pid = Number(readFileSync(file, 'utf8').trim());
    if (!alive(pid)) {
      rmSync(file, { force: true });
      continue;
    }
    if (!said) log(`waiting for process ${pid}, which builds the same layer (${file})`);
    said = true;
    await new Promise((r) => setTimeout(r, 2000));
  }
}

function alive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A tag from the package snapshot and the content: `bpftrace-0.17.0-1-0123456789ab`. */
export function tagFor(packages: string, digest: string): string {
  const version = /^bpftrace (\S+) /m.exec(packages)?.[1] ?? 'unknown';
  return `bpftrace-${version.replace(/[^\w.-]/g, '_')}-${digest.slice('sha256:'.length, 'sha256:'.length + 12)}`;
}

/**
 * `name` as given when it has a tag (a colon after its last slash; `host:port/repo` has none), else
 * with `tag`. A digest cannot name an archive's image: refused.
 */
export function withTag(name: string, tag: string): string {
  if (name.includes('@')) throw new Error(`--name ${name}: give REPOSITORY or REPOSITORY:TAG, not a digest (the digest is the build's)`);
  return name.slice(name.lastIndexOf('/') + 1).includes(':') ? name : `${name}:${tag}`;
}

export async function buildImage(opts: BuildOptions): Promise<Built> {
  const log = opts.log ?? (() => {});
  const epoch = opts.epoch ?? epochFromEnv();
  const key = cacheKey(epoch);
  const temp = opts.cache === null ? `${opts.out}.work-${process.pid}` : null;
  const root = temp ?? join(opts.cache!, key);
  try {
    const images: BuiltImage[] = [];
    const oci: Image[] = [];
    for (const arch of opts.arches) {
      const dir = join(root, arch);
      const l = await layerIn(dir, arch, epoch, log);
      const packages = readFileSync(join(dir, 'packages.txt'), 'utf8');
      const version = /^bpftrace (\S+) /m.exec(packages)?.[1] ?? 'unknown';
      const i = image(
        arch,
        l.layer,
        epoch,
        `bpftrace ${version} and the commands of trace-exec's debug image contract, from Debian ${SUITE} packages`,
        `mmdebstrap --variant=essential --include=${INCLUDE.join(',')} ${SUITE} (trace-exec .ci/image)`,
      );
      oci.push(i);
      images.push({
        arch,
        manifest: i.manifest.descriptor.digest,
        layer: l.layer,
        rootfsBytes: l.rootfsBytes,
        packages,
        rootfs: join(dir, 'rootfs.tar'),
        cached: l.cached,
      });
      if (l.cached) log(`${arch}: layer from the cache (${dir})`);
    }
    // The tag names the content, so it is computed from the unnamed layout first.
    const [first] = images;
    if (!first || !oci[0]) throw new Error('no architecture to build: give --arch');
    const unnamed = layout(oci, `${DEFAULT_REPOSITORY}:x`);
    const digest = (unnamed.index ?? oci[0].manifest).descriptor.digest;
    const name = withTag(opts.name ?? DEFAULT_REPOSITORY, tagFor(first.packages, digest));
    const { top, index } = layout(oci, name);
    mkdirSync(dirname(opts.out), { recursive: true });
    writeArchive(opts.out, oci, top, index, epoch, `${opts.out}.stage-${process.pid}`);
    return { archive: opts.out, name, digest, images, key };
  } finally {
    if (temp) removeTree(temp);
  }
}
