/**
 * A large, varied bpftrace stream made up deterministically from a seed, as bpftrace 0.17 writes
 * `-f json` for bpf/trace-exec.bt.tmpl: execs in pods (containerd, CRI-O, cgroupfs, hybrid v1+v2,
 * static, unknown), on the host and in the root cgroup; argv with spaces, quotes, backslashes,
 * control characters, non-ASCII (raw UTF-8 and 0.17's \uffffffXX escapes), terminal hazards, empty
 * and cut arguments, too many arguments; failed execs and PATH searches; return records before their
 * entry, missing returns and arguments, second readings (F, R), cgroup and path names printed late,
 * lost events, keepalives and lines that are not records. For whole-output comparisons (a change to
 * the hot path must keep every byte): see output-golden.test.ts.
 */
import type { PodRecord } from '../join/pod-index.js';

/** Deterministic PRNG (mulberry32). */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface Corpus {
  /** The stream as bytes, lines in arrival order. */
  bytes: Buffer;
  /** Pods the index holds from the start. */
  pods: PodRecord[];
  /** Pods that arrive after the stream's first third (their execs wait for them). */
  latePods: PodRecord[];
  /** The program's settings the stream was made for. */
  strlen: number;
  levels: number;
  argsMax: number;
  /** The wall time at which the clock record (B) was received. */
  wallMs: number;
}

const STRLEN = 200;
const LEVELS = 8;
const ARGS_MAX = 32;

const hex = (next: () => number, n: number): string => {
  let s = '';
  for (let i = 0; i < n; i++) s += '0123456789abcdef'[Math.floor(next() * 16)];
  return s;
};
const uuid = (next: () => number): string => `${hex(next, 8)}-${hex(next, 4)}-${hex(next, 4)}-${hex(next, 4)}-${hex(next, 12)}`;

/** A cgroup as the program prints it: its id per hierarchy and its path components (root first). */
interface Cgroup {
  id: string;
  hier: 1 | 2;
  path: string[];
}

interface Place {
  cg2: Cgroup | null;
  cg1: Cgroup | null;
}

/** Strings an argument is made of: ASCII words, and what the decoder and the JSON writer must keep. */
const WORDS = [
  'ls',
  '-l',
  '--color=auto',
  '/etc/hosts',
  'with space',
  'quote"inside',
  "single'quote",
  'back\\slash',
  'tab\there',
  'new\nline',
  'grüße ✓',
  '日本語',
  '😀 emoji',
  'ctl\u0001\u001f',
  'del\u007f',
  'c1\u0085\u009b[31m',
  'ls\u2028\u2029',
  '\\uffffffc3 literal',
  '{"type": "printf"}',
  'x'.repeat(40),
  '',
];

