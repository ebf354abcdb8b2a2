/**
 * The small images the real-runtime tests run, built from this machine's files (Debian's
 * busybox-static) as OCI archives: the sandbox ("pause") image containerd's `sandbox_image` names,
 * and a workload image with a shell and the usual commands. Both share one layer.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { writeOciArchive, type ImageEntry } from './oci-image.js';

export const PAUSE_IMAGE = 'trace-exec.test/pause:1';
export const WORKLOAD_IMAGE = 'trace-exec.test/workload:1';
export const BUSYBOX = '/bin/busybox';

/** busybox and a symlink per applet in /bin, /tmp: what both test images hold. */
function busyboxFiles(): Record<string, ImageEntry> {
  if (!existsSync(BUSYBOX)) throw new Error(`${BUSYBOX} is missing: apt-get install busybox-static`);
  const files: Record<string, ImageEntry> = {
    '/bin/busybox': { file: BUSYBOX, mode: 0o755 },
    '/tmp': { dir: true },
    '/etc': { dir: true },
  };
  const applets = execFileSync(BUSYBOX, ['--list'], { encoding: 'utf8' })
    .split('\n')
    .filter((a) => /^[\w.-]+$/.test(a) && a !== 'busybox');
  for (const a of applets) files[`/bin/${a}`] = { symlink: 'busybox' };
  return files;
}

/** Writes pause.oci.tar and workload.oci.tar into `dir`; returns their paths. */
export function writeTestImages(dir: string): { pause: string; workload: string } {
  const files = busyboxFiles();
  const pause = join(dir, 'pause.oci.tar');
  const workload = join(dir, 'workload.oci.tar');
  // PID 1 of the sandbox: it only has to stay; containerd stops sandboxes with SIGKILL.
  writeOciArchive({ name: PAUSE_IMAGE, files, entrypoint: ['/bin/sleep', '2147483647'] }, pause);
  writeOciArchive({ name: WORKLOAD_IMAGE, files, cmd: ['/bin/sh'] }, workload);
  return { pause, workload };
}
