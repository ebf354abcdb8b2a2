import { describe, expect, it } from 'vitest';
import { parseImageFlag } from './image-flag.js';
import type { ImageSpec } from '../node/images.js';

describe('parseImageFlag', () => {
  it.each<[string, string[] | undefined, ImageSpec]>([
    ['no flag', undefined, { all: null, byArch: {} }],
    ['one image for every node', ['reg.example.com/bt:1'], { all: 'reg.example.com/bt:1', byArch: {} }],
    ['a registry with a port and a digest', ['reg:5000/bt@sha256:abc'], { all: 'reg:5000/bt@sha256:abc', byArch: {} }],
    [
      'one per architecture, comma list',
      ['arm64=reg/bt-arm:1,amd64=reg/bt:1'],
      { all: null, byArch: { arm64: 'reg/bt-arm:1', amd64: 'reg/bt:1' } },
    ],
    [
      'one per architecture, repeated',
      ['arm64=reg/bt-arm:1', 'amd64=reg/bt:1'],
      { all: null, byArch: { arm64: 'reg/bt-arm:1', amd64: 'reg/bt:1' } },
    ],
    ['every node plus an override', ['reg/bt:1', 'arm64=reg/bt-arm:1'], { all: 'reg/bt:1', byArch: { arm64: 'reg/bt-arm:1' } }],
    ['uname names and case', ['AArch64=reg/a:1,x86_64=reg/b:1'], { all: null, byArch: { arm64: 'reg/a:1', amd64: 'reg/b:1' } }],
    ['the later value for an architecture wins', ['arm64=reg/a:1', 'arm64=reg/a:2'], { all: null, byArch: { arm64: 'reg/a:2' } }],
    ['the later image for every node wins', ['reg/a:1', 'reg/a:2'], { all: 'reg/a:2', byArch: {} }],
  ])('%s', (_what, values, spec) => {
    expect(parseImageFlag(values)).toEqual(spec);
  });

  it.each<[string, string[], RegExp]>([
    ['an empty value', [''], /^--image "" is not an image reference: give IMAGE, or ARCH=IMAGE/],
    ['an empty item in a list', ['arm64=reg/a:1,'], /^--image "" is not an image reference/],
    ['an architecture without an image', ['arm64='], /^--image "arm64=" is not an image reference/],
    ['an image with a space', ['reg/bt latest'], /^--image "reg\/bt latest" is not an image reference/],
    [
      'an unknown architecture',
      ['arm=reg/a:1,sparc=reg/b:1'],
      /^--image "sparc=reg\/b:1": "sparc" is not an architecture: use one of amd64, arm64/,
    ],
    ['no architecture before =', ['=reg/a:1'], /^--image "=reg\/a:1": "" is not an architecture/],
  ])('rejects %s', (_what, values, message) => {
    expect(() => parseImageFlag(values)).toThrow(message);
  });
});
