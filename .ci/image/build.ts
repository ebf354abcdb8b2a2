/**
 * npm run image: the debug image (README "The debug pod image", "The project's own image") for
 * linux/amd64 and linux/arm64 from Debian packages, into one OCI image-layout archive, and beside it
 * the list of packages and versions it holds (debug-image.packages.txt).
 *
 *   node .ci/image/build.ts [--out release/debug-image.oci.tar] [--arch amd64,arm64] [--cache DIR] [--name REPOSITORY[:TAG]]
 *   SOURCE_DATE_EPOCH=… node .ci/image/build.ts      # another epoch (default packages.ts DEFAULT_EPOCH)
 *
 * Needs root, mmdebstrap, and for arm64 qemu-user-static (binfmt_misc is mounted and registered
 * when missing). --cache keeps each architecture's layer (default: the tests' cache,
 * /var/cache/trace-exec-test-image, or TRACE_EXEC_IMAGE_CACHE): a second build from the same
 * package list only assembles the archive; --no-cache builds in a temporary directory.
 */
import { statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { buildImage, DEFAULT_REPOSITORY, defaultCache } from './image.ts';
import { ARCHES, isArch, type Arch } from './packages.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const started = Date.now();
const say = (msg: string): void => void process.stderr.write(`image: ${msg} (${((Date.now() - started) / 1000).toFixed(1)} s)\n`);
const mb = (n: number): string => `${(n / 1e6).toFixed(1)} MB`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      out: { type: 'string', default: join(ROOT, 'release/debug-image.oci.tar') },
      arch: { type: 'string', default: Object.keys(ARCHES).join(',') },
      cache: { type: 'string', default: defaultCache() },
      'no-cache': { type: 'boolean', default: false },
      name: { type: 'string', default: DEFAULT_REPOSITORY },
    },
  });
  const arches = values.arch!.split(',').map((a) => a.trim());
  for (const a of arches) if (!isArch(a)) throw new Error(`--arch ${a}: the image is built for ${Object.keys(ARCHES).join(', ')}`);
  if (process.getuid?.() !== 0)
    throw new Error("mmdebstrap builds the image as root (it runs the packages' scripts in a chroot): run npm run image as root");
  const built = await buildImage({
    arches: arches as Arch[],
    out: resolve(values.out!),
    cache: values['no-cache'] ? null : resolve(values.cache!),
    name: values.name,
    log: say,
  });
  for (const i of built.images) {
    say(
      `linux/${i.arch}: manifest ${i.manifest}, layer ${mb(i.layer.blob.size)} gzip (${mb(i.rootfsBytes)} unpacked), ${i.packages.split('\n').filter(Boolean).length} packages`,
    );
  }
  // The package snapshot beside the archive: which Debian versions these digests were built from.
  const list = built.archive.replace(/(\.oci)?\.tar$/, '') + '.packages.txt';
  writeFileSync(
    list,
    built.images
      .map((i) =>
        i.packages
          .split('\n')
          .filter(Boolean)
          .map((l) => `linux/${i.arch} ${l}\n`)
          .join(''),
      )
      .join(''),
  );
  say(
    `${built.archive}: ${mb(statSync(built.archive).size)}, ${built.digest}, named ${built.name} (cache key ${built.key}); packages in ${list}`,
  );
  process.stdout.write(`${built.archive}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`image: error: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
