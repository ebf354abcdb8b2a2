/**
 * qemu-user for the linux-arm64 release test: Debian's qemu-user-static and the arm64 C and C++ runtimes
 * (libc6-arm64-cross, libstdc++6-arm64-cross, under /usr/aarch64-linux-gnu) installed with apt-get
 * when missing, as root. Node's official linux-arm64 binary links glibc and libstdc++ dynamically.
 */
import { spawnSync } from 'node:child_process';
import { aptInstall, canApt } from '../support/apt.js';
import { existsSync } from 'node:fs';

export const ARM64_SYSROOT = '/usr/aarch64-linux-gnu';
/**
 * qemu-user-static, not qemu-user: the two conflict in Debian (both provide qemu-user-binfmt), and
 * the debug image's arm64 build (.ci/image) needs the static one, which runs inside a chroot. An
 * installed qemu-user is used as it is.
 */
const PACKAGES = ['qemu-user-static', 'libc6-arm64-cross', 'libstdc++6-arm64-cross'];
const QEMUS = ['qemu-aarch64-static', 'qemu-aarch64'];

/** The qemu-user binary for arm64 on this machine (after qemuDescribe() said it is ready). */
export const qemuAarch64 = (): string => QEMUS.find(runs) ?? 'qemu-aarch64-static';
const runs = (qemu: string): boolean => spawnSync(qemu, ['--version'], { stdio: 'ignore' }).status === 0;

/** qemu-aarch64 and the arm64 runtimes, installing them when missing; skip without CI when they cannot be had. */
export function qemuDescribe(): { skip: boolean; reason: string | null } {
  if (ready()) return { skip: false, reason: null };
  let reason = `qemu-aarch64 or the arm64 runtimes are missing (and installing ${PACKAGES.join(' ')} needs root and apt-get)`;
  if (canApt()) {
    aptInstall(PACKAGES, 'arm64 release test');
    if (ready()) return { skip: false, reason: null };
    reason = `apt-get install ${PACKAGES.join(' ')} did not bring qemu-aarch64 and ${ARM64_SYSROOT}`;
  }
  return { skip: process.env.CI !== 'true', reason };
}

function ready(): boolean {
  return QEMUS.some(runs) && existsSync(`${ARM64_SYSROOT}/lib/ld-linux-aarch64.so.1`) && existsSync(`${ARM64_SYSROOT}/lib/libstdc++.so.6`);
}
