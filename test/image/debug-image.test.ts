/**
 * The project's debug image (`npm run image`, .ci/image): the archive's layout as containerd and
 * skopeo read it, and the amd64 image's own binaries run against the image contract — the node
 * probe and bpftrace from the image, chrooted into its unpacked rootfs on this kernel. Built once
 * per package list into the cache (test/support/debug-image.ts).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, existsSync, openSync, readFileSync, readSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONTRACT } from '../../.ci/image/packages.ts';
import { CONTAINERD_NAME, MEDIA, REF_NAME } from '../../.ci/image/oci.ts';
import { buildImage } from '../../.ci/image/image.ts';
import { gzipLayer } from '../../.ci/image/rootfs.ts';
import { mountsBelow } from '../../.ci/image/tree.ts';
import { aptInstall, canApt } from '../support/apt.js';
import type { Arch } from '../../.ci/image/packages.ts';
import { parseProbe, PROBE_SCRIPT, REQUIRED_TOOLS } from '../../src/node/probe.js';
import { debugImage, IMAGE_CACHE, imageDescribe, type TestImage } from '../support/debug-image.js';
import { removeTempDirs, tempDir } from '../support/tmp.js';

const d = imageDescribe();
const sha256 = (file: string): string => createHash('sha256').update(readFileSync(file)).digest('hex');

/** A file of an OCI archive, as JSON. */
const member = (archive: string, path: string): any =>
  JSON.parse(execFileSync('tar', ['-xOf', archive, path], { encoding: 'utf8', maxBuffer: 1 << 20 }));
const blob = (archive: string, digest: string): any => member(archive, `blobs/sha256/${digest.slice('sha256:'.length)}`);

/** Runs `script` with sh inside `root` in a private mount namespace with /proc and /sys: the mounts end with it. */
function inRoot(root: string, script: string, args: string[] = []): string {
  const setup =
    'mount -t proc proc "$R/proc" && mount --rbind /sys "$R/sys" && exec chroot "$R" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin sh -c "$0" "$@"';
  return execFileSync('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', setup, script, ...args], {
    encoding: 'utf8',
    env: { ...process.env, R: root },
    timeout: 60_000,
  });
}

describe.skipIf(d.skip)('the debug image (npm run image)', () => {
  let img: TestImage;
  let root: string;

  beforeAll(async () => {
    if (d.reason) throw new Error(`the debug image cannot be built here: ${d.reason}`);
    img = await debugImage(['amd64']);
    root = tempDir('trace-exec-image-root-');
    execFileSync('tar', ['-xf', img.images[0]!.rootfs, '-C', root, '--numeric-owner']);
  }, 900_000);
  afterAll(removeTempDirs);

  it('its contract list holds every command the probe requires, plus sh, bpftrace and perl', () => {
    expect([...CONTRACT].sort()).toEqual(['sh', 'bpftrace', 'perl', ...REQUIRED_TOOLS].sort());
  });

  it('is an OCI layout whose index.json names the linux/amd64 manifest for containerd and skopeo', () => {
    expect(member(img.archive, 'oci-layout')).toEqual({ imageLayoutVersion: '1.0.0' });
    const top = member(img.archive, 'index.json');
    expect(top.manifests).toHaveLength(1);
    const [entry] = top.manifests;
    expect(entry).toMatchObject({ mediaType: MEDIA.manifest, digest: img.digest, platform: { architecture: 'amd64', os: 'linux' } });
    expect(entry.annotations[CONTAINERD_NAME]).toBe(img.name);
    expect(img.name).toMatch(/^localhost\/trace-exec-bpftrace:bpftrace-0\.17\.\S+-[0-9a-f]{12}$/);
    expect(`${img.name.split(':')[0]}:${entry.annotations[REF_NAME]}`).toBe(img.name);
    const manifest = blob(img.archive, img.digest);
    const config = blob(img.archive, manifest.config.digest);
    expect(config).toMatchObject({
      architecture: 'amd64',
      os: 'linux',
      rootfs: { type: 'layers', diff_ids: [img.images[0]!.layer.diffId] },
    });
    expect(manifest.layers).toEqual([img.images[0]!.layer.blob]);
  });

  it('has every command of the contract, and nothing of the build machine (apt, logs, caches, machine-id, docs)', () => {
    const names = execFileSync('tar', ['-tf', img.images[0]!.rootfs], { encoding: 'utf8', maxBuffer: 64 << 20 }).split('\n');
    const leftovers = names.filter(
      (n) =>
        /^(etc\/apt|var\/lib\/apt|var\/cache\/apt|etc\/machine-id|etc\/hostname|etc\/resolv\.conf|var\/cache\/ldconfig\/aux-cache|usr\/share\/(man|info|locale)\/.|dev\/.)/.test(
          n,
        ) || /^var\/log\/.*\.log$/.test(n),
    );
    expect(leftovers).toEqual([]);
    expect(names.filter((n) => /^usr\/share\/doc\/[^/]+\/./.test(n) && !n.endsWith('/copyright'))).toEqual([]);
    const found = inRoot(root, 'for c in "$@"; do command -v "$c" || echo "MISSING $c"; done', [...CONTRACT]);
    expect(found).not.toContain('MISSING');
  });

  it('passes the node probe with its own binaries: every tool, bpftrace 0.17, perl', () => {
    const facts = parseProbe(inRoot(root, PROBE_SCRIPT));
    expect(facts.bpftrace?.slice(0, 2)).toEqual([0, 17]);
    expect(facts.perl).toBe(true);
    expect(facts.controllers.length).toBeGreaterThan(0);
  });

  it('runs its bpftrace on this kernel', () => {
    expect(inRoot(root, 'bpftrace --version')).toMatch(/^bpftrace v0\.17\./);
    const out = inRoot(
      root,
      'mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null; bpftrace -e \'BEGIN { printf("image bpftrace %d\\n", 17); exit(); }\' 2>&1',
    );
    expect(out).toContain('image bpftrace 17');
  });
});

