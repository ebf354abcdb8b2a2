/**
 * The linux-arm64 release archive, run for real: its executable (Node's linux-arm64 binary with the
 * bundle injected) under qemu-user with Debian's arm64 runtimes, without Node and without the
 * repository — --version, bad input, and a trace of this machine's node through the API stand-in,
 * whose kubelet runs the debug pod's commands (real bpftrace) here. The client is the arm64 code.
 */
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiServer, type ApiServer } from '../apiserver/index.js';
import { expectNothingLeft } from '../support/leftovers.js';
import { kernelDescribe } from '../support/kernel.js';
import { ARM64_SYSROOT, qemuAarch64, qemuDescribe } from './qemu.js';
import { buildRelease, extract, ROOT, run, type Release } from './support.js';

const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const q = qemuDescribe();
const k = kernelDescribe();

describe.skipIf(q.skip)(`the linux-arm64 executable under qemu-user${q.reason ? ` (${q.reason})` : ''}`, () => {
  let rel: Release;
  let dir: string;
  let exe: string;
  // qemu-aarch64 -L: the arm64 loader and libraries come from the sysroot; no PATH with node on it.
  const arm64 = (args: string[], opts: Parameters<typeof run>[2] = {}) =>
    run(qemuAarch64(), ['-L', ARM64_SYSROOT, exe, ...args], { env: { PATH: '/usr/bin:/bin', HOME: tmpdir() }, timeoutMs: 120_000, ...opts });

  beforeAll(async () => {
    if (q.reason) throw new Error(`must run under CI but cannot: ${q.reason}`);
    rel = await buildRelease(['linux-arm64']);
    dir = extract(join(rel.out, `trace-exec_v${VERSION}_linux_arm64.tar.gz`));
    exe = join(dir, 'kubectl-trace_exec');
  }, 300_000);
  afterAll(() => {
    for (const d of [rel?.out, dir]) if (d) rmSync(d, { recursive: true, force: true });
  });

  it('is an aarch64 ELF executable (it cannot run here without qemu)', () => {
    const head = readFileSync(exe).subarray(0, 20);
    expect(head.subarray(0, 4).toString('latin1')).toBe('\x7fELF');
    expect(head.readUInt16LE(18), 'e_machine EM_AARCH64').toBe(183);
  });

  it('--version and --help', async () => {
    const v = await arm64(['--version']);
    expect(v.code, v.stderr).toBe(0);
    expect(v.stdout).toMatch(new RegExp(`^trace-exec ${VERSION.replaceAll('.', '\\.')}\\ncommit: `));
    const h = await arm64(['--help']);
    expect(h.code, h.stderr).toBe(0);
    expect(h.stdout).toMatch(/kubectl trace-exec node\/NAME \[flags\]/);
  });

  it('bad input: a usage error, exit 1', async () => {
    const r = await arm64(['pod/x', '--bogus']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/error: unknown flag --bogus/);
  });

  describe.skipIf(k.skip)(`a trace through the API stand-in${k.reason ? ` (${k.reason})` : ''}`, () => {
    let api: ApiServer;
    beforeAll(async () => {
      if (k.reason) throw new Error(`must run under CI but cannot: ${k.reason}`);
      api = await startApiServer({ podStartDelayMs: 100 });
      api.addNode('worker-1');
    });
    afterAll(async () => {
      await api?.close();
    });

    it('node/worker-1 -o json -d 4s: the marker exec, totals, nothing left', async () => {
      const marker = `trace-exec-arm64-${process.pid}`;
      let triggered = false;
      const r = await arm64(['node/worker-1', '--kubeconfig', api.kubeconfigPath, '-o', 'json', '-d', '4s'], {
        onStderr: (all) => {
          if (!triggered && /tracing execs on worker-1/.test(all)) {
            triggered = true;
            void run('/bin/echo', [marker]);
          }
        },
      });
      expect(r.code, r.stderr).toBe(0);
      const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string; node: string; args: string[] });
      expect(events.find((e) => e.args[1] === marker), r.stderr).toMatchObject({ type: 'exec', node: 'worker-1', args: ['/bin/echo', marker] });
      const totals = JSON.parse(r.stderr.split('\n').find((l) => l.startsWith('{"kind":"trace-exec.totals"'))!) as { reason: string; lost: number };
      expect(totals).toMatchObject({ reason: 'duration', lost: 0 });
      await expectNothingLeft(api);
    }, 150_000);
  });
});
