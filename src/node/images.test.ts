import { describe, expect, it } from 'vitest';
import { chooseImage, DEFAULT_IMAGES, NO_IMAGE_FLAG, noImageMessage, type ImageChoice, type ImageSpec } from './images.js';

const AMD64_DEFAULT = DEFAULT_IMAGES.amd64!;
const spec = (all: string | null, byArch: Record<string, string> = {}): ImageSpec => ({ all, byArch });

describe('chooseImage', () => {
  it.each<[string, ImageSpec, string | null, ImageChoice]>([
    [
      'amd64, no flag: the default',
      NO_IMAGE_FLAG,
      'amd64',
      { kind: 'image', image: AMD64_DEFAULT, arch: 'amd64', how: 'default', assumed: false },
    ],
    ['arm64, no flag: none', NO_IMAGE_FLAG, 'arm64', { kind: 'none', arch: 'arm64' }],
    ['s390x, no flag: none', NO_IMAGE_FLAG, 's390x', { kind: 'none', arch: 's390x' }],
    [
      'unknown architecture, no flag: the amd64 default, assumed',
      NO_IMAGE_FLAG,
      null,
      { kind: 'image', image: AMD64_DEFAULT, arch: 'amd64', how: 'default', assumed: true },
    ],
    [
      'arm64 with --image IMG: IMG',
      spec('reg/bt:1'),
      'arm64',
      { kind: 'image', image: 'reg/bt:1', arch: 'arm64', how: 'for every node', assumed: false },
    ],
    [
      'amd64 with --image IMG: IMG over the default',
      spec('reg/bt:1'),
      'amd64',
      { kind: 'image', image: 'reg/bt:1', arch: 'amd64', how: 'for every node', assumed: false },
    ],
    [
      'arm64 with --image arm64=A',
      spec(null, { arm64: 'reg/a:1' }),
      'arm64',
      { kind: 'image', image: 'reg/a:1', arch: 'arm64', how: 'for its architecture', assumed: false },
    ],
    [
      'amd64 with only --image arm64=A: the amd64 default',
      spec(null, { arm64: 'reg/a:1' }),
      'amd64',
      { kind: 'image', image: AMD64_DEFAULT, arch: 'amd64', how: 'default', assumed: false },
    ],
    [
      'arm64 with --image IMG --image arm64=A: A',
      spec('reg/bt:1', { arm64: 'reg/a:1' }),
      'arm64',
      { kind: 'image', image: 'reg/a:1', arch: 'arm64', how: 'for its architecture', assumed: false },
    ],
    [
      'amd64 with --image IMG --image arm64=A: IMG',
      spec('reg/bt:1', { arm64: 'reg/a:1' }),
      'amd64',
      { kind: 'image', image: 'reg/bt:1', arch: 'amd64', how: 'for every node', assumed: false },
    ],
    ['ppc64le with only --image arm64=A: none', spec(null, { arm64: 'reg/a:1' }), 'ppc64le', { kind: 'none', arch: 'ppc64le' }],
  ])('%s', (_what, s, arch, choice) => {
    expect(chooseImage(s, arch)).toEqual(choice);
  });
});

describe('noImageMessage', () => {
  it('is one line naming the node, its architecture, the flag and the README recipe', () => {
    const m = noImageMessage('graviton-1', 'arm64');
    expect(m).not.toMatch(/\n/);
    expect(m).toMatch(/^node graviton-1 is arm64 and there is no default debug image for arm64: pass --image arm64=IMAGE/);
    expect(m).toMatch(/README "The debug pod image"/);
  });
});
