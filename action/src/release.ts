/**
 * Which release archive serves this runner, and where it is: the runner's platform (RUNNER_OS,
 * RUNNER_ARCH) names the archive `npm run release` builds for it (.ci/release/build.ts), and
 * SHA256SUMS, written beside the archives, gives its name with the version and its checksum.
 */

export interface Platform {
  os: 'linux' | 'darwin' | 'windows';
  arch: 'amd64' | 'arm64';
}

/** RUNNER_OS / RUNNER_ARCH as GitHub sets them (Linux, macOS, Windows / X64, ARM64). */
export function runnerPlatform(runnerOs: string | undefined, runnerArch: string | undefined): Platform {
  const os = ({ Linux: 'linux', macOS: 'darwin', Windows: 'windows' } as const)[runnerOs as 'Linux' | 'macOS' | 'Windows'];
  const arch = ({ X64: 'amd64', ARM64: 'arm64' } as const)[runnerArch as 'X64' | 'ARM64'];
  if (!os || !arch) {
    throw new Error(
      `no trace-exec release for a runner with RUNNER_OS=${runnerOs ?? '(unset)'} RUNNER_ARCH=${runnerArch ?? '(unset)'}: releases exist for Linux, macOS and Windows on X64 or ARM64`,
    );
  }
  if (os === 'windows' && arch === 'arm64') throw new Error('no trace-exec release for Windows on ARM64: use an X64 runner');
  return { os, arch };
}

/** The file name of the archive for `platform` at `version` (as .ci/release/build.ts names it). */
export function archiveName(version: string, p: Platform): string {
  return `trace-exec_v${version}_${p.os}_${p.arch}.${p.os === 'windows' ? 'zip' : 'tar.gz'}`;
}

/** The executable inside the archive. */
export function executableName(p: Platform): string {
  return p.os === 'windows' ? 'kubectl-trace_exec.exe' : 'kubectl-trace_exec';
}

/** `0.1.0`, `v0.1.0` → `0.1.0`; `latest` stays. Anything else is refused, naming the input. */
export function normalizeVersion(v: string): string {
  const t = v.trim();
  if (t === 'latest') return t;
  const m = /^v?(\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?)$/.exec(t);
  if (!m) throw new Error(`input version: "${v}" is not a release version: give one like 0.1.0 (or v0.1.0), or latest`);
  return m[1]!;
}

/**
 * Where the archives of `version` are: `releaseUrl` when given (a mirror, or a test server), else
 * the GitHub release of the action's own repository.
 */
export function releaseBaseUrl(version: string, releaseUrl: string, repository: string, server = 'https://github.com'): string {
  if (releaseUrl.trim() !== '') return releaseUrl.trim().replace(/\/+$/, '');
  const base = `${server.replace(/\/+$/, '')}/${repository}/releases`;
  return version === 'latest' ? `${base}/latest/download` : `${base}/download/v${version}`;
}

/** SHA256SUMS (`<64 hex>  <file>` a line, as sha256sum writes it) → file → sum. */
export function parseSha256Sums(text: string): Map<string, string> {
  const sums = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^([0-9a-f]{64}) [ *](\S+)\s*$/i.exec(line);
    if (m) sums.set(m[2]!, m[1]!.toLowerCase());
  }
  return sums;
}

/**
 * The archive for `p` listed in SHA256SUMS, with its sum. With `version` latest, the one archive of
 * that platform, whatever its version (the sums name it).
 */
export function pickArchive(sums: Map<string, string>, version: string, p: Platform): { archive: string; sha256: string; version: string } {
  const wanted = version === 'latest' ? null : archiveName(version, p);
  const suffix = archiveName('X', p).slice('trace-exec_vX'.length);
  for (const [file, sha256] of sums) {
    if (wanted ? file === wanted : file.startsWith('trace-exec_v') && file.endsWith(suffix)) {
      return { archive: file, sha256, version: file.slice('trace-exec_v'.length, -suffix.length) };
    }
  }
  throw new Error(
    `SHA256SUMS lists no ${wanted ?? `trace-exec_v*${suffix}`} (it lists ${[...sums.keys()].join(', ') || 'nothing'}): check the inputs version and release-url`,
  );
}