/** e_machine of an ELF file's header (62 x86-64, 183 AArch64); null when it is not a 64-bit little-endian ELF. */
function elfMachine(file: string): number | null {
  const h = Buffer.alloc(20);
  const fd = openSync(file, 'r');
  try {
    readSync(fd, h, 0, 20, 0);
  } finally {
    closeSync(fd);
  }
  return h.readUInt32BE(0) === 0x7f454c46 && h[4] === 2 && h[5] === 1 ? h.readUInt16LE(18) : null;
}

describe.skipIf(d.skip)('the two-platform archive (release/debug-image.oci.tar)', () => {
  let both: TestImage;
  let amd64: TestImage;
  let arm: string;

  beforeAll(async () => {
    if (d.reason) throw new Error(`the debug image cannot be built here: ${d.reason}`);
    amd64 = await debugImage(['amd64']);
    both = await debugImage(['amd64', 'arm64']);
    arm = tempDir('trace-exec-image-arm64-');
    execFileSync('tar', ['-xf', both.images[1]!.rootfs, '-C', arm, '--numeric-owner']);
  }, 1_200_000);
  afterAll(removeTempDirs);

  it('names one image index that lists linux/amd64 and linux/arm64, the amd64 entry being the image the tests run', () => {
    const top = member(both.archive, 'index.json');
    expect(top.manifests).toHaveLength(1);
    expect(top.manifests[0]).toMatchObject({ mediaType: MEDIA.index, digest: both.digest, annotations: { [CONTAINERD_NAME]: both.name } });
    const index = blob(both.archive, both.digest);
    expect(index.manifests.map((m: any) => [m.mediaType, m.platform])).toEqual([
      [MEDIA.manifest, { architecture: 'amd64', os: 'linux' }],
      [MEDIA.manifest, { architecture: 'arm64', os: 'linux', variant: 'v8' }],
    ]);
    expect(index.manifests[0].digest).toBe(amd64.digest);
    for (const m of index.manifests) {
      const config = blob(both.archive, blob(both.archive, m.digest).config.digest);
      expect([config.architecture, config.os, config.variant]).toEqual([m.platform.architecture, 'linux', m.platform.variant]);
    }
  });

  it('holds arm64 binaries: AArch64 ELF for every contract command, and its bpftrace runs under qemu-user', () => {
    const resolved = execFileSync(
      'sh',
      [
        '-c',
        'for c in "$@"; do for d in usr/bin usr/sbin; do [ -e "$R/$d/$c" ] && readlink -f "$R/$d/$c" | sed "s|^$R||" && break; done; done',
        'sh',
        'sh',
        'bpftrace',
        'perl',
        'sleep',
        'mount',
        'grep',
        'kill',
      ],
      { encoding: 'utf8', env: { ...process.env, R: arm } },
    )
      .trim()
      .split('\n');
    expect(resolved).toHaveLength(7);
    for (const f of [...resolved, '/usr/lib/aarch64-linux-gnu/libc.so.6', '/usr/lib/aarch64-linux-gnu/libLLVM-14.so.1'])
      expect([f, elfMachine(join(arm, f))]).toEqual([f, 183]);
    expect(inRoot(arm, 'bpftrace --version')).toMatch(/^bpftrace v0\.17\./);
  });
});

/**
 * containerd 1.6 (Debian's) reads the archives as the README says: `ctr images import` names each
 * from index.json's io.containerd.image.name, with the platforms the index lists. Not unpacked
 * here (30 s): the real-runtime tests (test/runtime/) unpack and run the amd64 image. A private
 * containerd without its CRI plugin, in a temporary directory, stopped and removed afterwards.
 */