export function makeCorpus(seed: number, execs: number): Corpus {
  const next = random(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!;
  const int = (lo: number, hi: number): number => lo + Math.floor(next() * (hi - lo + 1));

  let cgroupIds = 4_294_967_000;
  const cgroup = (hier: 1 | 2, path: string[]): Cgroup => ({ id: String(cgroupIds++), hier, path });

  // ---- the node's pods and cgroups ----
  const pods: PodRecord[] = [];
  const latePods: PodRecord[] = [];
  const places: Place[] = [];
  const podNames = ['web', 'db', 'api', 'batch', 'agent', 'static-etcd', 'gone'];
  for (let p = 0; p < podNames.length; p++) {
    const name = podNames[p]!;
    const uid = uuid(next);
    const staticHash = name.startsWith('static') ? hex(next, 32) : null;
    const cgroupUid = staticHash ?? uid.replace(/-/g, '_');
    const qos = pick(['besteffort', 'burstable', 'guaranteed'] as const);
    const containers = [0, 1].map((i) => ({ id: hex(next, 64), name: `${name}-c${i}`, kind: 'container' as const }));
    const record: PodRecord = {
      uid,
      namespace: p % 2 === 0 ? 'prod' : 'ns-ü',
      name: `${name}-7d9c${hex(next, 4)}`,
      mirrorHash: staticHash,
      labels: { app: name },
      containers: containers.map((c, i) =>
        i === 0 ? { ...c, image: `registry/${name}:1`, imageId: `registry/${name}@sha256:${hex(next, 64)}` } : c,
      ),
      workload: `deploy/${name}`,
      kubeletExecs: { [`${name}-c0`]: { probes: [['cat', '/tmp/healthy']], hooks: [['sh', '-c', 'echo hook']] } },
    };
    if (name === 'gone') {
      // Never told: its execs are unattributed.
    } else if (name === 'batch') latePods.push(record);
    else pods.push(record);
    const systemd = p % 3 !== 2;
    for (const c of containers) {
      const podDir = systemd
        ? qos === 'guaranteed'
          ? ['kubepods.slice', `kubepods-pod${cgroupUid}.slice`]
          : ['kubepods.slice', `kubepods-${qos}.slice`, `kubepods-${qos}-pod${cgroupUid}.slice`]
        : qos === 'guaranteed'
          ? ['kubepods', `pod${staticHash ?? uid}`]
          : ['kubepods', qos, `pod${staticHash ?? uid}`];
      const leaf = systemd ? `${p % 2 === 0 ? 'cri-containerd' : 'crio'}-${c.id}.scope` : c.id;
      const hybrid = p % 4 === 1;
      places.push({
        cg2: hybrid ? cgroup(2, ['system.slice', 'containerd.service']) : cgroup(2, [...podDir, leaf]),
        cg1: hybrid ? cgroup(1, [...podDir, leaf]) : null,
      });
    }
    // The pod cgroup itself, and a conmon helper beside the containers.
    if (systemd) {
      const podDir = ['kubepods.slice', `kubepods-burstable.slice`, `kubepods-burstable-pod${cgroupUid}.slice`];
      places.push({ cg2: cgroup(2, podDir), cg1: null });
      places.push({ cg2: cgroup(2, [...podDir, `crio-conmon-${containers[0]!.id}.scope`]), cg1: null });
    }
  }
  places.push({ cg2: cgroup(2, ['system.slice', 'sshd.service']), cg1: cgroup(1, ['system.slice', 'sshd.service']) });
  places.push({ cg2: cgroup(2, ['user.slice', 'user-1000.slice', 'session-3.scope']), cg1: null });
  places.push({ cg2: cgroup(2, []), cg1: null });
  places.push({ cg2: null, cg1: null });
  // Deeper than the program climbs: its path starts with '…/'.
  places.push({ cg2: cgroup(2, ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j.service']), cg1: null });
  // A component cut at the string size.
  places.push({ cg2: cgroup(2, ['system.slice', `${'long-'.repeat(50)}.service`.slice(0, STRLEN - 1)]), cg1: null });

  // ---- cwd and exe paths ----
  let pathIds = 18_000_000_000_000_000_000n;
  const pathsKnown: { id: string; parts: string[]; cut: boolean }[] = [
    { id: String(pathIds++), parts: ['usr', 'bin', 'ls'], cut: false },
    { id: String(pathIds++), parts: ['bin', 'sh'], cut: false },
    { id: String(pathIds++), parts: ['root'], cut: false },
    { id: String(pathIds++), parts: ['home', 'user ü', 'work dir'], cut: false },
    { id: String(pathIds++), parts: [], cut: false },
    { id: String(pathIds++), parts: ['deep', 'er', 'than', 'walked'], cut: true },
    { id: String(pathIds++), parts: ['memfd:x (deleted)'], cut: false },
  ];

  // ---- the records ----
  const out: string[] = [];
  /** Records printed per CPU; a few CPUs' buffers are read in turns, so records of one exec may cross. */
  const cpus: string[][] = [[], [], [], []];
  const printed = new Set<string>();
  const jsonText = (text: string): string => {
    const json = JSON.stringify(`${text}\n`);
    // bpftrace 0.17 writes bytes >= 0x80 as \uffffffXX; newer versions write the UTF-8 as is.
    return next() < 0.5
      ? json.replace(/[^\u0000-\u007f]/g, (c) => [...Buffer.from(c)].map((b) => `\\uffffff${b.toString(16)}`).join(''))
      : json;
  };
  const printf = (cpu: number, text: string) => cpus[cpu]!.push(`{"type": "printf", "data": ${jsonText(text)}}`);
  const flushCpus = (all: boolean) => {
    for (const c of cpus) {
      const n = all ? c.length : Math.min(c.length, int(0, 6));
      out.push(...c.splice(0, n));
    }
  };
  const cgroupNames = (cpu: number, cg: Cgroup | null) => {
    if (!cg || printed.has(`c${cg.id}`)) return;
    printed.add(`c${cg.id}`);
    const names = [...cg.path].reverse();
    const all = [...names, ''].slice(0, LEVELS);
    // Any level order.
    const order = all.map((name, level) => ({ name, level })).sort(() => next() - 0.5);
    for (const { name, level } of order) printf(cpu, `P ${cg.hier} ${cg.id} ${level} ${name}`);
  };
  const pathNames = (cpu: number, p: (typeof pathsKnown)[number]) => {
    if (printed.has(`p${p.id}`)) return;
    printed.add(`p${p.id}`);
    const names = [...p.parts].reverse();
    [...names, p.cut ? '/' : ''].forEach((name, level) => printf(cpu, `D ${p.id} ${level} ${name}`));
  };

  out.push('{"type": "attached_probes", "data": {"probes": 45}}');
  out.push('{"type": "printf", "data": "B 1000000000\\n"}');
  let mono = 1_000_000_000n;
  let tid = 4000;
  const word = (): string => {
    const w = pick(WORDS);
    const r = next();
    if (r < 0.03) return 'y'.repeat(STRLEN - 1); // filled the buffer: may have been cut
    if (r < 0.05) return `${'ü'.repeat(99)}`; // 198 bytes
    return w;
  };
  for (let n = 0; n < execs; n++) {
    mono += BigInt(int(1, 3_000_000));
    const place = pick(places);
    const search = next() < 0.08;
    const tries = search ? int(2, 3) : 1;
    const execTid = next() < 0.1 ? tid : ++tid; // the same thread exec'ing again
    const pid = execTid;
    const ppid = int(1, 4000);
    const uid = pick([0, 0, 1000, 65534]);
    const argc = next() < 0.03 ? int(33, 40) : int(0, 5);
    const base = pick(['ls', 'sh', 'cat', 'python3', 'grüße', 'a b']);
    const argv = Array.from({ length: Math.min(argc, ARGS_MAX) }, (_, i) => (i === 0 ? base : word()));
    for (let t = 0; t < tries; t++) {
      const last = t === tries - 1;
      const enterMono = mono + BigInt(t * 1000);
      const cpuE = int(0, 3);
      const cpuX = next() < 0.2 ? int(0, 3) : cpuE;
      const dir = search && !last ? pick(['/usr/local/sbin', '/usr/local/bin', '/usr/sbin']) : '/usr/bin';
      const filename = next() < 0.02 ? '' : `${dir}/${base}`;
      const retval = search && !last ? pick([-2, -2, -13, -20]) : next() < 0.1 ? pick([-2, -13, -8, -7, -1, -999]) : 0;
      const cg2 = place.cg2?.id ?? '0';
      const cg1 = place.cg1?.id ?? '0';
      const lateNames = next() < 0.05;
      if (!lateNames) {
        cgroupNames(cpuE, place.cg2);
        cgroupNames(cpuE, place.cg1);
      }
      printf(cpuE, `E ${execTid} ${pid} ${ppid} ${uid} ${enterMono} ${cg2} ${cg1} ${argc} ${filename}`);
      const missingArg = next() < 0.01 ? int(0, Math.max(0, argv.length - 1)) : -1;
      argv.forEach((a, i) => {
        if (i !== missingArg) printf(cpuE, `A ${execTid} ${enterMono} ${i} ${a}`);
      });
      const cwd = pick(pathsKnown);
      const exe = retval === 0 ? pick(pathsKnown) : null;
      const lateCwd = next() < 0.05;
      if (!lateCwd) pathNames(cpuX, cwd);
      if (exe) pathNames(cpuX, exe);
      const props = (retval === 0 ? pick([0, 1, 2]) | (next() < 0.05 ? 12 : 0) : 0) | (pick([0, 1, 2]) << 4);
      const tty = pick([0, 0, (136 << 20) | 3, (4 << 20) | 1, (5 << 20) | 0]);
      const loginuid = pick([0, 1001, 1]);
      const session = pick([0, 5, 9]);
      const leader = pick([0, pid, ppid, 1]);
      const comm = retval === 0 ? base.slice(0, 15) : 'bash';
      if (next() > 0.01) {
        printf(
          cpuX,
          `X ${execTid} ${retval} ${enterMono} ${props} ${tty} ${loginuid} ${session} ${leader} ${cwd.id} ${exe?.id ?? '0'} ${comm}`,
        );
      }
      // A second reading from the new program when a string read as empty at entry.
      if (retval === 0 && (filename === '' || argv.some((a) => a === ''))) {
        const cpuF = int(0, 3);
        printf(cpuF, `F ${execTid} ${enterMono} ${argv.length} /usr/bin/${base}`);
        argv.forEach((a, i) => printf(cpuF, `R ${execTid} ${enterMono} ${i} ${a === '' ? `again-${i}` : a}`));
      }
      if (lateNames) {
        cgroupNames(cpuX, place.cg2);
        cgroupNames(cpuX, place.cg1);
      }
      if (lateCwd) pathNames(int(0, 3), cwd);
      if (next() < 0.02) printf(int(0, 3), `K ${enterMono}`);
      flushCpus(false);
    }
    if (next() < 0.005) out.push(`{"type": "lost_events", "data": {"events": ${int(1, 50)}}}`);
    if (next() < 0.003) out.push(pick(['this is not json', '{"type": "printf", "data": "? unknown\\n"}', '{"no": "type"}', '']));
  }
  flushCpus(true);
  out.push('{"type": "map", "data": {"@start": {}}}');
  return {
    bytes: Buffer.from(`${out.join('\n')}\n`),
    pods,
    latePods,
    strlen: STRLEN,
    levels: LEVELS,
    argsMax: ARGS_MAX,
    wallMs: 1_700_000_000_000,
  };
}
