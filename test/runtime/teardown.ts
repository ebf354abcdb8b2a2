/**
 * The end of the run's shared containerd (see shared.ts), for the vitest global setup: also the
 * sweep of runs whose vitest died before its teardown.
 */
import { existsSync, readFileSync, readdirSync, rmdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { alive, stopContainerd, type ContainerdInstance } from './containerd.js';
import { CriClient } from './cri.js';

/** The instance's record in the run directory. */
export const STATE = 'containerd.json';
/** The run directory's prefix in the temp directory; the file `owner` in it holds vitest's pid. */
export const RUN_PREFIX = 'trace-exec-runtime-';

export interface State extends ContainerdInstance {
  /** The archives imported so far. */
  images: string[];
}

/**
 * The global teardown: every sandbox of the run's containerd stopped and removed through the CRI,
 * then containerd, its shims, their sockets, the pods' cgroups, the host paths made for hostPath
 * volumes and the run directory. Returns what could not be removed (the teardown reports it).
 */
export async function stopRunRuntime(dir: string): Promise<string[]> {
  const left: string[] = [];
  const statePath = join(dir, STATE);
  if (existsSync(statePath)) {
    const state = JSON.parse(readFileSync(statePath, 'utf8')) as State;
    const sandboxes: { id: string; uid: string }[] = [];
    if (alive(state.pid)) {
      const cri = new CriClient(state.address);
      try {
        for (const sb of await cri.listPodSandbox()) {
          sandboxes.push({ id: sb.id, uid: sb.metadata.uid });
          try {
            await cri.stopPodSandbox(sb.id);
            await cri.removePodSandbox(sb.id);
          } catch (e) {
            left.push(`sandbox ${sb.id}: ${(e as Error).message}`);
          }
        }
      } finally {
        cri.close();
      }
    }
    left.push(...(await stopContainerd(state, sandboxes)));
  }
  left.push(...removeHostPaths(join(dir, 'host-paths')));
  rmSync(dir, { recursive: true, force: true });
  return left;
}

/** Removes the directories listed in `log` (deepest first) where they are still empty. */
export function removeHostPaths(log: string): string[] {
  if (!existsSync(log)) return [];
  const dirs = [...new Set(readFileSync(log, 'utf8').split('\n').filter(Boolean))].sort((a, b) => b.length - a.length);
  const left: string[] = [];
  for (const d of dirs) {
    try {
      if (existsSync(d) && readdirSync(d).length === 0) rmdirSync(d);
      else if (existsSync(d)) left.push(`host path ${d} (not empty)`);
    } catch (e) {
      left.push(`host path ${d}: ${(e as Error).message}`);
    }
  }
  rmSync(log, { force: true });
  return left;
}

/** Runs of vitest processes that are gone (killed before their teardown): their runtime is removed. */
export async function sweepDeadRuns(): Promise<string[]> {
  const left: string[] = [];
  for (const e of readdirSync(tmpdir())) {
    if (!e.startsWith(RUN_PREFIX)) continue;
    const dir = join(tmpdir(), e);
    let owner = 0;
    try {
      owner = Number(readFileSync(join(dir, 'owner'), 'utf8'));
    } catch {
      continue;
    }
    if (owner && !alive(owner)) left.push(...(await stopRunRuntime(dir)));
  }
  return left;
}
