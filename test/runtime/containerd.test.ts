/**
 * The test bed itself, on the real runtime: the shared private containerd answers the CRI, runs a
 * sandbox and a container from the locally built images in the kubelet-shaped cgroups the caller
 * asks for, in every hierarchy, and a removed sandbox takes its containers, shim and cgroups along.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cgroupHierarchies, removePodCgroups, shimPids, shimSocket } from './containerd.js';
import type { PodSandboxConfig } from './cri.js';
import { writeOciArchive } from './oci-image.js';
import { runtimeDescribe, sharedRuntime, type Runtime } from './shared.js';
import { BUSYBOX, WORKLOAD_IMAGE } from './test-images.js';
import { removeTempDirs, tempDir } from '../support/tmp.js';

const r = runtimeDescribe();

describe('OCI archives', () => {
  afterAll(removeTempDirs);
  it('are the same bytes for the same inputs', () => {
    const dir = tempDir('trace-exec-oci-');
    const spec = {
      name: 'trace-exec.test/x:1',
      files: { '/bin/busybox': { file: BUSYBOX }, '/bin/sh': { symlink: 'busybox' } },
      cmd: ['/bin/sh'],
    };
    const a = writeOciArchive(spec, join(dir, 'a.tar'));
    const b = writeOciArchive(spec, join(dir, 'b.tar'));
    expect(a).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(b).toBe(a);
    expect(readFileSync(join(dir, 'a.tar')).equals(readFileSync(join(dir, 'b.tar')))).toBe(true);
  });
});

describe.skipIf(r.skip)(`the shared containerd${r.reason ? ` (${r.reason})` : ''}`, () => {
  let rt: Runtime;
  const uid = randomUUID();
  const parent = `/kubepods/besteffort/pod${uid}`;
  const sandboxConfig: PodSandboxConfig = {
    metadata: { name: 'bed', uid, namespace: 'test-bed', attempt: 0 },
    linux: { cgroupParent: parent, securityContext: { namespaceOptions: { network: 'NODE', pid: 'CONTAINER', ipc: 'POD' } } },
  };
  let sandbox = '';
  let container = '';

  beforeAll(async () => {
    if (r.reason) throw new Error(`real-runtime tests must run under CI but cannot: ${r.reason}`);
    rt = await sharedRuntime();
  });

  afterAll(async () => {
    if (sandbox) {
      await rt.cri.stopPodSandbox(sandbox).catch(() => {});
      await rt.cri.removePodSandbox(sandbox).catch(() => {});
    }
    removePodCgroups([uid]);
  });

  it('answers the CRI v1 API', async () => {
    expect(await rt.cri.version()).toMatchObject({ runtimeName: 'containerd', runtimeApiVersion: 'v1' });
  });

  it('runs a container from the workload image in kubelet-shaped cgroups of every hierarchy', async () => {
    sandbox = await rt.cri.runPodSandbox(sandboxConfig);
    container = await rt.cri.createContainer(
      sandbox,
      {
        metadata: { name: 'sleeper' },
        image: { image: WORKLOAD_IMAGE },
        command: ['sleep', '300'],
        linux: { securityContext: { namespaceOptions: { network: 'NODE', pid: 'CONTAINER', ipc: 'POD' } } },
      },
      sandboxConfig,
    );
    await rt.cri.startContainer(container);
    expect(await rt.cri.containerStatus(container)).toMatchObject({ state: 'CONTAINER_RUNNING' });
    for (const h of cgroupHierarchies()) expect(existsSync(join(h, parent, container)), `${h}${parent}/${container}`).toBe(true);
    expect(shimPids(rt.instance.address).length).toBeGreaterThan(0);
    expect(existsSync(shimSocket(rt.instance.address, sandbox))).toBe(true);
  });

  it("removes the containers, the shim and its socket, and the containers' cgroups with the sandbox", async () => {
    await rt.cri.stopPodSandbox(sandbox);
    await rt.cri.removePodSandbox(sandbox);
    expect(await rt.cri.listContainers(sandbox)).toEqual([]);
    expect((await rt.cri.listPodSandbox()).map((s) => s.id)).not.toContain(sandbox);
    for (let i = 0; i < 40 && existsSync(shimSocket(rt.instance.address, sandbox)); i++) await new Promise((res) => setTimeout(res, 50));
    expect(existsSync(shimSocket(rt.instance.address, sandbox))).toBe(false);
    for (const h of cgroupHierarchies()) expect(existsSync(join(h, parent, container))).toBe(false);
    // The pod's own directory is the kubelet's to remove, as on a real node.
    expect(removePodCgroups([uid])).toEqual([]);
    for (const h of cgroupHierarchies()) expect(existsSync(join(h, parent))).toBe(false);
    sandbox = '';
  });
});
