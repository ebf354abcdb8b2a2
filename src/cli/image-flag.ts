/**
 * --image's values → which image for which architecture. Pure. The flag is repeatable and takes
 * comma lists; each item is `IMAGE` (every node) or `ARCH=IMAGE` (nodes of that architecture), so
 * `--image reg/bt:1`, `--image arm64=reg/bt-arm:1,amd64=reg/bt:1` and
 * `--image reg/bt:1 --image arm64=reg/bt-arm:1` all work. An image reference never contains `=` or `,`.
 * A later value for the same architecture (or for every node) replaces an earlier one.
 */
import { ARCHITECTURES, isKnownArch, normalizeArch } from '../node/arch.js';
import { NO_IMAGE_FLAG, type ImageSpec } from '../node/images.js';

export function parseImageFlag(values: readonly string[] | undefined): ImageSpec {
  if (!values || values.length === 0) return NO_IMAGE_FLAG;
  let all: string | null = null;
  const byArch: Record<string, string> = {};
  for (const value of values) {
    for (const item of value.split(',')) {
      const eq = item.indexOf('=');
      const image = eq < 0 ? item : item.slice(eq + 1);
      if (image.trim() === '' || /\s/.test(image)) {
        throw new Error(
          `--image "${item}" is not an image reference: give IMAGE, or ARCH=IMAGE (e.g. arm64=registry.example.com/bpftrace:1)`,
        );
      }
      if (eq < 0) {
        all = image;
        continue;
      }
      const arch = normalizeArch(item.slice(0, eq));
      if (!isKnownArch(arch)) {
        throw new Error(
          `--image "${item}": "${item.slice(0, eq)}" is not an architecture: use one of ${ARCHITECTURES.join(', ')} (as in: kubectl get nodes -L kubernetes.io/arch)`,
        );
      }
      byArch[arch] = image;
    }
  }
  return Object.freeze({ all, byArch: Object.freeze(byArch) });
}
