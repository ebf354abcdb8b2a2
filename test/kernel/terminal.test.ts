/**
 * The live table in a real terminal: the built CLI runs `--local` inside tmux at 80, 120 and 200
 * columns (and -o wide at 80, 120 and 140, -o summary at 80) while this test execs marked commands,
 * and what tmux shows is read back. No line may wrap (tmux's joined and unjoined captures agree), the
 * header is the one src/output/live.ts lays out for that width and has PID (one node: no NODE), a
 * PATH search is one row, a failed exec says ENOENT. `report -o summary` of a recording fits 80, 120
 * and 200 columns the same way. tmux comes from Debian (installed here when missing; needs root, as
 * the kernel tests do).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI } from '../support/cli.js';
import { TestCgroup, execIn, hex32, kernelDescribe, removeAll } from '../support/kernel.js';
import { removeTempDirs, tempDir } from '../support/tmp.js';
import { LiveTable } from '../../src/output/live.js';
import { formatJsonLine } from '../../src/output/json.js';
import { T0, hostEvent, podEvent } from '../../src/output/fixtures.test-helpers.js';
import { displayWidth } from '../../src/output/width.js';

const k = kernelDescribe();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function ensureTmux(): void {
  try {
    execFileSync('tmux', ['-V'], { stdio: 'ignore' });
  } catch {
    execFileSync('apt-get', ['install', '-y', '--no-install-recommends', 'tmux'], {
      stdio: 'inherit',
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
  }
}

/**
 * A tmux server of our own (its socket in the test's temp dir), so that nothing of the user's is
 * touched. It runs in the foreground (-D) as our child: a daemonized server would be left to PID 1,
 * which in some sandboxes never reaps it.
 */
class Tmux {
  private readonly server: ChildProcess;
  constructor(private readonly socket: string) {
    this.server = spawn('tmux', ['-S', socket, '-f', '/dev/null', '-D'], { stdio: 'ignore' });
  }
  /** Resolves once the server answers on its socket. */
  async ready(): Promise<void> {
    for (let i = 0; ; i++) {
      try {
        this.tmux('start-server');
        if (existsSync(this.socket)) return;
      } catch (e) {
        if (i > 100) throw e;
      }
      await sleep(50);
    }
  }
  tmux(...args: string[]): string {
    return execFileSync('tmux', ['-S', this.socket, '-f', '/dev/null', ...args], { encoding: 'utf8' });
  }
  /** The pane's rows (with its history); joined: wrapped lines as one. */
  capture(joined: boolean): string[] {
    const out = this.tmux('capture-pane', '-p', '-t', 't', '-S', '-', '-E', '-', ...(joined ? ['-J'] : []));
    return out.replace(/\n+$/, '').split('\n');
  }
  async kill(): Promise<void> {
    try {
      this.tmux('kill-server');
    } catch {
      // already gone
    }
    if (this.server.exitCode === null && this.server.signalCode === null) {
      const exited = new Promise((r) => this.server.once('exit', r));
      this.server.kill('SIGTERM');
      await exited;
    }
    rmSync(this.socket, { force: true });
  }
}

