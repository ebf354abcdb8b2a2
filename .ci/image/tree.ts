/**
 * Removal of build directories. An interrupted mmdebstrap can leave /proc, /sys or /dev mounted in
 * its chroot; a recursive removal would walk into them (and /sys/fs/cgroup's empty directories
 * do go away on rmdir), so nothing is removed while anything is mounted below it.
 */
import { readFileSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';

/** Mount points at or below `path` (/proc/self/mounts escapes blanks as octal: \040). */
export function mountsBelow(path: string, mounts: string = readFileSync('/proc/self/mounts', 'utf8')): string[] {
  const abs = resolve(path);
  return mounts
    .split('\n')
    .map((l) => (l.split(' ')[1] ?? '').replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))))
    .filter((m) => m === abs || m.startsWith(`${abs}/`));
}

export function removeTree(path: string): void {
  const mounted = mountsBelow(path);
  if (mounted.length > 0) {
    throw new Error(
      `not removing ${resolve(path)}: ${mounted.join(', ')} ${mounted.length > 1 ? 'are' : 'is'} mounted there (left by an interrupted mmdebstrap): umount -R ${mounted[0]}, then run again`,
    );
  }
  rmSync(path, { recursive: true, force: true });
}
