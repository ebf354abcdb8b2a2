/**
 * The release as a user gets it: `npm run release`'s build (for linux-amd64, darwin-amd64 and
 * darwin-arm64 only, to keep the suite quick), its archives unpacked, run without Node and without
 * the repository, found by a real kubectl, and tracing through kubectl against the API stand-in
 * with real bpftrace. The macOS executables cannot run here: their signatures and blobs are checked.
 */
import { tempDir, removeTempDirs } from '../support/tmp.js';
import { load } from 'js-yaml';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, lstatSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiServer, type ApiServer } from '../apiserver/index.js';
import { expectNothingLeft } from '../support/leftovers.js';
import { kernelDescribe } from '../support/kernel.js';
import { CLEANUP_FLAGS, MAIN_FLAGS } from '../../src/cli/completion.js';
import { parseMachO } from '../../.ci/release/macho-sign.ts';
import { verifySignature } from '../../.ci/release/macho-verify.ts';
import { DARWIN_NODE } from '../../.ci/release/darwin.ts';
import { injectSea, nodeBinary } from '../../.ci/release/sea.ts';
import { writeLauncher } from '../../.ci/release/archive.ts';
import { launcherNodeFlags } from '../../.ci/release/node-flags.ts';
import { BASE_URL, buildRelease, extract, kubectlDescribe, kubectlMinor, ROOT, run, toolsWithoutNode, type Release } from './support.js';

const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const ARCHIVE = {
  linux: `trace-exec_v${VERSION}_linux_amd64.tar.gz`,
  darwin: `trace-exec_v${VERSION}_darwin_amd64.tar.gz`, // standalone, signed ad hoc
  darwinArm: `trace-exec_v${VERSION}_darwin_arm64.tar.gz`, // standalone on Node 22, signed ad hoc (darwin.ts: DARWIN_NODE)
};
const VERSION_TEXT = new RegExp(`^trace-exec ${VERSION.replaceAll('.', '\\.')}\\ncommit: ([0-9a-f]{4,40}|unknown)\\ndefault image: amd64=\\S+:\\S+ \\(other architectures: none, give --image ARCH=IMAGE\\)\\n$`);
const k = kernelDescribe();
const kube = kubectlDescribe();
const sha256 = (file: string): string => createHash('sha256').update(readFileSync(file)).digest('hex');

let rel: Release;
let linux: string; // the unpacked linux-amd64 archive
let darwin: string;
let darwinArm: string;
let tools: string; // sh, readlink, dirname: no node
const noNode = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => ({ PATH: `${linux}:${tools}`, HOME: tmpdir(), ...extra });