describe.skipIf(k.skip)(`the live table in a real terminal${k.reason ? ` (${k.reason})` : ''}`, () => {
  const servers: Tmux[] = [];
  const cgroups: TestCgroup[] = [];
  const dir = tempDir('trace-exec-terminal-');
  let unit: TestCgroup;

  beforeAll(() => {
    if (k.reason) throw new Error(`real-kernel tests must run under CI but cannot: ${k.reason}`);
    ensureTmux();
    // A host service with a long unit name: POD shows it, cut in the middle on narrow terminals.
    unit = new TestCgroup(`system.slice/trace-exec-test-unit-with-a-rather-long-name-${hex32().slice(0, 8)}.service`, ['v1', 'v2']);
    cgroups.push(unit);
  });

  afterAll(async () => {
    for (const t of servers) await t.kill();
    removeAll(cgroups);
    removeTempDirs();
  });

  /** Runs the CLI in a terminal `width` columns wide while the marked execs happen; returns the rows tmux shows. */
  async function traceIn(width: number, output: 'table' | 'wide' | 'summary', mark: string): Promise<{ rows: string[]; joined: string[] }> {
    // Stopped by SIGTERM once the execs have run, not by a short --duration that a loaded machine can
    // outrun: bpftrace drains what it has on the way out, so every exec made before is in the output.
    const { t, err, pid } = await terminal(servers, dir, width, mark, `--local -o ${output} -d 60s --comm '^(echo|env|printf|sh)$'`);
    for (let i = 0; !(existsSync(err) && /tracing execs on/.test(readFileSync(err, 'utf8'))); i++) {
      if (i > 600) throw new Error(`the CLI did not start tracing:\n${existsSync(err) ? readFileSync(err, 'utf8') : ''}`);
      await sleep(50);
    }
    await execIn(unit, ['/bin/echo', `${mark}-long`, ...Array.from({ length: 30 }, (_, i) => `--argument-${i}`)]);
    // env searches PATH the way execvp does: two failed attempts, then the one that runs.
    await execIn(null, ['/usr/bin/env', `PATH=/nx-a-${mark}:/nx-b-${mark}:/usr/bin:/bin`, 'printf', `${mark}-p`]);
    await execIn(null, [`/nx/${mark}`]);
    process.kill(Number(readFileSync(pid, 'utf8')), 'SIGTERM');
    const shown = await shownWhenDone(t, err);
    expect(readFileSync(err, 'utf8')).toMatch(/stopped \(SIGTERM\)/);
    return shown;
  }

  it.each<[number, 'table' | 'wide']>([
    [80, 'table'],
    [120, 'table'],
    [200, 'table'],
    [80, 'wide'],
    [120, 'wide'],
    [140, 'wide'],
  ])(
    '%d columns, -o %s',
    async (width, output) => {
      const mark = `te${hex32().slice(0, 6)}`;
      const { rows, joined } = await traceIn(width, output, mark);
      const what = rows.join('\n');
      expect(joined, `no line wrapped at ${width} columns:\n${what}`).toEqual(rows);
      for (const r of rows) expect(displayWidth(r), r).toBeLessThanOrEqual(width);
      expect(rows[0], 'the header, whole words, laid out for this width').toBe(new LiveTable({ wide: output === 'wide', width }).header());
      // What the next command needs; a NODE column would say the same on every row of this one-node trace.
      expect(rows[0]!.split(/ +/)).toContain('PID');
      expect(rows[0]!.split(/ +/)).not.toContain('NODE');

      // A PATH search: one row, the attempt that ran.
      // RET's cell starts where its header does (the rows here are ASCII).
      const ret = (r: string): string => r.slice(rows[0]!.indexOf(' RET ') + 1).split(' ')[0]!;
      const search = rows.filter((r) => r.endsWith(`  printf ${mark}-p`));
      expect(search, what).toHaveLength(1);
      expect(ret(search[0]!)).toBe('0');
      expect(
        rows.filter((r) => / ENOENT /.test(r) && r.includes(`printf ${mark}`)),
        what,
      ).toEqual([]);

      // A failed exec says why.
      const failed = rows.filter((r) => r.endsWith(`  /nx/${mark}`));
      expect(failed, what).toHaveLength(1);
      expect(ret(failed[0]!)).toBe('ENOENT');

      // The long unit name and the long argv: cut to fit, the name in the middle (both ends kept).
      const long = rows.find((r) => r.includes(`  /bin/echo ${mark.slice(0, 6)}`));
      expect(long, what).toBeDefined();
      expect(long).toMatch(/ trace-\S*…\S*ice /);
      expect(long!.endsWith('…')).toBe(true);
    },
    90_000,
  );

  it('80 columns, -o summary: every row on one line; the long unit name cut in the middle', async () => {
    const mark = `te${hex32().slice(0, 6)}`;
    const { rows, joined } = await traceIn(80, 'summary', mark);
    const what = rows.join('\n');
    expect(joined, `no line wrapped at 80 columns:\n${what}`).toEqual(rows);
    for (const r of rows) expect(displayWidth(r), r).toBeLessThanOrEqual(80);
    expect(cellsOf(rows)[0]).toEqual(['NAMESPACE', 'POD', 'CONTAINER', 'EXECS', 'FAILED', 'TOP']);
    expect(
      rows.find((r) => r.includes(' trace-')),
      what,
    ).toMatch(/│ <host> +│ trace-\S*…\S*ice │ - +│ +1 │ +0 │ echo×1 +│$/);
  }, 90_000);
});

/** Cells of the boxed table rows among `rows` (the summary's), trimmed. */
function cellsOf(rows: readonly string[]): string[][] {
  return rows
    .filter((l) => l.startsWith('│'))
    .map((l) =>
      l
        .split('│')
        .slice(1, -1)
        .map((c) => c.trim()),
    );
}

