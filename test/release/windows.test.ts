/**
 * The Windows release as a user gets it: `npm run release` for windows-amd64, its .zip unpacked, and
 * kubectl-trace_exec.exe run under Wine (Debian's wine64, installed when missing; under CI=true this
 * must run) — --help, --version, a bad flag, the names it answers to, and traces against the API
 * stand-in over 127.0.0.1 whose kubelet runs the debug pod's commands, bpftrace included, on this
 * machine: one ended by --duration, one by Ctrl-C. Paths the .exe is given are Windows paths (Z:\…, Wine's drive for /).
 */
import { tempDir, removeTempDirs } from '../support/tmp.js';
import { load } from 'js-yaml';
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { linkSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiServer, type ApiServer } from '../apiserver/index.js';
import { expectNothingLeft } from '../support/leftovers.js';
import { kernelDescribe } from '../support/kernel.js';
import { addToApi, makeWorkload, removeCgroups, runIn, type Workload } from '../support/workloads.js';
import { BASE_URL, buildRelease, ROOT, run, type Release } from './support.js';
import { createPrefix, windowsPath, wineDescribe, type Wine } from './wine.js';

const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const ZIP = `trace-exec_v${VERSION}_windows_amd64.zip`;
const wine = wineDescribe();
const k = kernelDescribe();
const sha256 = (file: string): string => createHash('sha256').update(readFileSync(file)).digest('hex');
/** Timings, printed at the end: what this test costs CI. */
const timings: string[] = [];
const took = (what: string, ms: number): void => void timings.push(`${what} ${(ms / 1000).toFixed(1)} s`);
if (wine.installMs !== null) took('apt-get install wine64 wine', wine.installMs);

let rel: Release;
let dir: string; // the unpacked zip
let w: Wine;
let exe: string;

beforeAll(async () => {
  rel = await buildRelease(['windows-amd64']);
  took('release build (windows-amd64)', rel.ms);
  dir = tempDir('trace-exec-zip-');
  execFileSync('unzip', ['-q', join(rel.out, ZIP), '-d', dir]);
  exe = join(dir, 'kubectl-trace_exec.exe');
}, 300_000);
afterAll(() => {
  w?.close();
  if (rel) rmSync(rel.out, { recursive: true, force: true });
  process.stderr.write(`windows release test: ${timings.join(', ')}\n`);
  removeTempDirs();
});

describe('npm run release --targets windows-amd64', () => {
  it('a .zip with the executable (PE, Node 22 inside) and both licenses, intact', async () => {
    expect(readdirSync(dir).sort()).toEqual(['LICENSE', 'LICENSE.node', 'kubectl-trace_exec.exe']);
    expect(readFileSync(exe).subarray(0, 2).toString('latin1'), 'a PE file').toBe('MZ');
    expect(readFileSync(join(dir, 'LICENSE.node'), 'utf8')).toMatch(/Node\.js is licensed/);
    const test = await run('unzip', ['-t', join(rel.out, ZIP)]);
    expect(test.stdout).toMatch(/No errors detected/);
    expect(rel.log).toMatch(/trace-exec_v[\d.]+_windows_amd64\.zip: [\d.]+ MB \(executable [\d.]+ MB, node 22\.\d+\.\d+\)/);
  });

  it('plugin.yaml: a windows/amd64 platform with the zip\'s sha256 and bin kubectl-trace_exec.exe; SHA256SUMS agrees', () => {
    type Platform = { selector: { matchLabels: Record<string, string> }; uri: string; sha256: string; bin: string };
    const m = load(readFileSync(join(rel.out, 'plugin.yaml'), 'utf8')) as { spec: { platforms: Platform[] } };
    const sum = sha256(join(rel.out, ZIP));
    expect(m.spec.platforms).toEqual([{ selector: { matchLabels: { os: 'windows', arch: 'amd64' } }, uri: `${BASE_URL}/${ZIP}`, sha256: sum, bin: 'kubectl-trace_exec.exe' }]);
    expect(readFileSync(join(rel.out, 'SHA256SUMS'), 'utf8')).toBe(`${sum}  ${ZIP}\n`);
  });
});

