import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseProbe, chooseV1Controller, MissingToolsError } from './probe.js';
import { renderProgram, bpftraceCommand, ARGS_MAX, LEVELS } from './render.js';
import { NODES } from './fixtures.test-helpers.js';

const golden = (name: string) => new URL(`./golden/${name}.bt`, import.meta.url);

/**
 * The program must equal its golden file. A missing golden file fails (a deleted one must not pass
 * by being re-created); UPDATE_GOLDEN=1 writes them: review the diff before committing.
 */
function expectGolden(program: string, name: string): void {
  const file = golden(name);
  if (process.env.UPDATE_GOLDEN === '1') writeFileSync(file, program);
  if (!existsSync(file))
    expect.fail(`golden file ${fileURLToPath(file)} is missing: run UPDATE_GOLDEN=1 npx vitest run src/node/render.test.ts and review it`);
  expect(program).toBe(readFileSync(file, 'utf8'));
}

describe('renderProgram golden files', () => {
  it.each(Object.keys(NODES))('%s', (name) => {
    const r = renderProgram(parseProbe(NODES[name as keyof typeof NODES]));
    expectGolden(r.program, name);
    expect(r.program).not.toMatch(/\{\{|\}\}/);
  });
});

describe('--ancestry', () => {
  it('adds fork and exit probes, threads left out', () => {
    const r = renderProgram(parseProbe(NODES['bpftrace-0.17-hybrid-6.18']), { ancestry: true });
    expectGolden(r.program, 'bpftrace-0.17-hybrid-6.18-ancestry');
    expect(r.program).toContain('tracepoint:task:task_newtask\n/(args->clone_flags & 0x10000) == 0/');
    expect(r.program).toContain('tracepoint:sched:sched_process_exit');
    expect(renderProgram(parseProbe(NODES['bpftrace-0.24-v2-6.15']), { ancestry: true }).program).toContain(
      '/(args.clone_flags & 0x10000) == 0/',
    );
    expect(renderProgram(parseProbe(NODES['bpftrace-0.17-hybrid-6.18'])).program).not.toContain('task_newtask');
  });
});

describe('--exits', () => {
  it('remembers successful execs and reports the end of their processes, one exit program with --ancestry', () => {
    const r = renderProgram(parseProbe(NODES['bpftrace-0.17-hybrid-6.18']), { exits: true });
    expectGolden(r.program, 'bpftrace-0.17-hybrid-6.18-exits');
    expect(r.program).toContain('@execd[pid] = @start[tid];');
    expect(r.program).toContain('printf("Z %d %llu %llu %d\\n"');
    expect(r.program).not.toContain('printf("Q ');
    const both = renderProgram(parseProbe(NODES['bpftrace-0.17-hybrid-6.18']), { exits: true, ancestry: true }).program;
    expect(both.match(/tracepoint:sched:sched_process_exit/g)).toHaveLength(1);
    expect(both).toContain('printf("Q ');
    expect(both).toContain('printf("Z ');
    expect(renderProgram(parseProbe(NODES['bpftrace-0.17-hybrid-6.18'])).program).not.toContain('@execd[pid] =');
  });

  it.each([
    ['bpftrace-0.17-hybrid-6.18', 'BPFTRACE_MAP_KEYS_MAX=65536'],
    ['bpftrace-0.20-v2-5.14', 'BPFTRACE_MAX_MAP_KEYS=65536'],
    ['bpftrace-0.24-v2-6.15', 'BPFTRACE_MAX_MAP_KEYS=65536'],
  ] as const)('%s: raises the map bound (%s), only with --exits', (name, env) => {
    expect(bpftraceCommand(renderProgram(parseProbe(NODES[name]), { exits: true }))).toContain(env);
    expect(bpftraceCommand(renderProgram(parseProbe(NODES[name]))).join(' ')).not.toContain('MAP_KEYS');
  });

  it('without BTF, includes the header of signal_struct', () => {
    const r = renderProgram(parseProbe(NODES['bpftrace-0.13-rhel8-v1-nobtf']), { exits: true });
    expect(r.program).toContain('#include <linux/sched/signal.h>');
    expect(r.program).toContain('curtask->signal->live.counter == 0');
  });
});

