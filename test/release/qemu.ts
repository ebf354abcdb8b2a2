/**
 * qemu-user for the linux-arm64 release test: Debian's qemu-user and the arm64 C and C++ runtimes
 * (libc6-arm64-cross, libstdc++6-arm64-cross, under /usr/aarch64-linux-gnu) installed with apt-get
 * when missing, as root. Node's official linux-arm64 binary links glibc and libstdc++ dynamically.
 */
import { spawnSync } from 'node:child_process';
import { aptInstall, canApt } from '../support/apt.js';
import { existsSync } from 'node:fs';

export const ARM64_SYSROOT = '/usr/aarch64-linux-gnu';
const PACKAGES = ['qemu-user', 'libc6-arm64-cross', 'libstdc++6-arm64-cross'];

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
  return spawnSync('qemu-aarch64', ['--version'], { stdio: 'ignore' }).status === 0 && existsSync(`${ARM64_SYSROOT}/lib/ld-linux-aarch64.so.1`) && existsSync(`${ARM64_SYSROOT}/lib/libstdc++.so.6`);
}
