/**
 * Which debug image a node gets: the one given for its architecture, else the one given for all, else
 * the default for its architecture — and when there is none, a refusal before anything is created
 * (an image of another architecture would only fail on the node with `exec format error`).
 * README "The debug pod image" has the table of defaults and where they come from.
 */

/**
 * Public images with bpftrace ≥ 0.13 and the tools the pod runs, per architecture. Only amd64 has
 * one: quay.io/iovisor/bpftrace was built by a plain `docker build` on x86-64 CI and was last
 * published in 2023; no maintained multi-architecture image was found (docs/debug-image.md lists what was checked).
 */
export const DEFAULT_IMAGES: Readonly<Record<string, string>> = Object.freeze({ amd64: 'quay.io/iovisor/bpftrace:v0.19.1' });

/** The architecture assumed for a node that reports none (every node did before arm64 clusters). */
export const ASSUMED_ARCH = 'amd64';

/** What --image said: one image for every node, and/or one per architecture. */
export interface ImageSpec {
  /** `--image IMAGE`: for every node without an image of its own architecture. */
  readonly all: string | null;
  /** `--image ARCH=IMAGE`, architecture names normalized (amd64, arm64…). */
  readonly byArch: Readonly<Record<string, string>>;
}

export const NO_IMAGE_FLAG: ImageSpec = Object.freeze({ all: null, byArch: Object.freeze({}) });

export type ImageChoice =
  | { kind: 'image'; image: string; arch: string; how: 'for its architecture' | 'for every node' | 'default'; assumed: boolean }
  | { kind: 'none'; arch: string };

/** Pure: the image for a node of architecture `arch` (null: the node did not say). */
export function chooseImage(spec: ImageSpec, arch: string | null): ImageChoice {
  const assumed = arch === null;
  const a = arch ?? ASSUMED_ARCH;
  const own = spec.byArch[a];
  if (own) return { kind: 'image', image: own, arch: a, how: 'for its architecture', assumed };
  if (spec.all) return { kind: 'image', image: spec.all, arch: a, how: 'for every node', assumed };
  const def = DEFAULT_IMAGES[a];
  if (def) return { kind: 'image', image: def, arch: a, how: 'default', assumed };
  return { kind: 'none', arch: a };
}

/** The one line that refuses a node no image fits; names the architecture, the flag and the recipe. */
export function noImageMessage(node: string, arch: string): string {
  return (
    `node ${node} is ${arch} and there is no default debug image for ${arch}: pass --image ${arch}=IMAGE ` +
    `with an image that has bpftrace for linux/${arch} (README "The debug pod image" shows how to build one from bpf/Dockerfile)`
  );
}

/** --help and --version: which default applies where. */
export function defaultsText(): string {
  const known = Object.entries(DEFAULT_IMAGES).map(([arch, image]) => `${arch}=${image}`);
  return `${known.join(',')} (other architectures: none, give --image ARCH=IMAGE)`;
}
