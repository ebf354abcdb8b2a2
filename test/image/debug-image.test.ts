/**
 * The project's debug image (`npm run image`, .ci/image): the archive's layout as containerd and
 * skopeo read it, and the amd64 image's own binaries run against the image contract — the node
 * probe and bpftrace from the image, chrooted into its unpacked rootfs on this kernel. Built once
 * per package list into the cache (test/support/debug-image.ts).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONTRACT } from '../../.ci/image/packages.ts';
import { CONTAINERD_NAME, MEDIA, REF_NAME } from '../../.ci/image/oci.ts';
import { parseProbe, PROBE_SCRIPT, REQUIRED_TOOLS } from '../../src/node/probe.js';
import { debugImage, imageDescribe, type TestImage } from '../support/debug-image.js';
import { removeTempDirs, tempDir } from '../support/tmp.js';

const d = imageDescribe();

/** A file of an OCI archive, as JSON. */
const member = (archive: string, path: string): any => JSON.parse(execFileSync('tar', ['-xOf', archive, path], { encoding: 'utf8', maxBuffer: 1 << 20 }));
const blob = (archive: string, digest: string): any => member(archive, `blobs/sha256/${digest.slice('sha256:'.length)}`);

/** Runs `script` with sh inside `root` in a private mount namespace with /proc and /sys: the mounts end with it. */
function inRoot(root: string, script: string, args: string[] = []): string {
  const setup = 'mount -t proc proc "$R/proc" && mount --rbind /sys "$R/sys" && exec chroot "$R" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin sh -c "$0" "$@"';
  return execFileSync('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', setup, script, ...args], { encoding: 'utf8', env: { ...process.env, R: root }, timeout: 60_000 });
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
    expect(config).toMatchObject({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [img.images[0]!.layer.diffId] } });
    expect(manifest.layers).toEqual([img.images[0]!.layer.blob]);
  });

  it('has every command of the contract, and nothing of the build machine (apt, logs, caches, machine-id, docs)', () => {
    const names = execFileSync('tar', ['-tf', img.images[0]!.rootfs], { encoding: 'utf8', maxBuffer: 64 << 20 }).split('\n');
    const leftovers = names.filter((n) => /^(etc\/apt|var\/lib\/apt|var\/cache\/apt|etc\/machine-id|etc\/hostname|etc\/resolv\.conf|var\/cache\/ldconfig\/aux-cache|usr\/share\/(man|info|locale)\/.|dev\/.)/.test(n) || /^var\/log\/.*\.log$/.test(n));
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
    const out = inRoot(root, 'mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null; bpftrace -e \'BEGIN { printf("image bpftrace %d\\n", 17); exit(); }\' 2>&1');
    expect(out).toContain('image bpftrace 17');
  });
});
