/**
 * --local without root or without bpftrace: one line on stderr saying what to do, exit 1, and
 * nothing at all on stdout (no table header first).
 */
import { chmodSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI, startCli } from '../support/cli.js';
import { removeTempDirs, tempDir } from '../support/tmp.js';

afterAll(removeTempDirs);

describe('--local checks before it prints anything', () => {
  it('without root', async () => {
    // As root, drop to nobody for this one run; otherwise this process is not root already.
    const asRoot = process.getuid?.() === 0;
    const argv = [process.execPath, CLI, '--local', '-d', '2s'];
    const r = await execa(asRoot ? 'setpriv' : argv[0]!, asRoot ? ['--reuid=65534', '--regid=65534', '--clear-groups', ...argv] : argv.slice(1), {
      reject: false,
      stdin: 'ignore',
      env: { FORCE_COLOR: '0' },
    });
    expect(r.exitCode, r.stderr).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^trace-exec: error: --local needs root \(bpftrace loads BPF programs\): run it with sudo, e\.g\. sudo kubectl-trace_exec --local$/);
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
    expect(r.stderr).toMatch(/^trace-exec: error: --local needs bpftrace, and it is not on PATH: install it \(Debian\/Ubuntu: apt-get install bpftrace; in a checkout: npm run setup-host\)\n$/);
  });

  it('bpftrace that fails to trace: its error, and no table header before it', async () => {
    if (process.getuid?.() !== 0) return; // reached only as root
    // A bpftrace that answers --version as the real one and refuses to trace.
    const bin = join(tempDir('trace-exec-badbpftrace-'), 'bin');
    mkdirSync(bin);
    writeFileSync(join(bin, 'bpftrace'), '#!/bin/sh\n[ "$1" = --version ] && exec /usr/bin/bpftrace "$@"\necho "ERROR: could not attach probe (a test stand-in)" >&2\nexit 1\n');
    chmodSync(join(bin, 'bpftrace'), 0o755);
    const r = await startCli(['--local', '-d', '5s'], { PATH: `${bin}:${process.env.PATH ?? '/usr/bin:/bin'}` }).done();
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/bpftrace on \S+ exited with code 1 before the trace was stopped:\n.*could not attach probe/);
  });
});
