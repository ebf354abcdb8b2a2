/**
 * One .tar.gz per platform, laid out for krew (regular files only, at the top level) and for a
 * plain `tar -xzf` + PATH: kubectl-trace_exec, oc-trace_exec, kubectl_complete-trace_exec, LICENSE.
 * Reproducible: sorted entries, fixed owner and mtime, gzip without a name or time stamp.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, createReadStream, createWriteStream, copyFileSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';

export const PLUGIN_BIN = 'kubectl-trace_exec';
export const OC_BIN = 'oc-trace_exec';
export const COMPLETE_BIN = 'kubectl_complete-trace_exec';

/** A launcher script from .ci/release/launch-*.sh with its name, version and V8 flags (node-flags.ts) filled in. */
export function writeLauncher(file: string, template: string, name: string, version: string, nodeFlags: readonly string[]): void {
  const text = readFileSync(template, 'utf8').replaceAll('@NAME@', name).replaceAll('@VERSION@', version).replaceAll('@NODE_FLAGS@', nodeFlags.join(' '));
  writeFileSync(file, text, { mode: 0o755 });
  chmodSync(file, 0o755);
}

/** Copies files into a fresh stage directory: [source, name in the archive, mode]. */
export function stage(dir: string, files: [string, string, number][]): void {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (const [from, name, mode] of files) {
    copyFileSync(from, join(dir, name));
    chmodSync(join(dir, name), mode);
  }
}

/** tar.gz of every file in `dir` (no directory entry), entries sorted, owner root, mtime `epoch`. */
export async function tarGz(dir: string, out: string, epoch: number): Promise<void> {
  const names = readdirSync(dir).sort();
  const tar = join(dir, '..', `${out.split('/').pop()}.tar`);
  execFileSync('tar', ['--create', '--file', tar, '--directory', dir, '--format=gnu', '--owner=0', '--group=0', '--numeric-owner', `--mtime=@${epoch}`, '--', ...names]);
  await pipeline(createReadStream(tar), createGzip({ level: 6 }), createWriteStream(out));
  rmSync(tar);
}

export async function sha256(file: string): Promise<string> {
  const h = createHash('sha256');
  await pipeline(createReadStream(file), h);
  return h.digest('hex');
}
