/**
 * Every path of the corpus (paths.json) through the decoder, as the tracer would hand it over:
 * the v2 path and one v1 controller's path. A pod's path must name that pod (and its container
 * when the path does); anything else must come out as the host — never a wrong pod or container,
 * and never a host unit for a kubelet path the decoder cannot read.
 */
import { describe, expect, it } from 'vitest';
import { decodeCgroups } from '../../src/cgroup/decode.js';
import type { CgroupIdentity } from '../../src/cgroup/types.js';
import { entries, isPod, placement, type CorpusEntry } from './corpus.js';

/** The (v2, v1) pairs an entry stands for; every one must give the same answer. */
function pairs(e: CorpusEntry): [string | null, string | null][] {
  const p = placement(e.cgroup);
  if (p.either !== null)
    return [
      [p.either, p.either],
      [p.either, null],
      [null, p.either],
    ];
  // A quote with only one hierarchy: the other was not captured, or (hybrid host) shows the root.
  if (p.v2 !== null && p.v1 !== null) return [[p.v2, p.v1]];
  if (p.v2 !== null)
    return [
      [p.v2, null],
      [p.v2, '/'],
    ];
  return [
    [null, p.v1],
    ['/', p.v1],
  ];
}

function expected(e: CorpusEntry, got: CgroupIdentity): CgroupIdentity {
  const x = e.expect;
  if (isPod(x)) return { kind: 'pod', ...x };
  if ('unreadable' in x) return { kind: 'host', unit: null };
  // Not a pod: the unit is checked where the entry names one.
  return { kind: 'host', unit: x.unit ?? (got.kind === 'host' ? got.unit : null) };
}

describe('the corpus', () => {
  it('is large and cites a source for every entry', () => {
    expect(entries.length).toBeGreaterThanOrEqual(150);
    for (const e of entries) expect(e.source, e.cgroup).toMatch(/^https:\/\/github\.com\/[\w.-]+\/[\w.-]+\/(?:blob|issues|pull)\//);
  });

  it('covers the forms docs/cgroup-forms.md lists', () => {
    const forms = new Set(entries.map((e) => e.form));
    for (const f of [
      'systemd/crio',
      'systemd/containerd',
      'systemd/docker',
      'cgroupfs/bare-id',
      'cgroupfs/crio',
      'runtime-notation',
      'crun-container',
      'sub-cgroup',
      'conmon',
      'pod-cgroup',
      'kubelet-root-prefix',
      'nested-in-container',
      'static-pod',
      'kata',
      'gvisor',
    ]) {
      expect(forms, f).toContain(f);
    }
    const qos = new Set(entries.flatMap((e) => (isPod(e.expect) ? [e.expect.qos] : [])));
    expect([...qos].sort()).toEqual(['besteffort', 'burstable', 'guaranteed']);
    const versions = new Set(entries.map((e) => e.cgroupVersion));
    for (const v of ['v1', 'v2', 'hybrid']) expect(versions).toContain(v);
  });
});

describe('decodeCgroups over the corpus', () => {
  it.each(entries.map((e, i) => [`#${i} ${e.form} · ${e.setting}`, e] as const))('%s', (_name, e) => {
    for (const [v2, v1] of pairs(e)) {
      const { identity, path } = decodeCgroups(v2, v1);
      expect(identity, `${e.cgroup}\n(v2=${v2}, v1=${v1}); source ${e.source}`).toStrictEqual(expected(e, identity));
      // Whatever the answer, the raw path that decided it is kept for the output.
      expect([v2, v1]).toContain(path);
    }
  });
});
