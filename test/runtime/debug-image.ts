/**
 * The debug pod's image on the real runtime: the project's own (`npm run image`, .ci/image), amd64,
 * built once per package list into its cache by test/support/debug-image.ts, imported into the
 * run's containerd once.
 */
import { debugImage, imageUnavailable } from '../support/debug-image.js';
import type { Runtime } from './shared.js';

/** Why the project's image cannot be had here (null: it can). */
export const debugImageUnavailable = imageUnavailable;

/** The image's name as containerd knows it after the import (`localhost/trace-exec-bpftrace:…`). */
export async function importDebugImage(rt: Runtime): Promise<string> {
  const img = await debugImage(['amd64']);
  rt.ensureImage(img.archive);
  return img.name;
}
