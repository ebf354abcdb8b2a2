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
  it.each<[string, number | null, string | undefined, RegExp | null]>([
    ['root with bpftrace', 0, withBpftrace, null],
    ['no getuid (not POSIX) with bpftrace', null, `/nonexistent:${withBpftrace}`, null],
    ['not root', 1000, withBpftrace, /^--local needs root .*: run it with sudo/],
    ['root without bpftrace', 0, '/nonexistent', /^--local needs bpftrace, and it is not on PATH: install it/],
    ['bpftrace that is not executable', 0, notExecutable, /needs bpftrace/],
    ['no PATH at all', 0, undefined, /needs bpftrace/],
    ['neither: root is said first', 1000, '/nonexistent', /needs root/],
  ])('%s', (_what, uid, path, why) => {
    const r = whyLocalCannotTrace(uid, path);
    if (why === null) expect(r).toBeNull();
    else expect(r).toMatch(why);
    if (r) expect(r).not.toContain('\n');
  });

  it('findOnPath skips empty entries and returns the first hit', () => {
    expect(findOnPath('bpftrace', `::${notExecutable}:${withBpftrace}`)).toBe(join(withBpftrace, 'bpftrace'));
  });
});
