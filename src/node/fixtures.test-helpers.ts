/** Node probe outputs for the nodes the golden tests render for (shaped as PROBE_SCRIPT prints them). */

const CGROUPS_RHEL8 = `#subsys_name	hierarchy	num_cgroups	enabled
cpuset	9	12	1
cpu	4	130	1
cpuacct	4	130	1
blkio	8	130	1
memory	6	160	1
devices	3	130	1
freezer	10	12	1
net_cls	2	12	1
perf_event	7	12	1
net_prio	2	12	1
hugetlb	11	12	1
pids	5	140	1
rdma	12	1	1`;

const CGROUPS_V2 = `#subsys_name	hierarchy	num_cgroups	enabled
cpuset	0	120	1
cpu	0	120	1
cpuacct	0	120	1
blkio	0	120	1
memory	0	120	1
devices	0	120	1
freezer	0	120	1
net_cls	0	120	1
perf_event	0	120	1
net_prio	0	120	1
hugetlb	0	120	1
pids	0	120	1
rdma	0	120	1
misc	0	120	1`;

const V1_MOUNTS = ['cpu,cpuacct', 'memory', 'pids', 'cpuset', 'blkio', 'devices', 'freezer', 'net_cls,net_prio', 'perf_event', 'hugetlb']
  .map((c) => `cgroup /sys/fs/cgroup/${c} cgroup rw,nosuid,nodev,noexec,relatime,${c} 0 0`)
  .join('\n');

function probe(bpftrace: string, uname: string, cgroups: string, mounts: string, btf: boolean): string {
  return `== bpftrace\n${bpftrace}\n== uname\n${uname}\n== cgroups\n${cgroups}\n== mounts\n${mounts}\nnodev /sys/kernel/tracing tracefs rw 0 0\n== btf\n${btf ? 'yes' : 'no'}\n== perl\nyes\n== end\n`;
}

export const NODES = {
  /** RHEL 8 / OCP 4.12 kernel, cgroup v1 only, with a debug image's bpftrace 0.13 (RHEL 8's own 0.12 is refused). */
  'bpftrace-0.13-rhel8-v1': probe(
    'bpftrace v0.13.0',
    '4.18.0-372.9.1.el8.x86_64',
    CGROUPS_RHEL8,
    `cgroup /sys/fs/cgroup/systemd cgroup rw,name=systemd 0 0\n${V1_MOUNTS}`,
    true,
  ),
  /** The same without BTF: kernel headers are included. */
  'bpftrace-0.13-rhel8-v1-nobtf': probe(
    'bpftrace v0.13.0',
    '4.18.0-193.el8.x86_64',
    CGROUPS_RHEL8,
    `cgroup /sys/fs/cgroup/systemd cgroup rw,name=systemd 0 0\n${V1_MOUNTS}`,
    false,
  ),
  /** Debian 12 style hybrid (this project's VMs): v1 controllers plus cgroup2 at /sys/fs/cgroup/unified. */
  'bpftrace-0.17-hybrid-6.18': probe(
    'bpftrace v0.17.0',
    '6.18.44-fc-v595',
    CGROUPS_RHEL8.replace('\nrdma\t12\t1\t1', ''),
    `${V1_MOUNTS}\ncgroup /sys/fs/cgroup/systemd cgroup rw,name=systemd 0 0\ncgroup2 /sys/fs/cgroup/unified cgroup2 rw 0 0`,
    true,
  ),
  /** RHEL 9 / OCP 4.14+: cgroup v2 only. */
  'bpftrace-0.20-v2-5.14': probe(
    'bpftrace v0.20.2',
    '5.14.0-427.el9.x86_64',
    CGROUPS_V2,
    'cgroup2 /sys/fs/cgroup cgroup2 rw,nsdelegate 0 0',
    true,
  ),
  /** Ubuntu 24.04 style. */
  'bpftrace-0.23-v2-6.8': probe(
    'bpftrace v0.23.2',
    '6.8.0-49-generic',
    CGROUPS_V2,
    'cgroup2 /sys/fs/cgroup cgroup2 rw,nsdelegate 0 0',
    true,
  ),
  /** A current distribution after the kernfs __parent rename. */
  'bpftrace-0.24-v2-6.15': probe(
    'bpftrace v0.24.1',
    '6.15.2-200.fc42.x86_64',
    CGROUPS_V2,
    'cgroup2 /sys/fs/cgroup cgroup2 rw,nsdelegate 0 0',
    true,
  ),
} as const;
