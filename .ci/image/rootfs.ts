/**
 * One architecture's root file system as a reproducible tar: mmdebstrap installs Debian's packages
 * (running their maintainer scripts; a foreign architecture's under qemu-user through
 * binfmt_misc), the build machine's traces are pruned, and GNU tar writes the tree with sorted
 * entries, time stamps clamped to the epoch and no atime/ctime. Same packages and epoch → same
 * bytes (test/image/debug-image.test.ts checks it). Then the tar's gzip: the image's one layer.
 */
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  closeSync,
  createReadStream,
  createWriteStream,
  existsSync,
  lstatSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { MEDIA, type Layer } from './oci.ts';
import { ARCHES, CONTRACT, DPKG_OPTIONS, INCLUDE, PATH, PRUNE, SUITE, type Arch } from './packages.ts';

/**
 * The apt sources this machine is configured with (one-line and deb822 files), for mmdebstrap:
 * the image comes from the same mirror (or snapshot) as the machine's own packages.
 */
export function aptSources(): string[] {
  const files: string[] = [];
  if (existsSync('/etc/apt/sources.list') && /^\s*deb\s/m.test(readFileSync('/etc/apt/sources.list', 'utf8')))
    files.push('/etc/apt/sources.list');
  const dir = '/etc/apt/sources.list.d';
  if (existsSync(dir)) for (const f of readdirSync(dir).sort()) if (/\.(list|sources)$/.test(f)) files.push(join(dir, f));
  if (files.length === 0)
    throw new Error(
      'no apt sources on this machine (/etc/apt/sources.list, /etc/apt/sources.list.d/*.sources): the image is built from them',
    );
  return files;
}

/**
 * Lets this kernel run `arch`'s binaries through qemu-user (package qemu-user-static): mounts
 * binfmt_misc and registers Debian's entry for it, as systemd-binfmt would at boot. The F flag
 * opens the interpreter now, so it works inside the chroot too. Machine-wide, and left in place.
 */
export function enableForeign(arch: Arch): void {
  const qemu = ARCHES[arch].qemu;
  if (!qemu || hostArch() === arch) return;
  const dir = '/proc/sys/fs/binfmt_misc';
  if (!existsSync(join(dir, 'register'))) execFileSync('mount', ['-t', 'binfmt_misc', 'binfmt_misc', dir]);
  if (existsSync(join(dir, `qemu-${qemu}`))) return;
  const conf = `/usr/lib/binfmt.d/qemu-${qemu}.conf`;
  if (!existsSync(conf))
    throw new Error(`${arch}: ${conf} is missing: apt-get install qemu-user-static (the ${arch} packages' scripts run under qemu-user)`);
  writeFileSync(join(dir, 'register'), readFileSync(conf, 'utf8').trim());
}

export const hostArch = (): string => execFileSync('dpkg', ['--print-architecture'], { encoding: 'utf8' }).trim();

/** mmdebstrap's argv: the Essential set plus INCLUDE, into `dir`, for `arch`. */
export function mmdebstrapArgs(arch: Arch, dir: string, sources: readonly string[]): string[] {
  return [
    '--mode=root',
    '--variant=essential',
    `--arch=${arch}`,
    `--include=${INCLUDE.join(',')}`,
    '--hook-dir=/usr/share/mmdebstrap/hooks/merged-usr',
    '--format=directory',
    ...DPKG_OPTIONS.map((o) => `--dpkgopt=${o}`),
    SUITE,
    dir,
    ...sources,
  ];
}

/** GNU tar's argv for a reproducible tar of `dir` (entries without a leading `./`, as in docker's layers). */
export function tarArgs(dir: string, out: string, epoch: number): string[] {
  const top = readdirSync(dir).sort();
  return [
    '--create',
    `--file=${out}`,
    `--directory=${dir}`,
    '--sort=name',
    '--format=pax',
    '--pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime',
    '--numeric-owner',
    `--mtime=@${epoch}`,
    '--clamp-mtime',
    '--one-file-system',
    '--',
    ...top,
  ];
}

/** Every contract command that `dir` has nowhere on PATH (symlinks resolved inside `dir`). */
export function missingCommands(dir: string): string[] {
  const has = (cmd: string): boolean => PATH.split(':').some((p) => existsSync(join(dir, p, cmd)) || isLinkInside(dir, join(p, cmd)));
  return CONTRACT.filter((c) => !has(c));
}

/** An absolute symlink (alternatives, merged /usr) resolves against the host: follow it inside `dir`. */
function isLinkInside(dir: string, path: string): boolean {
  try {
    let p = path;
    for (let i = 0; i < 10; i++) {
      const target = execFileSync('readlink', [join(dir, p)], { encoding: 'utf8' }).trim();
      p = target.startsWith('/') ? target : join(p, '..', target);
      if (existsSync(join(dir, p)) && !isSymlink(join(dir, p))) return true;
    }
  } catch {
    return false;
  }
  return false;
}

