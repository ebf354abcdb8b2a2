/**
 * The pure parts of the image builder (.ci/image): names, platforms, the layout's shape, tags, the
 * epoch. The build itself is tested in debug-image.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { CONTAINERD_NAME, image, layout, MEDIA, nameAnnotations, platform, REF_NAME, type Layer } from '../../.ci/image/oci.ts';
import { epochFromEnv, tagFor, withTag } from '../../.ci/image/image.ts';
import { DEFAULT_EPOCH } from '../../.ci/image/packages.ts';

const layer = (n: string): Layer => ({
  diffId: `sha256:${n.repeat(64)}`,
  blob: { mediaType: MEDIA.layer, digest: `sha256:${n.repeat(64)}`, size: 1 },
  file: `/x/${n}`,
});

describe('nameAnnotations', () => {
  it.each([
    ['localhost/trace-exec-bpftrace:bpftrace-0.17.0-1-0123456789ab', 'bpftrace-0.17.0-1-0123456789ab'],
    ['registry.example:5000/ops/bpftrace:v1', 'v1'],
  ])('%s: containerd takes the whole name, the OCI ref name the tag', (name, tag) => {
    expect(nameAnnotations(name)).toEqual({ [CONTAINERD_NAME]: name, [REF_NAME]: tag });
  });

  it.each(['localhost/trace-exec-bpftrace', 'registry.example:5000/ops/bpftrace'])('%s: refused without a tag', (name) => {
    expect(() => nameAnnotations(name)).toThrow(`image name ${name} has no tag: give REPOSITORY:TAG`);
  });
});

describe('platform', () => {
  it.each([
    ['amd64', { architecture: 'amd64', os: 'linux' }],
    ['arm64', { architecture: 'arm64', os: 'linux', variant: 'v8' }],
  ] as const)('%s', (arch, want) => expect(platform(arch)).toEqual(want));
});

describe('layout', () => {
  const amd = image('amd64', layer('a'), DEFAULT_EPOCH, 'd', 'c');
  const arm = image('arm64', layer('b'), DEFAULT_EPOCH, 'd', 'c');

  it('one image: index.json names its manifest, with its platform', () => {
    const { top, index } = layout([amd], 'r/x:t');
    expect(index).toBeNull();
    expect(JSON.parse(top.bytes.toString())).toEqual({
      schemaVersion: 2,
      mediaType: MEDIA.index,
      manifests: [
        {
          ...amd.manifest.descriptor,
          platform: { architecture: 'amd64', os: 'linux' },
          annotations: { [CONTAINERD_NAME]: 'r/x:t', [REF_NAME]: 't' },
        },
      ],
    });
  });

  it('two images: index.json names an image index that lists both platforms in order', () => {
    const { top, index } = layout([amd, arm], 'r/x:t');
    expect(JSON.parse(index!.bytes.toString()).manifests.map((m: { digest: string; platform: unknown }) => [m.digest, m.platform])).toEqual(
      [
        [amd.manifest.descriptor.digest, { architecture: 'amd64', os: 'linux' }],
        [arm.manifest.descriptor.digest, { architecture: 'arm64', os: 'linux', variant: 'v8' }],
      ],
    );
    expect(JSON.parse(top.bytes.toString()).manifests).toEqual([
      { ...index!.descriptor, annotations: { [CONTAINERD_NAME]: 'r/x:t', [REF_NAME]: 't' } },
    ]);
  });

  it('the config carries the layer, the architecture and the epoch as its time; the same inputs give the same digests', () => {
    const config = JSON.parse(arm.config.bytes.toString());
    expect(config).toMatchObject({
      created: '2026-11-01T00:00:00Z',
      architecture: 'arm64',
      variant: 'v8',
      os: 'linux',
      rootfs: { type: 'layers', diff_ids: [layer('b').diffId] },
    });
    expect(image('arm64', layer('b'), DEFAULT_EPOCH, 'd', 'c').manifest.descriptor).toEqual(arm.manifest.descriptor);
    expect(image('arm64', layer('b'), DEFAULT_EPOCH + 1, 'd', 'c').manifest.descriptor.digest).not.toBe(arm.manifest.descriptor.digest);
  });
});

describe('tagFor', () => {
  it.each([
    ['bpftrace 0.17.0-1 amd64\nlibc6 2.36-9 amd64\n', 'bpftrace-0.17.0-1-0123456789ab'],
    ['a 1 amd64\nbpftrace 0.17.0-1+b1~bpo12 arm64\n', 'bpftrace-0.17.0-1_b1_bpo12-0123456789ab'],
    ['libc6 2.36-9 amd64\n', 'bpftrace-unknown-0123456789ab'],
  ])('%j → %s', (packages, tag) => expect(tagFor(packages, `sha256:0123456789ab${'f'.repeat(52)}`)).toBe(tag));
});

describe('withTag', () => {
  it.each([
    ['localhost/trace-exec-bpftrace', 'localhost/trace-exec-bpftrace:T'],
    ['localhost:5000/ops/bpftrace', 'localhost:5000/ops/bpftrace:T'],
    ['localhost:5000/ops/bpftrace:v1', 'localhost:5000/ops/bpftrace:v1'],
    ['bpftrace:v1', 'bpftrace:v1'],
  ])('%s → %s', (name, want) => expect(withTag(name, 'T')).toBe(want));

  it('refuses a digest', () => {
    expect(() => withTag('r/x@sha256:00', 'T')).toThrow(
      "--name r/x@sha256:00: give REPOSITORY or REPOSITORY:TAG, not a digest (the digest is the build's)",
    );
  });
});

describe('epochFromEnv', () => {
  it.each([
    [{}, DEFAULT_EPOCH],
    [{ SOURCE_DATE_EPOCH: '1700000000' }, 1700000000],
    [{ SOURCE_DATE_EPOCH: '' }, DEFAULT_EPOCH],
  ])('%j → %i', (env, want) => expect(epochFromEnv(env)).toBe(want));

  it.each(['yesterday', '-1', '1.5'])('SOURCE_DATE_EPOCH=%s is refused, naming the variable', (v) => {
    expect(() => epochFromEnv({ SOURCE_DATE_EPOCH: v })).toThrow(
      `SOURCE_DATE_EPOCH=${v}: give whole seconds since 1970 (date +%s), or unset it for the default ${DEFAULT_EPOCH}`,
    );
  });
});