describe.skipIf(wine.skip)(`kubectl-trace_exec.exe under Wine${wine.reason ? ` (${wine.reason})` : ''}`, () => {
  beforeAll(() => {
    if (wine.reason) throw new Error(`the Wine tests must run under CI but cannot: ${wine.reason}`);
    const started = Date.now();
    w = createPrefix();
    took('Wine prefix (winecfg /v win10)', Date.now() - started);
  }, 180_000);

  it('--version: the version and commit of the build', async () => {
    const r = await w.run(exe, ['--version']);
    took('--version', r.ms);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^trace-exec ${VERSION.replaceAll('.', '\\.')}\\ncommit: ([0-9a-f]{4,40}|unknown)\\ndefault image: amd64=\\S+`));
  });

  it('--help', async () => {
    const r = await w.run(exe, ['--help']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/kubectl trace-exec node\/NAME \[flags\]/);
    expect(r.stdout).toMatch(/--kubeconfig/);
  });

  it('bad input: one line on stderr, exit 1', async () => {
    const r = await w.run(exe, ['pod/x', '--bogus']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('trace-exec: error: unknown flag --bogus (see kubectl trace-exec --help)\n');
    const missing = await w.run(exe, ['node/x', '--kubeconfig', 'Z:\\nonexistent\\kubeconfig']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^trace-exec: error: cannot load the kubeconfig \(--kubeconfig Z:\\nonexistent\\kubeconfig\): .*\n {2}hint: point --kubeconfig at a valid kubeconfig file\n$/);
  });

  it('--local says it is for Linux', async () => {
    const r = await w.run(exe, ['--local', '-d', '1s']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^trace-exec: error: --local traces the Linux kernel it runs on, and this is win32/m);
  });

  it('a link named oc-trace_exec.exe is oc trace-exec; one named kubectl_complete-trace_exec.exe completes', async () => {
    linkSync(exe, join(dir, 'oc-trace_exec.exe'));
    linkSync(exe, join(dir, 'kubectl_complete-trace_exec.exe'));
    const oc = await w.run(join(dir, 'oc-trace_exec.exe'), ['--help']);
    expect(oc.stdout).toMatch(/oc trace-exec node\/NAME \[flags\]/);
    expect(oc.stdout).not.toMatch(/kubectl trace-exec/);
    const complete = await w.run(join(dir, 'kubectl_complete-trace_exec.exe'), ['-o', 'w']);
    expect(complete.code, complete.stderr).toBe(0);
    expect(complete.stdout).toBe('wide\tlive table with node, uid, return value, container id\n:4\n');
  });

  describe.skipIf(k.skip)(`against the API stand-in${k.reason ? ` (${k.reason})` : ''}`, () => {
    let api: ApiServer;
    let kubeconfigList: string;
    let pod: Workload;
    beforeAll(async () => {
      if (k.reason) throw new Error(`must run under CI but cannot: ${k.reason}`);
      pod = makeWorkload('systemd-crio-hybrid', 'payments', 'api-7d9c6b5f4-x2kqp', [{ name: 'api' }]);
      api = await startApiServer({ podStartDelayMs: 100 });
      api.addNode('worker-1');
      api.addNode('worker-2');
      api.addNamespace('payments');
      addToApi(api, pod);
      // KUBECONFIG as Windows writes it: two files, ';' between them, drive-letter paths.
      const other = join(tempDir('trace-exec-kc-'), 'other.yaml');
      writeFileSync(
        other,
        'apiVersion: v1\nkind: Config\nclusters:\n- name: elsewhere\n  cluster:\n    server: https://127.0.0.1:1\n' +
          'users:\n- name: someone\n  user:\n    token: x\ncontexts:\n- name: elsewhere\n  context:\n    cluster: elsewhere\n    user: someone\n',
      );
      kubeconfigList = `${windowsPath(other)};${windowsPath(api.kubeconfigPath)}`;
    });
    afterAll(async () => {
      await api?.close();
      if (pod) removeCgroups([pod]);
    });

    it('KUBECONFIG=Z:\\…\\other.yaml;Z:\\…\\kubeconfig: contexts of both files, nodes through the second', async () => {
      const contexts = await w.run(join(dir, 'kubectl_complete-trace_exec.exe'), ['--context', ''], { env: { KUBECONFIG: kubeconfigList } });
      expect(contexts.stdout, contexts.stderr).toBe('elsewhere\nstandin\n:4\n');
      const nodes = await w.run(join(dir, 'kubectl_complete-trace_exec.exe'), ['--context', 'standin', 'node/w'], { env: { KUBECONFIG: kubeconfigList } });
      expect(nodes.stdout, nodes.stderr).toBe('node/worker-1\nnode/worker-2\n:4\n');
    });

    it('traces node/worker-1 for 4 s: an exec in a pod\'s cgroup on this machine, attributed to namespace/pod/container; --summary-to a Windows path; the debug pod deleted', async () => {
      const marker = `trace-exec-windows-${process.pid}`;
      let triggered = false;
      const summary = join(tempDir('trace-exec-summary-'), 'summary.txt');
      const r = await w.run(exe, ['node/worker-1', '--context', 'standin', '-o', 'json', '-d', '4s', '--summary-to', windowsPath(summary)], {
        env: { KUBECONFIG: kubeconfigList },
        timeoutMs: 120_000,
        watch: ({ stderr }) => {
          if (!triggered && /tracing execs on worker-1/.test(stderr)) {
            triggered = true;
            void runIn(pod, 'api', ['/bin/echo', marker]);
          }
        },
      });
      took('trace -d 4s', r.ms);
      expect(r.code, r.stderr).toBe(0);
      const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { args: string[] });
      expect(events.find((e) => e.args[1] === marker), r.stderr).toMatchObject({
        node: 'worker-1',
        namespace: 'payments',
        pod: 'api-7d9c6b5f4-x2kqp',
        container: 'api',
        args: ['/bin/echo', marker],
      });
      expect(r.stderr).toMatch(/^\{"kind":"trace-exec\.totals","reason":"duration".*"lost":0/m);
      expect(readFileSync(summary, 'utf8'), '--summary-to Z:\\…: checked writable at the start, written at the end').toMatch(/payments\s.*api-7d9c6b5f4-x2kqp/);
      await expectNothingLeft(api);
    }, 150_000);

    it('Ctrl-C once the exec is on stdout: stops, deletes the debug pod, exit 0', async () => {
      const marker = `trace-exec-windows-ctrl-c-${process.pid}`;
      let triggered = false;
      let interruptedAt = 0;
      const r = await w.run(exe, ['node/worker-1', '--kubeconfig', windowsPath(api.kubeconfigPath), '-o', 'json', '-d', '90s'], {
        timeoutMs: 120_000,
        watch: ({ stdout, stderr }, child) => {
          if (!triggered && /tracing execs on worker-1/.test(stderr)) {
            triggered = true;
            void runIn(pod, 'api', ['/bin/echo', marker]);
          }
          if (!interruptedAt && stdout.includes(marker)) {
            interruptedAt = Date.now();
            child.kill('SIGINT');
          }
        },
      });
      took('trace until Ctrl-C', r.ms);
      expect(interruptedAt, `the exec never reached stdout:\n${r.stderr}`).toBeGreaterThan(0);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/^\{"kind":"trace-exec\.totals","reason":"SIGINT"/m);
      took('Ctrl-C to exit', Date.now() - interruptedAt);
      await expectNothingLeft(api);
    }, 150_000);
  });
});
