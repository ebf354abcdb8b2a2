import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { NODES } from './fixtures.test-helpers.js';
import { commandNotFound, MissingToolsError, missingToolsMessage, parseProbe, PROBE_COMMAND, REQUIRED_TOOLS } from './probe.js';

const which = (tool: string): string | null =>
  ['/usr/bin', '/bin', '/usr/sbin', '/sbin'].map((d) => join(d, tool)).find((p) => existsSync(p)) ?? null;
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** Runs the real probe script with PATH holding only `tools` (sh always). */
function probeWith(tools: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'trace-exec-probe-'));
  dirs.push(dir);
  for (const t of ['sh', ...tools]) {
    const found = which(t);
    if (!found) throw new Error(`this test needs ${t} on the machine`);
    symlinkSync(found, join(dir, t));
  }
  const [sh, flag, script] = PROBE_COMMAND as [string, string, string];
  return execFileSync(join(dir, sh), [flag, script], { env: { PATH: dir }, encoding: 'utf8' });
}

const missingOf = (output: string): readonly string[] | null => {
  try {
    parseProbe(output);
    return null;
  } catch (e) {
    return e instanceof MissingToolsError ? e.missing : null;
  }
};

describe('the probe names every missing command of the image contract', () => {
  it('the real script in an image with only a few tools: each missing one, bpftrace too', () => {
    // kill is a shell builtin (dash, bash, busybox): never missing where sh is.
    expect(missingOf(probeWith(['uname', 'cat', 'grep']))).toEqual(['sleep', 'touch', 'rm', 'env', 'head', 'mount', 'bpftrace']);
  });

  it('the real script with every tool of the contract but bpftrace', () => {
    const all = REQUIRED_TOOLS.filter((t) => t !== 'kill');
    expect(missingOf(probeWith(all))).toEqual(['bpftrace']);
  });

  it("names them before uname's absence can make the probe say less", () => {
    const out = `== tools\nuname\nmount\n${NODES['bpftrace-0.17-hybrid-6.18'].replace(/== uname\n[^\n]*\n/, '== uname\n')}`;
    expect(missingOf(out)).toEqual(['uname', 'mount']);
  });

  it('a probe output without the tools section (an older node side) is read as before', () => {
    expect(parseProbe(NODES['bpftrace-0.17-hybrid-6.18']).bpftrace).toEqual([0, 17, 0]);
  });

  it.each<[string, string | null]>([
    ['the debug image quay.io/x:1', 'quay.io/x:1'],
    ['this machine', null],
  ])('one line for %s', (_what, image) => {
    const m = missingToolsMessage('worker-1', ['mount', 'bpftrace'], image);
    expect(m.split('\n')).toHaveLength(1);
    expect(m).toMatch(/^worker-1: .* has no `mount`, `bpftrace`/);
    expect(m).toMatch(/\(README "The debug pod image", "The image contract"\)$/);
    if (image) expect(m).toMatch(/the debug image quay\.io\/x:1 has no .*pass --image/);
  });

  it.each<[string, string | null]>([
    [
      'sh in pod ns/p failed (OCI runtime exec failed: exec failed: unable to start container process: exec: "sh": executable file not found in $PATH: unknown): ',
      'sh',
    ],
    ['command error: exec failed: unable to start container process: exec: "sh": no such file or directory', 'sh'],
    ['sh in pod ns/p failed (exit 2): grep: bad regex', null],
  ])('commandNotFound(%j) → %s', (message, tool) => {
    expect(commandNotFound(message)).toBe(tool);
  });
});