beforeAll(async () => {
  rel = await buildRelease(['linux-amd64', 'darwin-amd64', 'darwin-arm64']);
  linux = extract(join(rel.out, ARCHIVE.linux));
  darwin = extract(join(rel.out, ARCHIVE.darwin));
  darwinArm = extract(join(rel.out, ARCHIVE.darwinArm));
  tools = toolsWithoutNode();
}, 300_000);
afterAll(() => {
  for (const dir of [rel?.out, linux, darwin, darwinArm, tools]) if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('npm run release', () => {
  it('builds in reasonable time, and says what it did', () => {
    expect(rel.log).toMatch(/bundle .*trace-exec\.cjs: [\d.]+ MB, inlined bpf\/trace-exec\.bt\.tmpl/);
    // The node-side scripts travel inside the executable too (src/node/tracer-command.ts reads them).
    expect(rel.log).toMatch(/inlined bpf\/trace-exec\.bt\.tmpl, bpf\/tracer\.sh, bpf\/batcher\.pl, bpf\/counter\.pl \(/);
    expect(rel.log).toMatch(/done/);
    expect(rel.ms).toBeLessThan(120_000);
  });

  it('archives hold regular files only (krew unpacks nothing else), at the top level', async () => {
    const list = await run('tar', ['-tvzf', join(rel.out, ARCHIVE.linux)]);
    for (const line of list.stdout.trim().split('\n')) expect(line, 'a regular file owned by 0/0').toMatch(/^-rw[-x]r-[-x]r-[-x] 0\/0 /);
    expect(readdirSync(linux).sort()).toEqual(['LICENSE', 'LICENSE.node', 'kubectl-trace_exec', 'kubectl_complete-trace_exec', 'oc-trace_exec']);
    expect(readdirSync(darwin).sort()).toEqual(['LICENSE', 'LICENSE.node', 'kubectl-trace_exec', 'kubectl_complete-trace_exec', 'oc-trace_exec']);
    expect(readdirSync(darwinArm).sort()).toEqual(['LICENSE', 'LICENSE.node', 'kubectl-trace_exec', 'kubectl_complete-trace_exec', 'oc-trace_exec']);
    for (const dir of [linux, darwin, darwinArm]) {
      for (const f of ['kubectl-trace_exec', 'oc-trace_exec', 'kubectl_complete-trace_exec']) expect(lstatSync(join(dir, f)).mode & 0o111, f).toBe(0o111);
      expect(readFileSync(join(dir, 'LICENSE'), 'utf8')).toMatch(/Apache License\s+Version 2\.0/);
    }
  });
});

describe('the bundle', () => {
  it('runs with nothing beside it: --help, --version', async () => {
    const dir = tempDir('trace-exec-bundle-');
    copyFileSync(join(rel.out, 'dist/trace-exec.cjs'), join(dir, 'trace-exec.cjs'));
    const help = await run(process.execPath, [join(dir, 'trace-exec.cjs'), '--help'], { cwd: dir });
    expect(help.code, help.stderr).toBe(0);
    expect(help.stdout).toMatch(/kubectl trace-exec node\/NAME \[flags\]/);
    expect(help.stdout).toMatch(/Examples:/);
    expect(help.stdout).toMatch(/--namespace/);
    const version = await run(process.execPath, [join(dir, 'trace-exec.cjs'), '--version'], { cwd: dir });
    expect(version.code, version.stderr).toBe(0);
    expect(version.stdout).toMatch(VERSION_TEXT);
  });

  it('carries the bpftrace template: reads no file of the repository at run time', () => {
    const text = readFileSync(join(rel.out, 'dist/trace-exec.cjs'), 'utf8');
    expect(text).toContain('KEEP IN SYNC with src/events/records.ts');
    expect(text).not.toContain('trace-exec.bt.tmpl');
  });
});

describe('completion knows every flag of --help', () => {
  /** "-n --namespace value" / "--local": the Options section of yargs' help, with whether each takes a value. */
  const fromHelp = async (args: string[]): Promise<string[]> => {
    const help = (await run(process.execPath, [join(rel.out, 'dist/trace-exec.cjs'), ...args])).stdout;
    const section = help.slice(help.indexOf('\nOptions:\n')).split('\n\n')[0]!;
    // An option's type tag ends its (possibly wrapped) description: up to the next option line.
    const blocks = section.split(/\n(?= {2}(?:-\w, |    )--)/).slice(1);
    return blocks
      .map((b) => {
        const m = /^ {2}(?:-(\w), | {4})--([\w-]+)/.exec(b)!;
        const type = [...b.matchAll(/\[(string|number|boolean|array)\]/g)].at(-1)?.[1];
        return `${m[1] ? `-${m[1]} ` : ''}--${m[2]}${type && type !== 'boolean' ? ' value' : ''}`;
      })
      .sort();
  };
  const fromTable = (flags: typeof MAIN_FLAGS): string[] => flags.map((f) => `${f.alias ? `-${f.alias} ` : ''}--${f.name}${f.value ? ' value' : ''}`).sort();
  const hint = 'src/cli.ts and src/cli/completion.ts disagree: add the flag to MAIN_FLAGS / CLEANUP_FLAGS there (value: a ValueKind for flags that take one)';

  it('trace-exec: the same flags, aliases, and flags that take a value', async () => {
    expect(fromTable(MAIN_FLAGS), hint).toEqual(await fromHelp(['--help']));
  });

  it('trace-exec cleanup', async () => {
    expect(fromTable(CLEANUP_FLAGS), hint).toEqual(await fromHelp(['cleanup', '--help']));
  });
});

describe('the Linux executable', () => {
  it('runs without Node: --version, with the commit it was built from', async () => {
    const r = await run(join(linux, 'kubectl-trace_exec'), ['--version'], { env: noNode() });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(VERSION_TEXT);
    if (existsSync(join(ROOT, '.git'))) expect(r.stdout, 'the commit is embedded').not.toMatch(/commit: unknown/);
    const env = await run('/usr/bin/env', ['-i', 'PATH=/usr/bin:/bin', './kubectl-trace_exec', '--version'], { cwd: linux });
    expect(env.stdout).toBe(r.stdout);
  });

  it("starts Node with bin/trace-exec's V8 flags (the SEA config's execArgv)", async () => {
    const r = await run(join(linux, 'kubectl-trace_exec'), ['node/worker-1', '-v', '--kubeconfig', join(linux, 'missing')], { env: noNode() });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`^trace-exec: debug: Node v[\\d.]+, started with ${launcherNodeFlags(ROOT).join(' ')}$`, 'm'));
  });

  it('oc-trace_exec is oc trace-exec', async () => {
    const r = await run(join(linux, 'oc-trace_exec'), ['--help'], { env: noNode() });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/oc trace-exec node\/NAME \[flags\]/);
    expect(r.stdout).not.toMatch(/kubectl trace-exec/);
  });

  it('bad input: a usage error, exit 1', async () => {
    const r = await run(join(linux, 'kubectl-trace_exec'), ['pod/x', '--bogus'], { env: noNode() });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/error: unknown flag --bogus/);
  });

  it.skipIf(k.skip)(`traces this machine with --local: the program is inside${k.reason ? ` (${k.reason})` : ''}`, async () => {
    if (k.reason) throw new Error(`must run under CI but cannot: ${k.reason}`);
    const r = await run(join(linux, 'kubectl-trace_exec'), ['--local', '-o', 'json', '-d', '2s'], { env: noNode({ PATH: `${tools}:/usr/sbin:/usr/bin:/sbin:/bin` }) });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^\{"kind":"trace-exec\.totals","reason":"duration"/m);
  });

  it.skipIf(k.skip)(`counts on the node for -o summary with the counter inside${k.reason ? ` (${k.reason})` : ''}`, async () => {
    if (k.reason) throw new Error(`must run under CI but cannot: ${k.reason}`);
    const r = await run(join(linux, 'kubectl-trace_exec'), ['--local', '-o', 'summary', '-d', '2s', '-v'], {
      env: noNode({ PATH: `${tools}:/usr/sbin:/usr/bin:/sbin:/bin` }),
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/the node counts execs and sends a count per cgroup and command/);
    expect(r.stdout).toMatch(/NAMESPACE +│? *POD/);
  });
});

