/**
 * ONE private containerd per vitest run, shared by every real-runtime test file: the global setup
 * (test/support/global-setup.ts) makes a run directory and provides its path; the first test file
 * that asks for the runtime starts containerd there (under a lock: test files run in separate
 * workers) and imports the test images; later files reuse it; the global teardown removes every
 * sandbox through the CRI and then the instance and everything it made (stopRunRuntime).
 *
 * Runs without root, containerd or busybox skip, except under CI=true, where they fail.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inject } from 'vitest';
import { aptInstall, canApt } from '../support/apt.js';
import { alive, importImages, startContainerd, type ContainerdInstance } from './containerd.js';
import { CriClient } from './cri.js';
import { BUSYBOX, writeTestImages } from './test-images.js';
import { STATE, type State } from './teardown.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The run's directory for the shared containerd (made by the global setup). */
    runtimeDir: string;
  }
}

export interface Runtime {
  instance: ContainerdInstance;
  cri: CriClient;
  /** `containerd://1.6.20…`, what a node running on it reports. */
  version: string;
  /** Where the CRI kubelet keeps pod logs and emptyDirs. */
  podsDir: string;
  /** Host paths the CRI kubelet created for hostPath volumes (one a line), removed at teardown. */
  hostPathsLog: string;
  /** Imports an OCI archive unless an image of that archive was imported already in this run. */
  ensureImage(archive: string): void;
}

/** Why the real-runtime tests cannot run here; null when they can. Installs containerd and runc if missing. */
export function runtimeUnavailable(): string | null {
  if (process.getuid?.() !== 0) return 'not root';
  const missing = (): string[] => ['containerd', 'runc', 'ctr'].filter((c) => !onPath(c)).concat(existsSync(BUSYBOX) ? [] : ['busybox']);
  if (missing().length > 0 && canApt()) aptInstall(['containerd', 'runc', 'busybox-static'], 'real-runtime tests');
  const still = missing();
  return still.length > 0 ? `${still.join(', ')} missing (apt-get install containerd runc busybox-static)` : null;
}

function onPath(cmd: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** describe options for real-runtime tests: skipped when they cannot run, never under CI=true. */
export function runtimeDescribe(): { skip: boolean; reason: string | null } {
  const reason = runtimeUnavailable();
  if (reason && process.env.CI === 'true') return { skip: false, reason };
  return { skip: reason !== null, reason };
}

async function withLock<T>(dir: string, f: () => Promise<T>): Promise<T> {
  const lock = join(dir, 'lock');
  for (let i = 0; ; i++) {
    try {
      mkdirSync(lock);
      writeFileSync(join(lock, 'pid'), String(process.pid));
      break;
    } catch {
      let holder = 0;
      try {
        holder = Number(readFileSync(join(lock, 'pid'), 'utf8'));
      } catch {
        /* being written */
      }
      if (holder && !alive(holder)) rmSync(lock, { recursive: true, force: true });
      else if (i > 1200) throw new Error(`the shared containerd's lock ${lock} is held by ${holder}`);
      else await new Promise((r) => setTimeout(r, 100));
    }
  }
  try {
    return await f();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

let mine: Runtime | undefined;

/** The run's containerd, started on first use. */
export async function sharedRuntime(): Promise<Runtime> {
  if (mine) return mine;
  const dir = inject('runtimeDir');
  if (!dir) throw new Error('no runtimeDir: the real-runtime tests need the vitest global setup (test/support/global-setup.ts)');
  const statePath = join(dir, STATE);
  const state = await withLock(dir, async () => {
    if (existsSync(statePath)) {
      const s = JSON.parse(readFileSync(statePath, 'utf8')) as State;
      if (alive(s.pid)) return s;
    }
    const instance = await startContainerd(join(dir, 'containerd'));
    const images = writeTestImages(dir);
    importImages(instance, [images.pause, images.workload]);
    const s: State = { ...instance, images: [images.pause, images.workload] };
    writeFileSync(statePath, JSON.stringify(s));
    return s;
  });
  const podsDir = join(dir, 'pods');
  mkdirSync(podsDir, { recursive: true });
  const cri = new CriClient(state.address);
  const v = await cri.version();
  mine = {
    instance: state,
    cri,
    version: `${v.runtimeName}://${v.runtimeVersion}`,
    podsDir,
    hostPathsLog: join(dir, 'host-paths'),
    ensureImage(archive) {
      const s = JSON.parse(readFileSync(statePath, 'utf8')) as State;
      if (s.images.includes(archive)) return;
      importImages(state, [archive]);
      s.images.push(archive);
      writeFileSync(statePath, JSON.stringify(s));
    },
  };
  return mine;
}
