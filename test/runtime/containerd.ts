/**
 * A private containerd (Debian's 1.6 with its CRI plugin) for the real-runtime tests: its own root,
 * state, sockets, runc root and opt directory under one directory, so it never meets a containerd of
 * the machine. Facts this relies on (checked on this VM, see /work/shared/field-notes.md):
 * - `restrict_oom_score_adj = true`, or every sandbox fails with runc's `can't get final child's PID
 *   from pipe: EOF` (the kernel refuses oom_score_adj -998 here);
 * - no CNI: pods use the host network, which the CRI kubelet asks for;
 * - cgroupfs driver: the runtime makes `/kubepods/<qos>/pod<uid>/<id>` from the cgroup parent the
 *   kubelet passes, in every v1 hierarchy and the unified one;
 * - 1.6 puts shim sockets in /run/containerd/s whatever its state dir (sha256 of address, namespace
 *   and sandbox id), so they are found and removed by that name.
 */
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmdirSync, rmSync, writeFileSync, closeSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { PAUSE_IMAGE } from './test-images.js';

export const NAMESPACE = 'k8s.io';
/** Where containerd 1.6's shims put their sockets, whatever the instance's state directory. */
export const SHIM_SOCKETS = '/run/containerd/s';

/** What the tests need to reach a running instance, as written to `<dir>/containerd.json`. */
export interface ContainerdInstance {
  dir: string;
  pid: number;
  /** The CRI / containerd gRPC socket. */
  address: string;
}

export function configToml(dir: string): string {
  const cri = 'plugins."io.containerd.grpc.v1.cri"';
  return `version = 2
root = "${dir}/root"
state = "${dir}/state"
[grpc]
  address = "${dir}/containerd.sock"
[ttrpc]
  address = "${dir}/containerd.sock.ttrpc"
[debug]
  address = ""
[metrics]
  address = ""
[plugins."io.containerd.internal.v1.opt"]
  path = "${dir}/opt"
[${cri}]
  sandbox_image = "${PAUSE_IMAGE}"
  restrict_oom_score_adj = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  enable_selinux = false
  [${cri}.containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [${cri}.containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [${cri}.containerd.runtimes.runc.options]
        SystemdCgroup = false
        Root = "${dir}/runc"
  [${cri}.cni]
    bin_dir = "${dir}/cni/bin"
    conf_dir = "${dir}/cni/conf"
`;
}

function canConnect(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(path);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/**
 * Starts containerd on `dir` (detached: it outlives the test file that starts it; the vitest global
 * teardown stops it) and waits for its socket.
 */
export async function startContainerd(dir: string): Promise<ContainerdInstance> {
  mkdirSync(join(dir, 'cni', 'bin'), { recursive: true });
  mkdirSync(join(dir, 'cni', 'conf'), { recursive: true });
  writeFileSync(join(dir, 'config.toml'), configToml(dir));
  const log = openSync(join(dir, 'containerd.log'), 'a');
  const child = spawn('containerd', ['--config', join(dir, 'config.toml')], { detached: true, stdio: ['ignore', log, log] });
  closeSync(log);
  child.unref();
  const address = join(dir, 'containerd.sock');
  const instance: ContainerdInstance = { dir, pid: child.pid!, address };
  for (let i = 0; i < 200; i++) {
    if (!alive(instance.pid)) break;
    if (await canConnect(address)) return instance;
    await new Promise((r) => setTimeout(r, 100));
  }
  const tail = readFileSync(join(dir, 'containerd.log'), 'utf8').split('\n').slice(-20).join('\n');
  throw new Error(`containerd did not come up on ${address}:\n${tail}`);
}

/** Imports OCI archives into the instance's k8s.io namespace, where the CRI plugin sees them. */
export function importImages(instance: ContainerdInstance, archives: string[]): void {
  for (const a of archives) {
    execFileSync('ctr', ['--address', instance.address, '-n', NAMESPACE, 'images', 'import', '--no-unpack', a], {
      stdio: 'pipe',
      timeout: 300_000,
    });
  }
}

/** The shim socket containerd 1.6 uses for a sandbox (runtime/v2/shim SocketAddress). */
export function shimSocket(address: string, sandboxId: string): string {
  return join(
    SHIM_SOCKETS,
    createHash('sha256')
      .update(join(address, NAMESPACE, sandboxId))
      .digest('hex'),
  );
}

/** The shims of this instance: `containerd-shim-runc-v2 … -address <ours>`. */
export function shimPids(address: string): number[] {
  const out: number[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const argv = readFileSync(`/proc/${e}/cmdline`, 'utf8').split('\0');
      if (/containerd-shim/.test(argv[0] ?? '') && argv.includes(address)) out.push(Number(e));
    } catch {
      /* gone */
    }
  }
  return out;
}