const MACOS = [
  { arch: 'amd64', cputype: 0x01000007, machine: 'x86_64', dir: () => darwin },
  { arch: 'arm64', cputype: 0x0100000c, machine: 'arm64', dir: () => darwinArm },
] as const;

describe.each(MACOS.map((m) => [m.arch, m] as const))('the macOS executable (darwin-%s; cannot run here)', (_name, { arch, cputype, machine, dir }) => {
  const d = DARWIN_NODE[arch]!;
  let exe: Buffer;
  beforeAll(() => {
    exe = readFileSync(join(dir(), 'kubectl-trace_exec'));
  });

  it(`is a thin ${machine} Mach-O executable of ${d.pkg} ${d.version}, signed ad hoc, every page hash right`, () => {
    const m = parseMachO(exe);
    expect(m.cputype).toBe(cputype);
    expect(m.filetype).toBe(2);
    const r = verifySignature(exe);
    expect(r.problems).toEqual([]);
    expect(r.adhoc).toBe(true);
    expect(r.codeDirectories.map((c) => [c.identifier, c.checked.code === c.nCodeSlots])).toEqual([['kubectl-trace_exec', true]]);
    expect(readFileSync(join(dir(), 'LICENSE.node'), 'utf8')).toMatch(/Node\.js is licensed for use as follows/);
  });

  it('carries the bundle in section __NODE_SEA_BLOB of segment NODE_SEA, the fuse flipped', () => {
    const seg = parseMachO(exe).segments.find((s) => s.name === 'NODE_SEA');
    expect(seg?.sections.map((s) => s.name)).toEqual(['__NODE_SEA_BLOB']);
    const blob = exe.subarray(seg!.sections[0]!.offset, seg!.sections[0]!.offset + seg!.sections[0]!.size);
    expect(blob.includes(readFileSync(join(rel.out, 'dist/trace-exec.cjs')))).toBe(true);
    expect(exe.includes('NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2:1')).toBe(true);
    expect(exe.includes('NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2:0')).toBe(false);
  });

  it(`its blob is one that Node ${d.version} runs: injected into the Linux build of that version, --version`, async () => {
    const seg = parseMachO(exe).segments.find((s) => s.name === 'NODE_SEA')!;
    const tmp = tempDir('trace-exec-darwin-blob-');
    writeFileSync(join(tmp, 'blob'), exe.subarray(seg.sections[0]!.offset, seg.sections[0]!.offset + seg.sections[0]!.size));
    const node = nodeBinary(process.arch === 'arm64' ? 'arm64' : 'x64', d.version, join(ROOT, 'release/cache'));
    injectSea(node.node, join(tmp, 'blob'), join(tmp, 'kubectl-trace_exec'));
    const r = await run(join(tmp, 'kubectl-trace_exec'), ['--version'], { env: noNode() });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(VERSION_TEXT);
  }, 60_000);

  it('oc-trace_exec and kubectl_complete-trace_exec are the launchers run in the Linux tests', () => {
    for (const name of ['oc-trace_exec', 'kubectl_complete-trace_exec']) {
      expect(readFileSync(join(dir(), name), 'utf8')).toBe(readFileSync(join(linux, name), 'utf8'));
    }
  });
});

