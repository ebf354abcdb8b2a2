/**
 * What goes into the debug image: Debian's Essential set (dash as `sh`, coreutils, grep, perl-base,
 * util-linux…) plus the packages below, for the commands of the image contract (README "The debug
 * pod image", "The image contract"; src/node/probe.ts REQUIRED_TOOLS). A change here changes the
 * cache key of the test image (test/support/debug-image.ts), so the next test run builds it anew.
 */
/** Debian 12: bpftrace 0.17, built by Debian for amd64, arm64, ppc64el and s390x. */
export const SUITE = 'bookworm';

/**
 * Beside the Essential set: bpftrace, `mount` (its own package since bookworm, not Essential) and
 * procps (`kill`, `ps`). usr-is-merged comes from mmdebstrap's merged-usr hook; without it apt
 * would pick usrmerge, which pulls in the whole perl (50 MB) for one conversion script.
 */
export const INCLUDE: readonly string[] = Object.freeze(['bpftrace', 'mount', 'procps']);

/**
 * The commands the debug pod runs: the build fails when one is not on the image's PATH. Keep in
 * sync with REQUIRED_TOOLS in src/node/probe.ts (which node cannot import from here: it is not
 * erasable TypeScript); test/image/debug-image.test.ts compares the two.
 */
export const CONTRACT: readonly string[] = Object.freeze([
  'sh',
  'bpftrace',
  'perl',
  'sleep',
  'touch',
  'rm',
  'env',
  'head',
  'cat',
  'kill',
  'grep',
  'uname',
  'mount',
]);

/** The image's PATH (Debian's default for root). */
export const PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/**
 * dpkg never unpacks these (they stay excluded for anything installed later): manuals, docs,
 * translations. The copyright files stay: they are the packages' licences.
 */
export const DPKG_OPTIONS: readonly string[] = Object.freeze([
  'path-exclude=/usr/share/man/*',
  'path-exclude=/usr/share/info/*',
  'path-exclude=/usr/share/doc/*',
  'path-include=/usr/share/doc/*/copyright',
  'path-exclude=/usr/share/locale/*',
  'path-exclude=/usr/share/lintian/*',
]);

/**
 * Removed after the build: host-specific files mmdebstrap copies in (resolv.conf, hostname) and
 * apt's configuration, lists and caches (apt itself is not installed; its sources would name the
 * build machine's mirror), and info's directory file that install-info writes although the manuals
 * are excluded.
 */
export const PRUNE: readonly string[] = Object.freeze([
  'etc/resolv.conf',
  'etc/hostname',
  'etc/apt',
  'var/lib/apt',
  'var/cache/apt',
  'var/log/apt',
  'usr/share/info',
]);

/**
 * The time stamp of every file newer than it, and of the image config (SOURCE_DATE_EPOCH overrides
 * it). Fixed rather than the commit's time, so that the same packages give the same digests from
 * any commit. 2026-11-01T00:00:00Z.
 */
export const DEFAULT_EPOCH = 1793491200;

export type Arch = 'amd64' | 'arm64';

/** Debian's architecture names, which are also OCI's; arm64 images say variant v8 (as buildx does). */
export const ARCHES: Readonly<Record<Arch, { variant?: string; elfMachine: number; qemu?: string }>> = Object.freeze({
  amd64: { elfMachine: 62 },
  arm64: { variant: 'v8', elfMachine: 183, qemu: 'aarch64' },
});

export const isArch = (a: string): a is Arch => Object.hasOwn(ARCHES, a);
