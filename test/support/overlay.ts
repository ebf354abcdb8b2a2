/**
 * A real overlayfs mount for drift tests: lower (the "image"), upper (the container's writable
 * layer), work and merged directories in a temporary directory. Files go in before the mount
 * (lower or upper) or through the merged mount after it (which lands them in the upper layer).
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from './tmp.js';

export interface Overlay {
  merged: string;
  /** Copies /bin/true into the merged mount (so into the upper layer), executable. */
  writeTrue(name: string): string;
  /** Unmounts (lazily when busy); safe to call twice. The temporary directory goes with removeTempDirs. */
  unmount(): void;
}

/** Copies /bin/true to `dir/name`, mode 0755 (or 0644 when not executable). */
function addTrue(dir: string, name: string, executable = true): string {
  const file = join(dir, name);
  copyFileSync('/bin/true', file);
  chmodSync(file, executable ? 0o755 : 0o644);
  return file;
}

/**
 * Mounts an overlay whose lower and upper directories hold copies of /bin/true under the given names
 * (true: executable, false: mode 0644), put there before the mount: overlayfs does not expect its
 * layers to change under it.
 */
export function mountOverlay(
  layers: { lower?: Record<string, boolean>; upper?: Record<string, boolean> },
  prefix = 'trace-exec-overlay-',
): Overlay {
  const dir = tempDir(prefix);
  const [lower, upper, work, merged] = ['lower', 'upper', 'work', 'merged'].map((d) => join(dir, d)) as [string, string, string, string];
  for (const d of [lower, upper, work, merged]) mkdirSync(d);
  for (const [name, x] of Object.entries(layers.lower ?? {})) addTrue(lower, name, x);
  for (const [name, x] of Object.entries(layers.upper ?? {})) addTrue(upper, name, x);
  execFileSync('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${lower},upperdir=${upper},workdir=${work}`, merged]);
  let mounted = true;
  return {
    merged,
    writeTrue: (name) => addTrue(merged, name),
    unmount() {
      if (!mounted) return;
      try {
        execFileSync('umount', [merged], { stdio: 'ignore' });
      } catch {
        // Busy (a process still runs from it): detach it now; the kernel frees it when idle.
        execFileSync('umount', ['-l', merged], { stdio: 'ignore' });
      }
      mounted = false;
    },
  };
}
