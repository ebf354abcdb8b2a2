/**
 * src/cli.ts → one CommonJS file that needs nothing beside it: every dependency bundled, the bpf/ files
 * inlined, the git commit embedded. CommonJS because Node 24's single executable
 * applications run a CommonJS main script only; the same file is shipped for macOS.
 */
import { build, type Plugin } from 'esbuild';
import { readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

/**
 * `readFileSync(new URL('REL', import.meta.url), 'utf8')` in a source file becomes the file's text.
 * src/node/render.ts reads bpf/trace-exec.bt.tmpl that way, src/node/tracer-command.ts the node-side
 * scripts (bpf/tracer.sh, bpf/batcher.pl, bpf/counter.pl); the bundle has no bpf/ beside it.
 */
const READ_ASSET = /readFileSync\(\s*new URL\(\s*(['"])([^'"]+)\1\s*,\s*import\.meta\.url\s*\)\s*,\s*(['"])utf-?8\3\s*\)/g;

/** Assets that must end up inside the bundle: the build fails if one was not inlined. */
const REQUIRED_ASSETS: readonly string[] = ['bpf/trace-exec.bt.tmpl', 'bpf/tracer.sh', 'bpf/batcher.pl', 'bpf/counter.pl'];

function inlineAssets(root: string, inlined: Set<string>): Plugin {
  return {
    name: 'inline-assets',
    setup(b) {
      b.onLoad({ filter: /[\\/]src[\\/].*\.ts$/ }, (args) => {
        const source = readFileSync(args.path, 'utf8');
        if (!source.includes('import.meta.url')) return undefined;
        const contents = source.replace(READ_ASSET, (_all, _q, rel: string) => {
          const file = resolve(dirname(args.path), rel);
          inlined.add(relative(root, file));
          return JSON.stringify(readFileSync(file, 'utf8'));
        });
        return { contents, loader: 'ts', resolveDir: dirname(args.path) };
      });
    },
  };
}

export interface BundleResult {
  file: string;
  bytes: number;
  inlined: string[];
}

export async function bundle(root: string, outFile: string, commit: string): Promise<BundleResult> {
  const inlined = new Set<string>();
  await build({
    entryPoints: [join(root, 'src/cli.ts')],
    outfile: outFile,
    bundle: true,
    platform: 'node',
    target: 'node22.19',
    format: 'cjs',
    minifyWhitespace: true,
    minifySyntax: true,
    legalComments: 'eof',
    logLevel: 'warning',
    // Dependencies that are ES modules read import.meta.url (yargs, the client library): in CommonJS
    // it is this file's URL (in a single executable: the executable's).
    define: {
      'import.meta.url': '__trace_exec_bundle_url',
      __TRACE_EXEC_COMMIT__: JSON.stringify(commit),
    },
    banner: { js: 'var __trace_exec_bundle_url=require("node:url").pathToFileURL(__filename).href;' },
    plugins: [inlineAssets(root, inlined)],
  });
  const missing = REQUIRED_ASSETS.filter((a) => !inlined.has(a));
  if (missing.length > 0) {
    throw new Error(
      `the bundle would read ${missing.join(', ')} at run time: the source no longer loads it with ` +
        `readFileSync(new URL('…', import.meta.url), 'utf8'); adapt READ_ASSET in .ci/release/bundle.ts`,
    );
  }
  // The required assets in their order (the program template first), then any other.
  const order = [...REQUIRED_ASSETS, ...[...inlined].filter((a) => !REQUIRED_ASSETS.includes(a)).sort()];
  return { file: outFile, bytes: statSync(outFile).size, inlined: order.filter((a) => inlined.has(a)) };
}
