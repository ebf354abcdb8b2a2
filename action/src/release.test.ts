import { describe, expect, it } from 'vitest';
import { archiveName, executableName, normalizeVersion, parseSha256Sums, pickArchive, releaseBaseUrl, runnerPlatform } from './release.js';

const A = 'a'.repeat(64);
const B = 'b'.repeat(64);
const C = 'c'.repeat(64);
const SUMS = `${A}  trace-exec_v0.2.0_linux_amd64.tar.gz\n${B}  trace-exec_v0.2.0_windows_amd64.zip\n${C} *trace-exec_v0.2.0_darwin_arm64.tar.gz\n`;

describe('release', () => {
  it.each([
    ['Linux', 'X64', { os: 'linux', arch: 'amd64' }, 'trace-exec_v0.2.0_linux_amd64.tar.gz', 'kubectl-trace_exec'],
    ['Linux', 'ARM64', { os: 'linux', arch: 'arm64' }, 'trace-exec_v0.2.0_linux_arm64.tar.gz', 'kubectl-trace_exec'],
    ['macOS', 'ARM64', { os: 'darwin', arch: 'arm64' }, 'trace-exec_v0.2.0_darwin_arm64.tar.gz', 'kubectl-trace_exec'],
    ['Windows', 'X64', { os: 'windows', arch: 'amd64' }, 'trace-exec_v0.2.0_windows_amd64.zip', 'kubectl-trace_exec.exe'],
  ])('RUNNER_OS=%s RUNNER_ARCH=%s → %o, %s, %s', (os, arch, platform, archive, exe) => {
    const p = runnerPlatform(os, arch);
    expect(p).toEqual(platform);
    expect(archiveName('0.2.0', p)).toBe(archive);
    expect(executableName(p)).toBe(exe);
  });

  it.each([
    ['Linux', 'X86', /RUNNER_OS=Linux RUNNER_ARCH=X86: releases exist for Linux, macOS and Windows on X64 or ARM64/],
    [undefined, undefined, /RUNNER_OS=\(unset\) RUNNER_ARCH=\(unset\)/],
    ['Windows', 'ARM64', /Windows on ARM64: use an X64 runner/],
  ])('RUNNER_OS=%s RUNNER_ARCH=%s is refused', (os, arch, message) => {
    expect(() => runnerPlatform(os, arch)).toThrow(message);
  });

  it.each([
    ['0.1.0', '0.1.0'],
    ['v0.1.0', '0.1.0'],
    [' v1.2.3-rc.1 ', '1.2.3-rc.1'],
    ['latest', 'latest'],
  ])('version %j → %j', (v, want) => expect(normalizeVersion(v)).toBe(want));

  it.each(['1', 'v1', 'main', '1.2'])('version %j is refused, naming the input', (v) => {
    expect(() => normalizeVersion(v)).toThrow(`input version: "${v}" is not a release version: give one like 0.1.0 (or v0.1.0), or latest`);
  });

  it.each([
    ['0.2.0', '', 'https://github.com/o/trace-exec/releases/download/v0.2.0'],
    ['latest', '', 'https://github.com/o/trace-exec/releases/latest/download'],
    ['0.2.0', 'http://127.0.0.1:8080/mirror/', 'http://127.0.0.1:8080/mirror'],
  ])('version %s, release-url %j → %s', (v, url, want) => expect(releaseBaseUrl(v, url, 'o/trace-exec')).toBe(want));

  it('reads SHA256SUMS as sha256sum writes it (text and binary mode), skipping other lines', () => {
    expect(parseSha256Sums(`${SUMS}\n# comment\nnot a sum\n`)).toEqual(
      new Map([
        ['trace-exec_v0.2.0_linux_amd64.tar.gz', A],
        ['trace-exec_v0.2.0_windows_amd64.zip', B],
        ['trace-exec_v0.2.0_darwin_arm64.tar.gz', C],
      ]),
    );
  });

  it.each([
    ['0.2.0', { os: 'linux', arch: 'amd64' } as const, { archive: 'trace-exec_v0.2.0_linux_amd64.tar.gz', sha256: A, version: '0.2.0' }],
    ['latest', { os: 'windows', arch: 'amd64' } as const, { archive: 'trace-exec_v0.2.0_windows_amd64.zip', sha256: B, version: '0.2.0' }],
    ['latest', { os: 'darwin', arch: 'arm64' } as const, { archive: 'trace-exec_v0.2.0_darwin_arm64.tar.gz', sha256: C, version: '0.2.0' }],
  ])('version %s for %o: the archive SHA256SUMS lists', (v, p, want) => {
    expect(pickArchive(parseSha256Sums(SUMS), v, p)).toEqual(want);
  });

  it.each([
    [
      '0.1.0',
      { os: 'linux', arch: 'amd64' } as const,
      'SHA256SUMS lists no trace-exec_v0.1.0_linux_amd64.tar.gz (it lists trace-exec_v0.2.0_linux_amd64.tar.gz, ',
    ],
    ['latest', { os: 'linux', arch: 'arm64' } as const, 'SHA256SUMS lists no trace-exec_v*_linux_arm64.tar.gz'],
  ])('version %s for %o: not listed, said so', (v, p, message) => {
    expect(() => pickArchive(parseSha256Sums(SUMS), v, p)).toThrow(message);
  });
});
