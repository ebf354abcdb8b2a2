/**
 * The OCI image layout of the debug image: per architecture one gzip layer (the rootfs tar), its
 * config and manifest; an image index over the architectures; index.json naming that index; all
 * in one tar. Documents are built by pure functions with a fixed key order, so the same layers
 * and epoch give the same digests. Spec: github.com/opencontainers/image-spec (image-layout.md,
 * image-index.md, manifest.md, config.md).
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ARCHES, PATH, type Arch } from './packages.ts';

export const MEDIA = Object.freeze({
  index: 'application/vnd.oci.image.index.v1+json',
  manifest: 'application/vnd.oci.image.manifest.v1+json',
  config: 'application/vnd.oci.image.config.v1+json',
  layer: 'application/vnd.oci.image.layer.v1.tar+gzip',
});

/** containerd's import names an image from this annotation (`ctr images import`, archive/importer.go). */
export const CONTAINERD_NAME = 'io.containerd.image.name';
/** The OCI layout's tag; skopeo's `oci-archive:FILE:TAG` selects by it. */
export const REF_NAME = 'org.opencontainers.image.ref.name';

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: Platform;
  annotations?: Record<string, string>;
}

export interface Platform {
  architecture: string;
  os: 'linux';
  variant?: string;
}

/** A gzip layer (rootfs.ts gzipLayer). */
export interface Layer {
  /** sha256 of the uncompressed tar: the config's diff_id. */
  diffId: string;
  /** The gzip blob's descriptor. */
  blob: Descriptor;
  /** Where the gzip blob is. */
  file: string;
}

/** A JSON document and its descriptor. */
export interface Doc {
  bytes: Buffer;
  descriptor: Descriptor;
}

export function doc(mediaType: string, value: unknown): Doc {
  const bytes = Buffer.from(JSON.stringify(value));
  return { bytes, descriptor: { mediaType, digest: `sha256:${createHash('sha256').update(bytes).digest('hex')}`, size: bytes.length } };
}

export function platform(arch: Arch): Platform {
  const variant = ARCHES[arch].variant;
  return variant ? { architecture: arch, os: 'linux', variant } : { architecture: arch, os: 'linux' };
}

export const isoTime = (epoch: number): string => new Date(epoch * 1000).toISOString().replace('.000Z', 'Z');

/** The image config: the shell as the default command (the debug pod gives its own), PATH, one layer. */
export function imageConfig(arch: Arch, layer: Layer, epoch: number, description: string, createdBy: string): unknown {
  const p = platform(arch);
  return {
    created: isoTime(epoch),
    architecture: p.architecture,
    ...(p.variant ? { variant: p.variant } : {}),
    os: p.os,
    config: { Env: [`PATH=${PATH}`], Cmd: ['sh'], Labels: { 'org.opencontainers.image.description': description } },
    rootfs: { type: 'layers', diff_ids: [layer.diffId] },
    history: [{ created: isoTime(epoch), created_by: createdBy }],
  };
}

export function imageManifest(config: Descriptor, layer: Layer): unknown {
  return { schemaVersion: 2, mediaType: MEDIA.manifest, config, layers: [layer.blob] };
}

export function imageIndex(manifests: readonly Descriptor[]): unknown {
  return { schemaVersion: 2, mediaType: MEDIA.index, manifests };
}

/**
 * `name` is a full reference (`localhost/trace-exec-bpftrace:TAG`): containerd takes the whole of it,
 * the OCI ref name only its tag (as buildx writes them).
 */
export function nameAnnotations(name: string): Record<string, string> {
  const tag = name.slice(name.lastIndexOf(':') + 1);
  if (tag === name || tag.includes('/')) throw new Error(`image name ${name} has no tag: give REPOSITORY:TAG`);
  return { [CONTAINERD_NAME]: name, [REF_NAME]: tag };
}

export interface Image {
  arch: Arch;
  layer: Layer;
  config: Doc;
  manifest: Doc;
}

export function image(arch: Arch, layer: Layer, epoch: number, description: string, createdBy: string): Image {
  const config = doc(MEDIA.config, imageConfig(arch, layer, epoch, description, createdBy));
  const manifest = doc(MEDIA.manifest, imageManifest(config.descriptor, layer));
  return { arch, layer, config, manifest };
}

/**
 * The layout's top: one image → its manifest, named; several → an image index over them (each
 * with its platform), named. Returns index.json and the documents to store as blobs.
 */
export function layout(images: readonly Image[], name: string): { top: Doc; index: Doc | null } {
  const annotations = nameAnnotations(name);
  const entries: Descriptor[] = images.map((i) => ({ ...i.manifest.descriptor, platform: platform(i.arch) }));
  const [only] = entries;
  if (entries.length === 1 && only) return { top: doc(MEDIA.index, imageIndex([{ ...only, annotations }])), index: null };
  const index = doc(MEDIA.index, imageIndex(entries));
  return { top: doc(MEDIA.index, imageIndex([{ ...index.descriptor, annotations }])), index };
}

/**
 * Writes the layout as one tar: oci-layout, index.json, blobs/sha256/*, sorted, owner root, mtime
 * `epoch`. Layers are linked into the staging directory and read through the links (tar -h).
 */
export function writeArchive(out: string, images: readonly Image[], top: Doc, index: Doc | null, epoch: number, stageDir: string): void {
  rmSync(stageDir, { recursive: true, force: true });
  const blobs = join(stageDir, 'blobs', 'sha256');
  mkdirSync(blobs, { recursive: true });
  const hex = (d: Descriptor): string => d.digest.slice('sha256:'.length);
  writeFileSync(join(stageDir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  writeFileSync(join(stageDir, 'index.json'), top.bytes);
  const docs = [...images.flatMap((i) => [i.config, i.manifest]), ...(index ? [index] : [])];
  for (const d of docs) writeFileSync(join(blobs, hex(d.descriptor)), d.bytes);
  for (const i of images) symlinkSync(i.layer.file, join(blobs, hex(i.layer.blob)));
  const tmp = `${out}.tmp-${process.pid}`;
  execFileSync('tar', [
    '--create',
    `--file=${tmp}`,
    `--directory=${stageDir}`,
    '--dereference',
    '--sort=name',
    '--format=pax',
    '--pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime',
    '--owner=0',
    '--group=0',
    '--numeric-owner',
    `--mtime=@${epoch}`,
    '--mode=u=rwX,go=rX',
    '--',
    'blobs',
    'index.json',
    'oci-layout',
  ]);
  execFileSync('mv', ['-f', tmp, out]);
  rmSync(stageDir, { recursive: true, force: true });
}
