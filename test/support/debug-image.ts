/**
 * The project's debug image for tests (`npm run image`'s build, .ci/image): an OCI archive to
 * import into containerd (`ctr -n k8s.io images import ARCHIVE`), built at most once per machine
 * per package list.
 *
 * The cache lives in /var/cache/trace-exec-test-image (TRACE_EXEC_IMAGE_CACHE overrides it), one
 * directory per key — a hash of .ci/image's sources (package list, builder), the machine's apt
 * sources and the epoch — with one directory per architecture: rootfs.tar (the tree), layer.tar.gz,
 * layer.json (digests), packages.txt (the package versions: the snapshot it was built from),
 * mmdebstrap.log; and the archives the tests import. A change to the package list or the builder
 * is a new key: the next run builds (about 1–3 min for amd64), later runs take it from the cache
 * (about 2 s). Old keys are not removed automatically (branches alternate); `rm -rf` the directory
 * to reclaim the space (about 450 MB per key and architecture).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { buildImage, cacheKey, defaultCache, epochFromEnv, type Built, type BuiltImage } from '../../.ci/image/image.ts';
import { ARCHES, type Arch } from '../../.ci/image/packages.ts';
import { hostArch } from '../../.ci/image/rootfs.ts';
import { aptInstall, canApt } from './apt.js';

export const IMAGE_CACHE = defaultCache();

export interface TestImage {
  /** The OCI archive to import (index.json → one manifest per architecture asked for). */
  archive: string;
  /** The name containerd gives it on import (`localhost/trace-exec-bpftrace:bpftrace-…`). */
  name: string;
  /** index.json's entry: the manifest digest (one architecture) or the image index's. */
  digest: string;
  images: BuiltImage[];
  key: string;
}

/** Why the image cannot be built here (null: it can): root and apt-get to install mmdebstrap. */
export function imageUnavailable(): string | null {
  if (process.getuid?.() !== 0) return 'not root (mmdebstrap builds the image in a chroot)';
  if (!existsSync('/usr/bin/mmdebstrap') && !canApt()) return 'no mmdebstrap and no apt-get to install it';
  return null;
}

/** describe options for image tests: skipped without the means to build, never under CI=true. */
export function imageDescribe(): { skip: boolean; reason: string | null } {
  const reason = imageUnavailable();
  if (reason && process.env.CI === 'true') return { skip: false, reason };
  return { skip: reason !== null, reason };
}

function tools(arches: readonly Arch[]): void {
  const need: string[] = [];
  if (!existsSync('/usr/bin/mmdebstrap')) need.push('mmdebstrap');
  const foreign = arches.some((a) => ARCHES[a].qemu && a !== hostArch());
  if (foreign && !existsSync('/usr/bin/arch-test')) need.push('arch-test');
  if (foreign && !existsSync('/usr/libexec/qemu-binfmt')) need.push('qemu-user-static');
  if (need.length > 0 && canApt()) aptInstall(need, 'debug image');
}

const built = new Map<string, Promise<Built>>();

/**
 * The debug image for `arches` (default amd64, the one the containerd tests run), from the cache
 * or built into it. One build per process and key; concurrent processes wait for each other.
 */
export function debugImage(arches: readonly Arch[] = ['amd64']): Promise<TestImage> {
  const id = arches.join(',');
  let p = built.get(id);
  if (!p) {
    tools(arches);
    const out = join(IMAGE_CACHE, cacheKey(epochFromEnv()), `debug-image-${arches.join('-')}.oci.tar`);
    p = buildImage({ arches, out, cache: IMAGE_CACHE, log: (m) => process.stderr.write(`debug image: ${m}\n`) });
    built.set(id, p);
  }
  return p.then((b) => ({ archive: b.archive, name: b.name, digest: b.digest, images: b.images, key: b.key }));
}