/**
 * The launchers a macOS archive carries when the registry serves no maintained Node for its
 * architecture (darwin.ts: DARWIN_NODE null; none today): the bundle, run by the user's node.
 */
describe('the macOS launcher (POSIX sh, run here)', () => {
  let darwinLauncher: string;
  beforeAll(() => {
    darwinLauncher = tempDir('trace-exec-launcher-');
    copyFileSync(join(rel.out, 'dist/trace-exec.cjs'), join(darwinLauncher, 'trace-exec.cjs'));
    for (const name of ['kubectl-trace_exec', 'oc-trace_exec', 'kubectl_complete-trace_exec']) writeLauncher(join(darwinLauncher, name), join(ROOT, '.ci/release/launch-node.sh'), name, VERSION, launcherNodeFlags(ROOT));
  });
  /** A PATH with the tools and a `node` that is process.execPath (Node 24) or a stand-in. */
  const pathWith = (node: string | null): string => {
    const dir = tempDir('trace-exec-node-');
    if (node) writeFileSync(join(dir, 'node'), node, { mode: 0o755 });
    return `${dir}:${tools}`;
  };

  it('runs the bundle beside it with a node >= 22.19 from PATH', async () => {
    const env = { PATH: pathWith(`#!/bin/sh\nexec "${process.execPath}" "$@"\n`), HOME: tmpdir() };
    const r = await run(join(darwinLauncher, 'kubectl-trace_exec'), ['--version'], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(VERSION_TEXT);
    const oc = await run(join(darwinLauncher, 'oc-trace_exec'), ['--help'], { env });
    expect(oc.stdout).toMatch(/oc trace-exec node\/NAME/);
    const complete = await run(join(darwinLauncher, 'kubectl_complete-trace_exec'), ['-o', 'w'], { env });
    expect(complete.stdout).toBe('wide\tlive table with node, uid, return value, container id\n:4\n');
    const debug = await run(join(darwinLauncher, 'kubectl-trace_exec'), ['node/worker-1', '-v', '--kubeconfig', join(darwinLauncher, 'missing')], { env });
    expect(debug.stderr, "bin/trace-exec's V8 flags").toMatch(new RegExp(`^trace-exec: debug: Node v[\\d.]+, started with ${launcherNodeFlags(ROOT).join(' ')}$`, 'm'));
  });

  it('says what to install when node is missing or too old, exit 127', async () => {
    const missing = await run(join(darwinLauncher, 'kubectl-trace_exec'), ['--version'], { env: { PATH: pathWith(null) } });
    expect(missing.code).toBe(127);
    expect(missing.stderr).toMatch(/needs Node\.js 22\.19 or newer \(found: none\)/);
    expect(missing.stderr).toMatch(/brew install node@24/);
    const old = await run(join(darwinLauncher, 'kubectl-trace_exec'), ['--version'], {
      env: { PATH: pathWith('#!/bin/sh\nif [ "$1" = --version ]; then echo v20.11.1; exit 0; fi\nexit 1\n') },
    });
    expect(old.code).toBe(127);
    expect(old.stderr).toMatch(/found: v20\.11\.1 at \//);
  });
});

describe('release plugin.yaml (krew manifest)', () => {
  type Platform = { selector: { matchLabels: { os: string; arch: string } }; uri: string; sha256: string; bin: string };
  type Manifest = { apiVersion: string; kind: string; metadata: { name: string }; spec: Record<string, unknown> & { platforms: Platform[] } };
  let m: Manifest;
  beforeAll(() => {
    m = load(readFileSync(join(rel.out, 'plugin.yaml'), 'utf8')) as Manifest;
  });

  it('has what krew requires', () => {
    expect(m.apiVersion).toBe('krew.googlecontainertools.github.com/v1alpha2');
    expect(m.kind).toBe('Plugin');
    expect(m.metadata.name).toBe('trace-exec');
    expect(m.metadata.name).toMatch(/^[a-z0-9][a-z0-9-]*$/);
    expect(m.spec.version).toBe(`v${VERSION}`);
    for (const k of ['homepage', 'shortDescription', 'description', 'caveats']) expect(m.spec[k], k).toMatch(/\S/);
    expect(String(m.spec.shortDescription).length).toBeLessThanOrEqual(80);
    expect(m.spec.caveats).toMatch(/privileged/);
  });

  it('lists each archive built, with its sha256, uri under RELEASE_BASE_URL and the plugin binary', () => {
    expect(m.spec.platforms.map((p) => p.selector.matchLabels)).toEqual([
      { os: 'linux', arch: 'amd64' },
      { os: 'darwin', arch: 'amd64' },
      { os: 'darwin', arch: 'arm64' },
    ]);
    for (const p of m.spec.platforms) {
      const archive = `trace-exec_v${VERSION}_${p.selector.matchLabels.os}_${p.selector.matchLabels.arch}.tar.gz`;
      expect(p.uri).toBe(`${BASE_URL}/${archive}`);
      expect(p.sha256).toMatch(/^[0-9a-f]{64}$/);
      expect(p.sha256, archive).toBe(sha256(join(rel.out, archive)));
      expect(p.bin).toBe('kubectl-trace_exec');
    }
    expect(readFileSync(join(rel.out, 'SHA256SUMS'), 'utf8')).toBe(m.spec.platforms.map((p) => `${p.sha256}  ${p.uri.split('/').pop()}\n`).join(''));
  });

  it('describes the plugin as the repository\'s plugin.yaml does', () => {
    const repo = load(readFileSync(join(ROOT, 'plugin.yaml'), 'utf8')) as Manifest;
    for (const k of ['homepage', 'shortDescription', 'description', 'caveats']) expect(m.spec[k], k).toBe(repo.spec[k]);
  });
});

describe.skipIf(kube.skip)(`a real kubectl finds the plugin${kube.reason ? ` (${kube.reason})` : ''}`, () => {
  const kubectl = (args: string[]) => run(kube.path!, args, { env: noNode() });
  beforeAll(() => {
    if (kube.reason) throw new Error(`the kubectl tests must run under CI but cannot: ${kube.reason}`);
  });

  it('kubectl plugin list', async () => {
    const r = await kubectl(['plugin', 'list']);
    expect(r.stdout).toContain(join(linux, 'kubectl-trace_exec'));
    expect(r.stdout).not.toContain('kubectl_complete-trace_exec'); // a completion hook, not a plugin
    expect(r.stderr).not.toMatch(/warning/i);
  });

  it('kubectl trace-exec --help and --version', async () => {
    const help = await kubectl(['trace-exec', '--help']);
    expect(help.code, help.stderr).toBe(0);
    expect(help.stdout).toMatch(/kubectl trace-exec node\/NAME \[flags\]/);
    expect(help.stdout).toMatch(/Examples:/);
    const version = await kubectl(['trace-exec', '--version']);
    expect(version.stdout).toMatch(VERSION_TEXT);
  });
});

describe.skipIf(kube.skip || k.skip)(`through kubectl against the API stand-in${kube.reason || k.reason ? ` (${kube.reason ?? k.reason})` : ''}`, () => {
  let api: ApiServer;
  beforeAll(async () => {
    if (kube.reason || k.reason) throw new Error(`must run under CI but cannot: ${kube.reason ?? k.reason}`);
    api = await startApiServer({ podStartDelayMs: 100 });
    api.addNode('worker-1');
    api.addNode('worker-2');
    api.addNode('control-plane');
    for (const ns of ['payments', 'shop']) api.addNamespace(ns);
  });
  afterAll(async () => {
    await api?.close();
  });

  it('kubectl trace-exec node/worker-1 --kubeconfig K -o json -d 3s: execs as JSON lines, totals, nothing left', async () => {
    const marker = `trace-exec-release-${process.pid}`;
    let triggered = false;
    const r = await run(kube.path!, ['trace-exec', 'node/worker-1', '--kubeconfig', api.kubeconfigPath, '-o', 'json', '-d', '3s'], {
      env: noNode(),
      timeoutMs: 90_000,
      onStderr: (all) => {
        if (!triggered && /tracing execs on worker-1/.test(all)) {
          triggered = true;
          void run('/bin/echo', [marker]);
        }
      },
    });
    expect(r.code, r.stderr).toBe(0);
    const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { node: string; args: string[] });
    expect(events.find((e) => e.args[1] === marker), r.stderr).toMatchObject({ node: 'worker-1', args: ['/bin/echo', marker] });
    const totals = JSON.parse(r.stderr.split('\n').find((l) => l.startsWith('{"kind":"trace-exec.totals"'))!) as { reason: string; lost: number };
    expect(totals).toMatchObject({ reason: 'duration', lost: 0 });
    await expectNothingLeft(api);
  }, 120_000);

  const complete = (args: string[]) => run(join(linux, 'kubectl_complete-trace_exec'), args, { env: noNode({ KUBECONFIG: api.kubeconfigPath }) });

  it.each<[string[], string]>([
    [['node/wo'], 'node/worker-1\nnode/worker-2\n:4\n'],
    [['nodes/c'], 'nodes/control-plane\n:4\n'],
    [['-n', ''], 'default\nkube-node-lease\nkube-public\nkube-system\npayments\nshop\n:4\n'],
    [['node/worker-1', '-n', 'pay'], 'payments\n:4\n'],
    [['-n', 'payments,s'], 'payments,shop\n:4\n'],
    [['-o', ''], 'table\tlive table (default)\nwide\tlive table with node, uid, return value, container id\njson\tone JSON object per exec\nsummary\tcounts per namespace / pod / container at the end\n:4\n'],
    [['--context', ''], 'standin\n:4\n'],
  ])('kubectl_complete-trace_exec %j', async (args, expected) => {
    const r = await complete(args);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(expected);
  });

  it('honours --kubeconfig and --context typed on the line', async () => {
    const r = await run(join(linux, 'kubectl_complete-trace_exec'), ['--kubeconfig', api.kubeconfigPath, '--context', 'standin', 'node/w'], { env: noNode() });
    expect(r.stdout).toBe('node/worker-1\nnode/worker-2\n:4\n');
    const bad = await run(join(linux, 'kubectl_complete-trace_exec'), ['--kubeconfig', api.kubeconfigPath, '--context', 'nope', 'node/w'], { env: noNode() });
    expect(bad.code).toBe(0);
    expect(bad.stdout).toBe(':1\n');
    expect(bad.stderr).toMatch(/--context "nope" is not in the kubeconfig/);
  });

  it('kubectl itself completes through kubectl_complete-trace_exec (kubectl 1.26+)', async (ctx) => {
    const minor = await kubectlMinor(kube.path!);
    if (minor === null || minor < 26) ctx.skip(`kubectl 1.${minor} has no plugin completion (1.26+)`);
    const r = await run(kube.path!, ['__complete', 'trace-exec', 'node/wo'], { env: noNode({ KUBECONFIG: api.kubeconfigPath }) });
    expect(r.stdout).toBe('node/worker-1\nnode/worker-2\n:4\n');
  });

  it('`completion bash` completes kubectl-trace_exec typed directly, in a real bash', async () => {
    const script = (await run(join(linux, 'kubectl-trace_exec'), ['completion', 'bash'], { env: noNode() })).stdout;
    const complete = async (line: string): Promise<string[]> => {
      const r = await run(
        'bash',
        ['-c', `${script}\nCOMP_LINE="$1"; COMP_POINT=\${#COMP_LINE}; read -ra COMP_WORDS <<<"$1"; COMP_CWORD=$(( \${#COMP_WORDS[@]} - 1 )); _trace_exec_complete; printf '%s\\n' "\${COMPREPLY[@]}"`, 'bash', line],
        { env: noNode({ KUBECONFIG: api.kubeconfigPath }) },
      );
      expect(r.code, r.stderr).toBe(0);
      return r.stdout.split('\n').filter((l) => l !== '');
    };
    expect(await complete('kubectl-trace_exec node/w')).toEqual(['node/worker-1', 'node/worker-2']);
    expect(await complete('oc-trace_exec node/worker-1 -n p')).toEqual(['payments']);
    expect(await complete('kubectl-trace_exec -o s')).toEqual(['summary']);
    expect(await complete('kubectl-trace_exec --output=j')).toEqual(['json']); // bash's word starts after '='
  });
});

afterAll(removeTempDirs);
