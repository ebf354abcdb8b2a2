import { describe, expect, it } from 'vitest';
import { parseSnapshot } from './snapshot.js';

describe('parseSnapshot', () => {
  it('reads pid, ppid, comm (spaces and parentheses included) and both cgroup paths', () => {
    const text = [
      '== 1 (systemd) S 0 1 1 0 -1 4194560',
      '0::/init.scope',
      '4:memory:/init.scope',
      '== 4242 (Web Content (x)) S 4200 4242 4200 0 -1',
      '0::/kubepods.slice/kubepods-pod1.slice/crio-a.scope',
      '5:cpu,cpuacct:/x',
      '4:memory:/kubepods.slice/kubepods-pod1.slice/crio-a.scope',
      '== 77 (kworker/0:1) I 2 0 0 0 -1',
      '== end',
    ].join('\n');
    expect(parseSnapshot(text, 'memory')).toEqual([
      { pid: 1, ppid: 0, comm: 'systemd', cgroupV2: '/init.scope', cgroupV1: '/init.scope' },
      {
        pid: 4242,
        ppid: 4200,
        comm: 'Web Content (x)',
        cgroupV2: '/kubepods.slice/kubepods-pod1.slice/crio-a.scope',
        cgroupV1: '/kubepods.slice/kubepods-pod1.slice/crio-a.scope',
      },
      { pid: 77, ppid: 2, comm: 'kworker/0:1', cgroupV2: null, cgroupV1: null },
    ]);
  });

  it('skips what it cannot read', () => {
    expect(parseSnapshot('== garbage\n0::/x\n== end\n', null)).toEqual([]);
  });
});
