/** Build directories are never removed with something mounted below them (.ci/image/tree.ts). */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { mountsBelow, removeTree } from '../../.ci/image/tree.ts';
import { removeTempDirs, tempDir } from '../support/tmp.js';

const MOUNTS = [
  'proc /proc proc rw 0 0',
  'proc /c/k/amd64.tmp-7/rootfs/proc proc rw 0 0',
  'sysfs /c/k/amd64.tmp-7/rootfs/sys sysfs rw 0 0',
  'tmpfs /c/k/amd64.tmp-70 tmpfs rw 0 0',
  'tmpfs /c/with\\040blank/x tmpfs rw 0 0',
  '',
].join('\n');

describe('mountsBelow', () => {
  it.each([
    ['/c/k/amd64.tmp-7', ['/c/k/amd64.tmp-7/rootfs/proc', '/c/k/amd64.tmp-7/rootfs/sys']],
    ['/c/k/amd64.tmp-7/', ['/c/k/amd64.tmp-7/rootfs/proc', '/c/k/amd64.tmp-7/rootfs/sys']],
    ['/c/k/amd64.tmp-70', ['/c/k/amd64.tmp-70']],
    ['/c/with blank', ['/c/with blank/x']],
    ['/c/k/arm64', []],
  ])('%s', (path, want) => expect(mountsBelow(path, MOUNTS)).toEqual(want));
});

describe.skipIf(process.getuid?.() !== 0 && process.env.CI !== 'true')('removeTree', () => {
  afterAll(removeTempDirs);

  it('refuses a directory with a mount below it, naming the mount, and removes it once unmounted', () => {
    const dir = tempDir('trace-exec-tree-');
    const proc = join(dir, 'rootfs', 'proc');
    mkdirSync(proc, { recursive: true });
    execFileSync('mount', ['-t', 'tmpfs', 'none', proc]);
    try {
      expect(() => removeTree(dir)).toThrow(
        `not removing ${dir}: ${proc} is mounted there (left by an interrupted mmdebstrap): umount -R ${proc}, then run again`,
      );
      expect(existsSync(proc)).toBe(true);
    } finally {
      execFileSync('umount', [proc]);
    }
    removeTree(dir);
    expect(existsSync(dir)).toBe(false);
  });
});
