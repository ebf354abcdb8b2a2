import { afterAll, describe, expect, it } from 'vitest';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { removeTempDirs, tempDir } from '../../test/support/tmp.js';
import { findOnPath, whyLocalCannotTrace } from './preflight.js';

const withBpftrace = tempDir('trace-exec-path-');
const notExecutable = tempDir('trace-exec-path-');
writeFileSync(join(withBpftrace, 'bpftrace'), '#!/bin/sh\n');
chmodSync(join(withBpftrace, 'bpftrace'), 0o755);
writeFileSync(join(notExecutable, 'bpftrace'), '');
chmodSync(join(notExecutable, 'bpftrace'), 0o644);
afterAll(removeTempDirs);

describe('whyLocalCannotTrace', () => {
  it.each<[string, NodeJS.Platform, number | null, string | undefined, RegExp | null]>([
    ['root with bpftrace', 'linux', 0, withBpftrace, null],
    ['no getuid with bpftrace', 'linux', null, `/nonexistent:${withBpftrace}`, null],
    ['not root', 'linux', 1000, withBpftrace, /^--local needs root .*: run it with sudo/],
    ['root without bpftrace', 'linux', 0, '/nonexistent', /^--local needs bpftrace, and it is not on PATH: install it/],
    ['bpftrace that is not executable', 'linux', 0, notExecutable, /needs bpftrace/],
    ['no PATH at all', 'linux', 0, undefined, /needs bpftrace/],
    ['neither: root is said first', 'linux', 1000, '/nonexistent', /needs root/],
    [
      'Windows (no getuid): Linux only, said first',
      'win32',
      null,
      withBpftrace,
      /^--local traces the Linux kernel it runs on, and this is win32: trace a cluster node instead/,
    ],
    ['macOS, even as root', 'darwin', 0, withBpftrace, /this is darwin/],
  ])('%s', (_what, platform, uid, path, why) => {
    const r = whyLocalCannotTrace(platform, uid, path);
    if (why === null) expect(r).toBeNull();
    else expect(r).toMatch(why);
    if (r) expect(r).not.toContain('\n');
  });

  it('findOnPath skips empty entries and returns the first hit', () => {
    expect(findOnPath('bpftrace', `::${notExecutable}:${withBpftrace}`)).toBe(join(withBpftrace, 'bpftrace'));
  });
});