describe('what the probe decides', () => {
  it.each([
    // node, kernfs parent field, kernfs id, args syntax, string env, strlen, v1 controller (subsys index), v2
    ['bpftrace-0.17-hybrid-6.18', '->__parent', '->id;', 'args->argv', 'BPFTRACE_STRLEN=200', 200, 'memory', 4, true],
    ['bpftrace-0.20-v2-5.14', '->parent', '->id;', 'args->argv', 'BPFTRACE_MAX_STRLEN=200', 200, null, -1, true],
    ['bpftrace-0.23-v2-6.8', '->parent', '->id;', 'args.argv', 'BPFTRACE_MAX_STRLEN=1024', 1024, null, -1, true],
    ['bpftrace-0.24-v2-6.15', '->__parent', '->id;', 'args.argv', 'BPFTRACE_MAX_STRLEN=1024', 1024, null, -1, true],
  ] as const)('%s', (name, parent, knId, argv, env, strlen, v1, subsys, v2) => {
    const facts = parseProbe(NODES[name]);
    const r = renderProgram(facts);
    expect(r.program).toContain(`$kn = $kn${parent};`);
    if (v1) expect(r.program).toContain(`$kn1 = $kn1${parent};`);
    expect(r.program).toContain(`kn)${knId}`);
    expect(r.program).toContain(`$argv = ${argv};`);
    expect(bpftraceCommand(r)).toEqual(['env', env, 'BPFTRACE_PERF_RB_PAGES=1024', 'bpftrace', '-f', 'json', '-e', r.program]);
    expect(bpftraceCommand(r, '/tmp/p.bt')).toEqual(['env', env, 'BPFTRACE_PERF_RB_PAGES=1024', 'bpftrace', '-f', 'json', '/tmp/p.bt']);
    expect(r.strlen).toBe(strlen);
    expect(r.v1Controller).toBe(v1);
    expect(chooseV1Controller(facts)?.index ?? -1).toBe(subsys);
    if (v1) expect(r.program).toContain(`subsys[${subsys}]`);
    else expect(r.program).not.toContain('subsys[');
    expect(r.v2).toBe(v2);
    expect(r.program.includes('dfl_cgrp')).toBe(v2);
  });

  it('kernels after 6.15 never use the removed kernfs_node.parent', () => {
    const r = renderProgram(parseProbe(NODES['bpftrace-0.24-v2-6.15']));
    expect(r.program).not.toMatch(/->parent\b/);
  });

  it('reads kernfs_node.id as a union before Linux 5.5 (RHEL 8)', () => {
    expect(renderProgram(parseProbe(NODES['bpftrace-0.13-rhel8-v1'])).program).toContain('kn)->id.id;');
  });

  it('reads where the executable sits (overlayfs upper or lower layer) in the exit program, folded into X', () => {
    for (const name of Object.keys(NODES) as (keyof typeof NODES)[]) {
      const r = renderProgram(parseProbe(NODES[name]));
      expect(r.upperLayer).toBe(true);
      expect(r.program).toContain('$inode->i_sb->s_magic == 0x794c7630');
      expect(r.program).toContain('*(uint64 *)((uint64)$inode + sizeof(struct inode)) != 0 ? 1 : 2');
      expect(r.program).toMatch(
        /printf\("X %d %d %llu %d %llu %llu %llu %d %llu %llu %s\\n", \$tid, args(->|\.)ret, @start\[tid\], \$props, \$tty,/,
      );
      expect(r.program).not.toContain('always 0');
    }
  });

  it('on a kernel without struct ovl_inode (before 4.13) X says 0 and the program says why', () => {
    const old = NODES['bpftrace-0.13-rhel8-v1'].replace('4.18.0-372.9.1.el8.x86_64', '4.9.0-12-amd64');
    const r = renderProgram(parseProbe(old));
    expect(r.upperLayer).toBe(false);
    expect(r.program).toContain(
      "// On this node X's upper is always 0: Linux 4.9.0 is older than 4.13, which has no struct ovl_inode to read.",
    );
    // (s_magic is still read, for memfds: 0x01021994 tmpfs, 0x958458f6 hugetlbfs.)
    expect(r.program).not.toContain('0x794c7630');
    expect(r.program).not.toContain('sizeof(struct inode)');
    expect(r.program).toContain('printf("X %d %d %llu %d %llu %llu %llu %d %llu %llu %s\\n", $tid, args->ret, @start[tid], $props, $tty,');
  });

  it('includes kernel headers only without BTF', () => {
    expect(renderProgram(parseProbe(NODES['bpftrace-0.13-rhel8-v1-nobtf'])).program).toContain('#include <linux/kernfs.h>');
    // struct file, inode and super_block, for X's upper field.
    expect(renderProgram(parseProbe(NODES['bpftrace-0.13-rhel8-v1-nobtf'])).program).toContain('#include <linux/fs.h>');
    expect(renderProgram(parseProbe(NODES['bpftrace-0.13-rhel8-v1'])).program).not.toContain('#include');
  });

  it('stays within the per-tracepoint program budget: three programs per entry, one per exit, two strings each at most', () => {
    const r = renderProgram(parseProbe(NODES['bpftrace-0.17-hybrid-6.18']));
    const probes = r.program.split(/\n\n/).filter((p) => p.includes('tracepoint:syscalls:'));
    expect(probes.filter((p) => p.includes('sys_enter_execve,'))).toHaveLength(3);
    expect(probes.filter((p) => p.includes('sys_exit_execve,'))).toHaveLength(1);
    expect(r.program.split(/\n\n/).filter((p) => p.includes('tracepoint:sched:sched_process_exec'))).toHaveLength(1);
    for (const p of probes) expect((p.match(/str\(/g) ?? []).length).toBeLessThanOrEqual(2);
    expect(r.program).toContain(`while ($i < ${ARGS_MAX} &&`);
    expect(r.program).toContain(`while ($l < ${LEVELS} &&`);
  });

  it('refuses nodes it cannot trace, saying why', () => {
    const noBpftrace = NODES['bpftrace-0.17-hybrid-6.18'].replace('bpftrace v0.17.0', 'missing');
    expect(() => parseProbe(noBpftrace)).toThrow(MissingToolsError);
    expect(() => parseProbe(noBpftrace)).toThrow(/^missing bpftrace$/);
    const old = NODES['bpftrace-0.17-hybrid-6.18'].replace('v0.17.0', 'v0.12.1');
    expect(() => renderProgram(parseProbe(old))).toThrow(
      /0\.12\.1 is too old: trace-exec needs bpftrace 0\.13 or newer \(RHEL 8 ships 0\.12\); use an --image/,
    );
  });
});

describe('no text from the node reaches the program', () => {
  // Only numbers and fixed strings are rendered: a node (or a compromised debug image) answering the
  // probe with hostile text can at most make rendering fail, never change what the program does.
  const base = NODES['bpftrace-0.17-hybrid-6.18'];
  const program = renderProgram(parseProbe(base)).program;
  it.each([
    ['a controller name with quotes', base.replace('memory\t', 'memory"); system("rm -rf /\t')],
    ['a version with code after it', base.replace('bpftrace v0.17.0', 'bpftrace v0.17.0"; system("id")')],
    ['a mount path with $()', base.replace('/sys/fs/cgroup/unified', '/sys/fs/$(reboot)')],
  ])('%s', (_what, hostile) => {
    let rendered: string | null = null;
    try {
      rendered = renderProgram(parseProbe(hostile)).program;
    } catch (e) {
      expect(e).toBeInstanceOf(Error);
    }
    if (rendered !== null) {
      expect(rendered).not.toMatch(/system|rm -rf|reboot|\$\(/);
      expect(rendered.replace(/subsys\[\d+\]/g, 'subsys[N]')).toBe(program.replace(/subsys\[\d+\]/g, 'subsys[N]'));
    }
  });
});

describe('the node probe says whether the node can batch (perl)', () => {
  const base = NODES['bpftrace-0.17-hybrid-6.18'];
  it.each([
    ['perl found', base, true],
    ['perl missing', base.replace('== perl\nyes', '== perl\nno'), false],
    ['an older probe without the section', base.replace('== perl\nyes\n', ''), false],
  ])('%s', (_name, output, perl) => {
    expect(parseProbe(output).perl).toBe(perl);
  });
});
