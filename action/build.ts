/**
 * npm run action: action/src/main.ts and post.ts → action/dist/main.js and post.js, each one file
 * with every dependency (@actions/core, @actions/artifact) inside, because a JavaScript action runs
 * from the repository as checked out, with no npm install. The output is committed; the test
 * test/action/bundle.test.ts checks it is what this build writes.
 *
 *   node action/build.ts [--out DIR]
 */
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

export async function buildAction(outDir: string): Promise<string[]> {
  const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
  const entries = ['main', 'post'];
  await build({
    entryPoints: entries.map((e) => join(ROOT, 'action/src', `${e}.ts`)),
    outdir: outDir,
    bundle: true,
    platform: 'node',
    // runs.using in action.yml
    target: 'node24',
    format: 'esm',
    // Some bundled dependencies are CommonJS and call require() for Node's own modules.
    banner: { js: "import { createRequire as __actionRequire } from 'node:module'; const require = __actionRequire(import.meta.url);" },
    define: { TRACE_EXEC_VERSION: JSON.stringify(version) },
    minifyWhitespace: true,
    minifySyntax: true,
    legalComments: 'eof',
    logLevel: 'warning',
    outExtension: { '.js': '.js' },
  });
  return entries.map((e) => join(outDir, `${e}.js`));
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { out: { type: 'string', default: join(ROOT, 'action/dist') } } });
  buildAction(resolve(values.out!)).then(
    (files) => process.stderr.write(`action: wrote ${files.join(', ')}\n`),
    (e: unknown) => {
      process.stderr.write(`action: error: ${(e as Error)?.stack ?? e}\n`);
      process.exit(1);
    },
  );
}
