/**
 * Debian packages a test needs and this machine may lack (kubectl, Wine, qemu-user, LLVM), installed
 * the way `.ci/setup-host` installs bpftrace: as root with apt-get, without recommends.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** Whether this process can install packages: root, and apt-get on the machine. */
export const canApt = (): boolean => process.getuid?.() === 0 && existsSync('/usr/bin/apt-get');

/**
 * Installs `packages` with the package lists as they are, and after `apt-get update` when that
 * fails. A failure is said on stderr with `who` (the test) in front; the caller checks for what it
 * needs afterwards.
 */
export function aptInstall(packages: readonly string[], who: string): void {
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const install = (): void =>
    void execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...packages], {
      stdio: 'ignore',
      env,
      timeout: 600_000,
    });
  try {
    try {
      install();
    } catch {
      execFileSync('apt-get', ['update', '-qq'], { stdio: 'ignore', env, timeout: 300_000 });
      install();
    }
  } catch (e) {
    process.stderr.write(`${who}: apt-get install ${packages.join(' ')} failed: ${(e as Error).message}\n`);
  }
}