/** A tmux of `width` columns running the built CLI with `args`, stderr to a file, its pid in another (once it started). */
async function terminal(
  servers: Tmux[],
  dir: string,
  width: number,
  mark: string,
  args: string,
): Promise<{ t: Tmux; err: string; pid: string }> {
  const t = new Tmux(join(dir, `${mark}.tmux`));
  servers.push(t);
  await t.ready();
  const err = join(dir, `${mark}.stderr`);
  const pid = join(dir, `${mark}.pid`);
  // exec: the shell's pid becomes the CLI's, still in the terminal's foreground.
  const cmd = `sh -c 'echo $$ >"${pid}"; exec "$0" "$@"' '${process.execPath}' '${CLI}' ${args} 2>'${err}'; echo __DONE__; sleep 60`;
  t.tmux('new-session', '-d', '-s', 't', '-x', String(width), '-y', '50', 'sh', '-c', cmd);
  t.tmux('set-option', '-t', 't', 'history-limit', '10000');
  return { t, err, pid };
}

/** Once the CLI has ended: the rows tmux shows before the end mark, as they are and with wrapped lines joined. */
async function shownWhenDone(t: Tmux, err: string): Promise<{ rows: string[]; joined: string[] }> {
  for (let i = 0; !t.capture(false).some((r) => r.includes('__DONE__')); i++) {
    if (i > 300)
      throw new Error(`the CLI did not end:\n${t.capture(false).join('\n')}\n${existsSync(err) ? readFileSync(err, 'utf8') : ''}`);
    await sleep(50);
  }
  const rows = t.capture(false);
  const joined = t.capture(true);
  await t.kill();
  return {
    rows: rows.slice(
      0,
      rows.findIndex((r) => r.includes('__DONE__')),
    ),
    joined: joined.slice(
      0,
      joined.findIndex((r) => r.includes('__DONE__')),
    ),
  };
}

describe('report -o summary in a real terminal', () => {
  const servers: Tmux[] = [];
  let dir: string;
  let recording: string;

  beforeAll(() => {
    ensureTmux();
    // Made here, not when the file is collected: the live table's afterAll removes the temp dirs made by then.
    dir = tempDir('trace-exec-terminal-report-');
    recording = join(dir, 'busy.jsonl');
    // A busy node's recording: long names, three top commands, a failed exec, drift, a host unit.
    const api = { namespace: 'payments', pod: 'api-7d9c6b5f4-x2kqp', container: 'api' };
    const shop = { namespace: 'checkout', pod: 'checkout-frontend-5f8d9c7b6-qwert', container: 'frontend-sidecar' };
    const lines = [
      ...['curl', 'curl', 'sh', 'date'].map((comm, i) => podEvent({ comm, timeMs: T0 + i, retval: comm === 'date' ? -2 : 0 }, api)),
      ...['nginx', 'grep', 'sh', 'wget'].map((comm) => podEvent({ comm, timeMs: T0 + 60_000 }, shop)),
      podEvent(
        { comm: 'miner', upperLayer: true, filename: '/var/lib/monitoring/a-long-dropped-file-name' },
        { namespace: 'monitoring', pod: 'node-exporter-abcde', container: 'node-exporter' },
      ),
      hostEvent({ comm: 'iptables' }, 'kubelet.service'),
    ].map(formatJsonLine);
    writeFileSync(recording, lines.join('\n') + '\n');
  });

  afterAll(async () => {
    for (const t of servers) await t.kill();
    removeTempDirs();
  });

  it.each([80, 120, 200])(
    '%d columns: every line fits, names cut in the middle only when needed',
    async (width) => {
      const mark = `tr${hex32().slice(0, 6)}`;
      const { t, err } = await terminal(servers, dir, width, mark, `report '${recording}' -o summary`);
      const { rows, joined } = await shownWhenDone(t, err);
      const what = rows.join('\n');
      expect(readFileSync(err, 'utf8')).toMatch(/10 execs/);
      expect(joined, `no line wrapped at ${width} columns:\n${what}`).toEqual(rows);
      for (const r of rows) expect(displayWidth(r), r).toBeLessThanOrEqual(width);
      const table = cellsOf(rows);
      expect(table[0]!.slice(0, 3)).toEqual(['NAMESPACE', 'POD', 'CONTAINER']);
      expect(table[0]).toEqual(expect.arrayContaining(['EXECS', 'FAILED', 'TOP']));
      // Every group is a row, its EXECS whole (the fourth column at every width).
      expect(table.slice(1, 5).map((r) => r[3])).toEqual(['4', '4', '1', '1']);
      if (width === 200) expect(what).toContain('│ checkout-frontend-5f8d9c7b6-qwert │');
      if (width === 80) expect(what).toMatch(/│ checko\S*…\S*qwert │/);
    },
    30_000,
  );
});