/** Mount points at or below `dir` (rootfs overlays, sandbox shm), deepest first. */
function mountsBelow(dir: string): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4] ?? '')
    .filter((m) => m === dir || m.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
}

/** The cgroup hierarchies of this machine: every v1 controller mount and the unified one. */
export function cgroupHierarchies(): string[] {
  return readFileSync('/proc/self/mounts', 'utf8')
    .split('\n')
    .map((l) => l.split(' '))
    .filter((m) => m[2] === 'cgroup' || m[2] === 'cgroup2')
    .map((m) => m[1]!);
}

/**
 * Removes the kubelet-shaped cgroup directories of these pods in every hierarchy (what a kubelet
 * does after the runtime removed the containers' own), then `kubepods/<qos>` and `kubepods`
 * where nothing else is left in them (another run's pods may be).
 */
export function removePodCgroups(podUids: Iterable<string>): string[] {
  const left: string[] = [];
  const uids = [...podUids];
  for (const h of cgroupHierarchies()) {
    for (const qos of ['kubepods/besteffort', 'kubepods/burstable', 'kubepods']) {
      for (const uid of uids) {
        const pod = join(h, qos, `pod${uid}`);
        if (!existsSync(pod)) continue;
        for (const child of readdirSync(pod, { withFileTypes: true })) if (child.isDirectory()) rmdirQuiet(join(pod, child.name), left);
        rmdirQuiet(pod, left);
      }
    }
    for (const dir of ['kubepods/besteffort', 'kubepods/burstable', 'kubepods']) {
      const d = join(h, dir);
      if (existsSync(d) && !readdirSync(d, { withFileTypes: true }).some((c) => c.isDirectory())) rmdirQuiet(d, []);
    }
  }
  return left;
}

function rmdirQuiet(dir: string, left: string[]): void {
  for (let i = 0; i < 40; i++) {
    try {
      rmdirSync(dir);
      return;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
      // A task that just ended may still be counted for a moment.
      execFileSync('sleep', ['0.05']);
    }
  }
  left.push(dir);
}

/**
 * Stops the instance and removes all it made: containerd, its shims and their sockets, mounts below
 * its directory, the directory. Sandboxes must be removed through the CRI before (their ids and pod
 * uids are passed in for the shim sockets and the cgroups). Returns what could not be removed.
 */
export async function stopContainerd(instance: ContainerdInstance, sandboxes: { id: string; uid: string }[]): Promise<string[]> {
  const left: string[] = [];
  const shims = shimPids(instance.address);
  if (alive(instance.pid)) process.kill(instance.pid, 'SIGTERM');
  for (let i = 0; i < 100 && alive(instance.pid); i++) await new Promise((r) => setTimeout(r, 50));
  if (alive(instance.pid)) process.kill(instance.pid, 'SIGKILL');
  // Shims of sandboxes that were removed exit by themselves; one left is ended with what it runs.
  for (const pid of shims) if (alive(pid)) process.kill(pid, 'SIGKILL');
  for (let i = 0; i < 40 && shims.some(alive); i++) await new Promise((r) => setTimeout(r, 50));
  for (const s of sandboxes) rmSync(shimSocket(instance.address, s.id), { force: true });
  left.push(...removePodCgroups(sandboxes.map((s) => s.uid)));
  for (const m of mountsBelow(instance.dir)) {
    try {
      execFileSync('umount', ['-l', m], { stdio: 'ignore' });
    } catch {
      left.push(`mount ${m}`);
    }
  }
  rmSync(instance.dir, { recursive: true, force: true });
  if (existsSync(instance.dir)) left.push(instance.dir);
  // /run/containerd/s and /run/containerd exist for the shims only; another instance may use them.
  for (const d of [SHIM_SOCKETS, '/run/containerd']) {
    try {
      rmdirSync(d);
    } catch {
      /* in use, or not there */
    }
  }
  return left;
}
