/**
 * --local without root or without bpftrace: one line on stderr saying what to do, exit 1, and
 * nothing at all on stdout (no table header first).
 */
import { chmodSync, copyFileSync, linkSync, mkdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundle } from '../../.ci/release/bundle.ts';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI, startCli } from '../support/cli.js';
import { removeTempDirs, tempDir } from '../support/tmp.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

afterAll(removeTempDirs);

const NOBODY = 65534;

/**
 * The CLI and Node where uid 65534 can run them: the checkout may sit where that user cannot reach
 * (a root user's clone under /root, mode 700; a mktemp -d directory), and so may the Node binary.
 * The CLI is bundled from the same source with every dependency (the release's own bundle), so a
 * directory of its own needs nothing else; Node is hard-linked (the same file) or else copied.
 */
async function reachableByNobody(): Promise<{ node: string; cli: string; cwd: string }> {
  const dir = tempDir('trace-exec-nobody-');
  chmodSync(dir, 0o755);
  for (let d = dir; d !== dirname(d); d = dirname(d)) {
    const st = statSync(d);
    if ((st.mode & 0o001) === 0 && st.uid !== NOBODY)
      throw new Error(`${d} cannot be entered by uid ${NOBODY}: point TMPDIR at a directory it can reach`);
  }
  const cli = join(dir, 'trace-exec.cjs');
  await bundle(ROOT, cli, 'test');
  chmodSync(cli, 0o644);
  const node = join(dir, 'node');
  try {
    linkSync(process.execPath, node);
    // A link shares the original's mode: changing it here would change the user's Node.
    if ((statSync(node).mode & 0o005) !== 0o005) throw new Error('not readable and executable by others');
  } catch {
    rmSync(node, { force: true });
    copyFileSync(process.execPath, node);
    chmodSync(node, 0o755);
  }
  return { node, cli, cwd: dir };
}

describe('--local checks before it prints anything', () => {
  it('without root', async () => {
    // As root, drop to nobody for this one run; otherwise this process is not root already.
    const asRoot = process.getuid?.() === 0;
    const { node, cli, cwd } = asRoot ? await reachableByNobody() : { node: process.execPath, cli: CLI, cwd: process.cwd() };
    const argv = [node, cli, '--local', '-d', '2s'];
    const r = await execa(
      asRoot ? 'setpriv' : argv[0]!,
      asRoot ? ['--reuid=65534', '--regid=65534', '--clear-groups', ...argv] : argv.slice(1),
      {
        reject: false,
        stdin: 'ignore',
        cwd,
        env: { FORCE_COLOR: '0' },
      },
    );
    expect(r.exitCode, r.stderr).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(
      /^trace-exec: error: --local needs root \(bpftrace loads BPF programs\): run it with sudo, e\.g\. sudo kubectl-trace_exec --local$/,
    );
  });

  it('without bpftrace on PATH', async () => {
    // A PATH with node and nothing else.
    const bin = join(tempDir('trace-exec-nobpftrace-'), 'bin');
    mkdirSync(bin);
    symlinkSync(process.execPath, join(bin, 'node'));
    const r = await startCli(['--local', '-d', '2s', '-o', 'wide'], { PATH: bin }).done();
    if (process.getuid?.() !== 0) {
      expect(r.stderr).toMatch(/needs root/); // said first; the bpftrace check needs root to be reached
      return;
    }
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(
      /^trace-exec: error: --local needs bpftrace, and it is not on PATH: install it \(Debian\/Ubuntu: apt-get install bpftrace; in a checkout: npm run setup-host\)\n$/,
    );
  });

  it('bpftrace that fails to trace: its error, and no table header before it', async () => {
    if (process.getuid?.() !== 0) return; // reached only as root
    // A bpftrace that answers --version as the real one and refuses to trace.
    const bin = join(tempDir('trace-exec-badbpftrace-'), 'bin');
    mkdirSync(bin);
    writeFileSync(
      join(bin, 'bpftrace'),
      '#!/bin/sh\n[ "$1" = --version ] && exec /usr/bin/bpftrace "$@"\necho "ERROR: could not attach probe (a test stand-in)" >&2\nexit 1\n',
    );
    chmodSync(join(bin, 'bpftrace'), 0o755);
    const r = await startCli(['--local', '-d', '5s'], { PATH: `${bin}:${process.env.PATH ?? '/usr/bin:/bin'}` }).done();
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/bpftrace on \S+ exited with code 1 before the trace was stopped:\n.*could not attach probe/);
  });
});