describe.skipIf(d.skip)("containerd's import", () => {
  let dir: string;
  let containerd: ChildProcess | null = null;
  const ctr = (...args: string[]): string =>
    execFileSync('ctr', ['-a', join(dir, 'c.sock'), '-n', 'k8s.io', ...args], { encoding: 'utf8', timeout: 300_000 });

  beforeAll(async () => {
    if (d.reason) throw new Error(`the debug image cannot be built here: ${d.reason}`);
    if (!existsSync('/usr/bin/containerd') && canApt()) aptInstall(['containerd'], 'debug image import');
    dir = tempDir('trace-exec-image-ctd-');
    writeFileSync(
      join(dir, 'config.toml'),
      [
        'version = 2',
        `root = "${dir}/root"`,
        `state = "${dir}/state"`,
        'disabled_plugins = ["io.containerd.grpc.v1.cri"]',
        `[grpc]\n  address = "${dir}/c.sock"`,
        `[ttrpc]\n  address = "${dir}/t.sock"`,
        `[debug]\n  address = "${dir}/d.sock"`,
      ].join('\n'),
    );
    containerd = spawn('containerd', ['--config', join(dir, 'config.toml')], { stdio: 'ignore' });
    for (let i = 0; i < 100 && !existsSync(join(dir, 'c.sock')); i++) await new Promise((r) => setTimeout(r, 100));
  }, 900_000);

  afterAll(async () => {
    if (containerd && containerd.exitCode === null) {
      const exited = new Promise((r) => containerd!.once('exit', r));
      containerd.kill('SIGTERM');
      await exited;
    }
    expect(mountsBelow(dir)).toEqual([]);
    removeTempDirs();
  });

  it('names the amd64 archive and the two-platform one as the build says, with their platforms', async () => {
    const amd64 = await debugImage(['amd64']);
    const both = await debugImage(['amd64', 'arm64']);
    ctr('images', 'import', '--no-unpack', amd64.archive);
    ctr('images', 'import', '--no-unpack', both.archive);
    const listed = ctr('images', 'ls')
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => l.trim().split(/\s+/))
      .map((f) => [f[0], f[2], f.at(-2)]);
    expect(listed.sort()).toEqual(
      [
        [amd64.name, amd64.digest, 'linux/amd64'],
        [both.name, both.digest, 'linux/amd64,linux/arm64/v8'],
      ].sort(),
    );
  }, 600_000);
});

/**
 * Same packages, same digests. The quick half runs always: the layer's gzip and the archive's
 * assembly redone from the cached rootfs. The whole build (mmdebstrap included) runs again only
 * with TRACE_EXEC_IMAGE_REBUILD=1 (or =amd64,arm64), as it costs what a cold build costs
 * (README "The project's own image" has the measured times).
 */
describe.skipIf(d.skip)('reproducibility', () => {
  afterAll(removeTempDirs);

  it('redoes the amd64 layer from the cached rootfs and the archive from the cached layers, byte for byte', async () => {
    const cached = await debugImage(['amd64', 'arm64']);
    const dir = tempDir('trace-exec-image-again-');
    const amd64 = cached.images[0]!;
    const layer = await gzipLayer(amd64.rootfs, join(dir, 'layer.tar.gz'));
    expect(layer.diffId).toBe(amd64.layer.diffId);
    expect(layer.blob).toEqual(amd64.layer.blob);
    const again = await buildImage({ arches: ['amd64', 'arm64'], out: join(dir, 'again.oci.tar'), cache: IMAGE_CACHE });
    expect([again.name, again.digest]).toEqual([cached.name, cached.digest]);
    expect(sha256(again.archive)).toBe(sha256(cached.archive));
  }, 300_000);

  const rebuild = process.env.TRACE_EXEC_IMAGE_REBUILD;
  // Opt-in (it costs a cold build): declared only when asked for, so that a normal run skips nothing.
  if (rebuild)
    it('builds again from scratch with the same digests (TRACE_EXEC_IMAGE_REBUILD)', async () => {
      const arches = (rebuild === '1' ? ['amd64'] : rebuild!.split(',')) as Arch[];
      const cached = await debugImage(arches);
      const dir = tempDir('trace-exec-image-rebuild-');
      const started = Date.now();
      const fresh = await buildImage({
        arches,
        out: join(dir, 'fresh.oci.tar'),
        cache: null,
        log: (m) => process.stderr.write(`rebuild: ${m}\n`),
      });
      process.stderr.write(`rebuild: ${arches.join(', ')} from scratch in ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
      for (const [i, f] of fresh.images.entries()) {
        // A different package list means the mirror moved between the builds: not what is tested here.
        expect(f.packages, `the mirror changed since the cached ${f.arch} build`).toBe(cached.images[i]!.packages);
        expect([f.arch, f.layer.diffId, f.layer.blob.digest, f.manifest]).toEqual([
          f.arch,
          cached.images[i]!.layer.diffId,
          cached.images[i]!.layer.blob.digest,
          cached.images[i]!.manifest,
        ]);
      }
      expect(sha256(fresh.archive)).toBe(sha256(cached.archive));
    }, 1_800_000);
});
