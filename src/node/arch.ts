/**
 * A node's CPU architecture, in Kubernetes' (Go's) names: the debug image must be built for it.
 * `status.nodeInfo.architecture` is what the kubelet reports about itself; the `kubernetes.io/arch`
 * label is the kubelet's too, but can be edited, so it only fills in when the status lacks the field.
 */

/** GOARCH values a Kubernetes node can report (linux). */
export const ARCHITECTURES = ['amd64', 'arm64', 'arm', '386', 'ppc64le', 's390x', 'riscv64', 'loong64', 'mips64le'] as const;

/** Names people (and `uname -m`) use for the same thing. */
const ALIASES: Record<string, string> = {
  x86_64: 'amd64',
  'x86-64': 'amd64',
  aarch64: 'arm64',
  arm64v8: 'arm64',
  i386: '386',
  i686: '386',
  ppc64el: 'ppc64le',
};

/** `x86_64` → `amd64`, `AArch64` → `arm64`; an unknown name is returned lowercased, unchanged. */
export function normalizeArch(name: string): string {
  const n = name.trim().toLowerCase();
  return ALIASES[n] ?? n;
}

export function isKnownArch(name: string): boolean {
  return (ARCHITECTURES as readonly string[]).includes(name);
}

export interface NodeArchFacts {
  /** status.nodeInfo.architecture */
  architecture?: string | null;
  /** metadata.labels */
  labels?: Readonly<Record<string, string>> | null;
}

export const ARCH_LABEL = 'kubernetes.io/arch';

/** The node's architecture, or null when neither its status nor its label says. */
export function nodeArchitecture(n: NodeArchFacts): string | null {
  for (const v of [n.architecture, n.labels?.[ARCH_LABEL]]) {
    if (v && v.trim() !== '') return normalizeArch(v);
  }
  return null;
}