function isSymlink(p: string): boolean {
  try {
    execFileSync('test', ['-L', p]);
    return true;
  } catch {
    return false;
  }
}

/**
 * What dpkg's path-excludes leave of the docs beside the copyright files: empty directories
 * (`examples/`) and links to excluded files. A package's doc directory that is itself a link
 * (libstdc++6 → gcc-12-base) stays: it is how that package points at its copyright.
 */
function pruneDocs(docs: string): void {
  if (!existsSync(docs)) return;
  for (const pkg of readdirSync(docs)) {
    const d = join(docs, pkg);
    if (lstatSync(d).isSymbolicLink()) continue;
    for (const f of readdirSync(d)) if (f !== 'copyright') rmSync(join(d, f), { recursive: true, force: true });
  }
}

/** `Package Version Architecture` lines of what dpkg installed in `dir`, sorted. */
export function installedPackages(dir: string): string {
  const out = execFileSync(
    'dpkg-query',
    [`--admindir=${join(dir, 'var/lib/dpkg')}`, '-W', '-f', '${Package} ${Version} ${Architecture}\\n'],
    { encoding: 'utf8' },
  );
  return out.split('\n').filter(Boolean).sort().join('\n') + '\n';
}

export interface Rootfs {
  /** The reproducible tar of the tree. */
  tar: string;
  /** installedPackages() of it: the package snapshot the image was built from. */
  packages: string;
}

/**
 * Builds `arch`'s tree in `work`/rootfs and writes `work`/rootfs.tar. mmdebstrap's log goes to
 * `work`/mmdebstrap.log (its tail is in the error when it fails). Needs root.
 */
export async function buildRootfs(arch: Arch, work: string, epoch: number, sources: readonly string[] = aptSources()): Promise<Rootfs> {
  enableForeign(arch);
  const dir = join(work, 'rootfs');
  rmSync(dir, { recursive: true, force: true });
  const log = join(work, 'mmdebstrap.log');
  const code = await new Promise<number | null>((resolve, reject) => {
    const fd = openSync(log, 'w');
    const child = spawn('mmdebstrap', mmdebstrapArgs(arch, dir, sources), {
      stdio: ['ignore', fd, fd],
      env: { ...process.env, SOURCE_DATE_EPOCH: String(epoch), DEBIAN_FRONTEND: 'noninteractive' },
    });
    closeSync(fd);
    child.on('error', (e) => reject(new Error(`mmdebstrap: ${e.message} (apt-get install mmdebstrap)`)));
    child.on('close', resolve);
  });
  if (code !== 0) {
    const tail = readFileSync(log, 'utf8').trimEnd().split('\n').slice(-15).join('\n');
    throw new Error(`mmdebstrap for ${arch} failed (exit ${code}); the end of ${log}:\n${tail}`);
  }
  for (const p of PRUNE) rmSync(join(dir, p), { recursive: true, force: true });
  pruneDocs(join(dir, 'usr/share/doc'));
  // The runtime mounts its own /dev; device nodes in a layer only fail where mknod is not allowed.
  for (const f of readdirSync(join(dir, 'dev'))) rmSync(join(dir, 'dev', f), { recursive: true, force: true });
  const missing = missingCommands(dir);
  if (missing.length > 0)
    throw new Error(
      `the ${arch} image lacks ${missing.join(', ')} of the image contract: add their packages to INCLUDE in .ci/image/packages.ts`,
    );
  const packages = installedPackages(dir);
  const tar = join(work, 'rootfs.tar');
  execFileSync('tar', tarArgs(dir, tar, epoch));
  rmSync(dir, { recursive: true, force: true });
  return { tar, packages };
}

/** gzip of `tar` into `out` (no name, no time stamp: zlib's header is fixed), with both digests. */
export async function gzipLayer(tar: string, out: string): Promise<Layer> {
  const raw = createHash('sha256');
  const packed = createHash('sha256');
  let size = 0;
  const tap = (h: ReturnType<typeof createHash>, count: boolean): Transform =>
    new Transform({
      transform(chunk: Buffer, _enc, done) {
        h.update(chunk);
        if (count) size += chunk.length;
        done(null, chunk);
      },
    });
  await pipeline(createReadStream(tar), tap(raw, false), createGzip({ level: 6 }), tap(packed, true), createWriteStream(out));
  return {
    diffId: `sha256:${raw.digest('hex')}`,
    blob: { mediaType: MEDIA.layer, digest: `sha256:${packed.digest('hex')}`, size },
    file: out,
  };
}
