import { describe, expect, it } from 'vitest';
import { nodeArchitecture, normalizeArch, type NodeArchFacts } from './arch.js';

describe('nodeArchitecture', () => {
  it.each<[string, NodeArchFacts, string | null]>([
    ['the status', { architecture: 'arm64', labels: { 'kubernetes.io/arch': 'arm64' } }, 'arm64'],
    ['the status over an edited label', { architecture: 'arm64', labels: { 'kubernetes.io/arch': 'amd64' } }, 'arm64'],
    ['the label when the status has no field', { labels: { 'kubernetes.io/arch': 'arm64' } }, 'arm64'],
    ['the label when the status field is empty', { architecture: '', labels: { 'kubernetes.io/arch': 'amd64' } }, 'amd64'],
    ['an alias in the status', { architecture: 'aarch64' }, 'arm64'],
    ['neither', { labels: { 'kubernetes.io/os': 'linux' } }, null],
    ['nothing at all', {}, null],
    ['an architecture it does not know, as given', { architecture: 'sparc64' }, 'sparc64'],
  ])('%s', (_what, facts, arch) => {
    expect(nodeArchitecture(facts)).toBe(arch);
  });
});

describe('normalizeArch', () => {
  it.each([
    ['amd64', 'amd64'],
    ['x86_64', 'amd64'],
    ['AMD64', 'amd64'],
    ['aarch64', 'arm64'],
    ['arm64', 'arm64'],
    [' arm64 ', 'arm64'],
    ['ppc64el', 'ppc64le'],
    ['s390x', 's390x'],
  ])('%s → %s', (name, arch) => {
    expect(normalizeArch(name)).toBe(arch);
  });
});
