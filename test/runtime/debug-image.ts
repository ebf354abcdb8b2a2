/**
 * The debug pod's image for the real-runtime tests, imported into the run's containerd.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeOciArchive, type ImageEntry } from './oci-image.js';
import type { Runtime } from './shared.js';
import { BUSYBOX } from './test-images.js';

export const HOST_DEBUG_IMAGE = 'trace-exec.test/host-bpftrace:1';

/**
 * An image with this machine's bpftrace and the libraries it loads, and busybox for the rest of the
 * image contract (no perl: the run warns and sends records one by one).
 */
function writeHostDebugImage(out: string): void {
  const files: Record<string, ImageEntry> = { '/bin/busybox': { file: BUSYBOX, mode: 0o755 }, '/tmp': { dir: true } };
  for (const a of execFileSync(BUSYBOX, ['--list'], { encoding: 'utf8' }).split('\n').filter((x) => /^[\w.-]+$/.test(x) && x !== 'busybox')) files[`/bin/${a}`] = { symlink: 'busybox' };
  const bpftrace = realpathSync('/usr/bin/bpftrace');
  files['/usr/bin/bpftrace'] = { file: bpftrace, mode: 0o755 };
  for (const line of execFileSync('ldd', [bpftrace], { encoding: 'utf8' }).split('\n')) {
    const lib = /=>\s*(\/\S+)/.exec(line)?.[1] ?? /^\s*(\/\S+)\s+\(/.exec(line)?.[1];
    if (lib) files[lib] = { file: realpathSync(lib), mode: 0o755 };
  }
  writeOciArchive({ name: HOST_DEBUG_IMAGE, files, cmd: ['/bin/sh'] }, out);
}

/** The debug image's name, imported into the run's containerd. */
export function debugImage(rt: Runtime): string {
  const dir = join(tmpdir(), 'trace-exec-host-debug-image');
  mkdirSync(dir, { recursive: true });
  const archive = join(dir, `host-bpftrace.oci.tar`);
  if (!existsSync(archive)) writeHostDebugImage(archive);
  rt.ensureImage(archive);
  return HOST_DEBUG_IMAGE;
}
