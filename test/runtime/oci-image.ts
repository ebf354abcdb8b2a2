/**
 * A minimal OCI image-layout archive (image-spec v1.1 "image layout" in a tar), written without a
 * container engine: one uncompressed layer made from files of this machine, an image config, a
 * manifest and an index whose manifest carries `io.containerd.image.name`, the name
 * `ctr images import` gives the image. Same inputs, same digests: entries are sorted, owned by
 * root and dated at the epoch.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** What goes at a path of the image: a copy of a host file, a symlink, or an empty directory. */
export type ImageEntry = { file: string; mode?: number } | { symlink: string } | { dir: true };

export interface ImageSpec {
  /** The reference containerd files it under, e.g. `trace-exec.test/workload:1`. */
  name: string;
  /** Absolute paths in the image → what is there. Parent directories are made as needed. */
  files: Record<string, ImageEntry>;
  entrypoint?: string[];
  cmd?: string[];
  env?: string[];
  /** GOARCH of the image; default amd64. */
  architecture?: string;
}

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

interface Blob {
  digest: string;
  size: number;
  bytes: Buffer;
}

function blob(bytes: Buffer): Blob {
  return { digest: `sha256:${sha256(bytes)}`, size: bytes.length, bytes };
}

/** The layer tar of `files`, with tar's own deterministic options (GNU tar on this machine). */
function layerTar(files: ImageSpec['files'], work: string): Buffer {
  const root = join(work, 'rootfs');
  mkdirSync(root, { recursive: true });
  for (const [path, entry] of Object.entries(files)) {
    const at = join(root, path);
    mkdirSync(dirname(at), { recursive: true });
    if ('dir' in entry) mkdirSync(at, { recursive: true });
    else if ('symlink' in entry) symlinkSync(entry.symlink, at);
    else {
      copyFileSync(entry.file, at);
      if (entry.mode !== undefined) execFileSync('chmod', [entry.mode.toString(8), at]);
    }
  }
  const out = join(work, 'layer.tar');
  execFileSync('tar', [
    '--create',
    '--file',
    out,
    '--directory',
    root,
    '--sort=name',
    '--format=posix',
    '--pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime',
    '--owner=0',
    '--group=0',
    '--numeric-owner',
    '--mtime=@0',
    '.',
  ]);
  return readFileSync(out);
}

/** Writes the image-layout archive of `spec` to `out` (a .tar); returns the manifest's digest. */
export function writeOciArchive(spec: ImageSpec, out: string): string {
  const work = mkdtempSync(join(dirname(out), '.oci-'));
  try {
    const layer = blob(layerTar(spec.files, work));
    const config = blob(
      Buffer.from(
        JSON.stringify({
          architecture: spec.architecture ?? 'amd64',
          os: 'linux',
          config: {
            ...(spec.entrypoint ? { Entrypoint: spec.entrypoint } : {}),
            ...(spec.cmd ? { Cmd: spec.cmd } : {}),
            Env: spec.env ?? ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
          },
          rootfs: { type: 'layers', diff_ids: [layer.digest] },
          created: '1970-01-01T00:00:00Z',
        }),
      ),
    );
    const manifest = blob(
      Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: config.digest, size: config.size },
          layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: layer.digest, size: layer.size }],
        }),
      ),
    );
    const index = {
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: [
        {
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          digest: manifest.digest,
          size: manifest.size,
          platform: { architecture: spec.architecture ?? 'amd64', os: 'linux' },
          annotations: { 'io.containerd.image.name': spec.name, 'org.opencontainers.image.ref.name': spec.name.replace(/^.*:/, '') },
        },
      ],
    };
    const layout = join(work, 'layout');
    mkdirSync(join(layout, 'blobs', 'sha256'), { recursive: true });
    for (const b of [layer, config, manifest]) writeFileSync(join(layout, 'blobs', 'sha256', b.digest.slice(7)), b.bytes);
    writeFileSync(join(layout, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
    writeFileSync(join(layout, 'index.json'), JSON.stringify(index));
    const tmp = `${out}.partial`;
    execFileSync('tar', [
      '--create',
      '--file',
      tmp,
      '--directory',
      layout,
      '--sort=name',
      '--format=posix',
      '--pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime',
      '--owner=0',
      '--group=0',
      '--numeric-owner',
      '--mtime=@0',
      'oci-layout',
      'index.json',
      'blobs',
    ]);
    renameSync(tmp, out);
    return manifest.digest;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
