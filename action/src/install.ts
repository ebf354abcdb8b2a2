/**
 * Installs the release executable for this runner: SHA256SUMS, then the archive it lists for the
 * platform, checked against it before anything in it is unpacked or run.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { executableName, parseSha256Sums, pickArchive, type Platform } from './release.js';

export interface Installed {
  version: string;
  dir: string;
  executable: string;
}

async function download(url: string): Promise<Buffer> {
  let res: Response;
  try {
    res = await fetch(url, { redirect: 'follow' });
  } catch (e) {
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    throw new Error(`could not download ${url}: ${cause?.code ?? cause?.message ?? (e as Error).message}`);
  }
  if (!res.ok)
    throw new Error(`could not download ${url}: HTTP ${res.status} ${res.statusText} (check the inputs version and release-url)`);
  return Buffer.from(await res.arrayBuffer());
}

export async function install(
  baseUrl: string,
  version: string,
  platform: Platform,
  toolDir: string,
  log: (msg: string) => void,
): Promise<Installed> {
  const sumsUrl = `${baseUrl}/SHA256SUMS`;
  const sums = parseSha256Sums((await download(sumsUrl)).toString('utf8'));
  const picked = pickArchive(sums, version, platform);
  const url = `${baseUrl}/${picked.archive}`;
  log(`downloading ${url}`);
  const archive = await download(url);
  const actual = createHash('sha256').update(archive).digest('hex');
  if (actual !== picked.sha256) {
    throw new Error(
      `${picked.archive} from ${url} has sha256 ${actual}, but ${sumsUrl} says ${picked.sha256}: the download is corrupt or was tampered with; nothing was installed`,
    );
  }
  const dir = join(toolDir, `trace-exec-${picked.version}-${platform.os}-${platform.arch}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const file = join(dir, picked.archive);
  writeFileSync(file, archive);
  // tar unpacks .tar.gz everywhere, and .zip with the bsdtar of Windows and macOS runners.
  execFileSync('tar', ['-xf', file, '-C', dir], { stdio: ['ignore', 'ignore', 'pipe'] });
  rmSync(file);
  const executable = join(dir, executableName(platform));
  if (!existsSync(executable)) throw new Error(`${picked.archive} has no ${executableName(platform)}: not a trace-exec release archive`);
  if (platform.os !== 'windows') chmodSync(executable, 0o755);
  log(`installed trace-exec ${picked.version} (${picked.archive}, sha256 ${actual} as in SHA256SUMS) in ${dir}`);
  return { version: picked.version, dir, executable };
}
