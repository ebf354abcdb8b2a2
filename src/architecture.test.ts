import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { cycles, diagram, readImports, unitGraph, upwardIntoCli } from '../test/support/module-graph.js';

// The layering docs/development.md describes: src/cli/ (and the entry module src/cli.ts) may import
// the core, never the reverse; and no two folders import each other, directly or round about.
const SRC = fileURLToPath(new URL('.', import.meta.url));

describe('module graph of src/', () => {
  const imports = readImports(SRC);

  it('reads the imports (the walker sees the tree)', () => {
    expect(imports.some((i) => i.from === 'cli.ts')).toBe(true);
    expect(imports.length).toBeGreaterThan(100);
  });

  it('nothing outside src/cli/ imports src/cli/, except the entry module', () => {
    expect(upwardIntoCli(imports).map((i) => `${i.from} → ${i.to}`)).toEqual([]);
  });

  it('no cycles between folders', () => {
    const g = unitGraph(imports);
    expect(cycles(g), diagram(g)).toEqual([]);
  });
});

describe('the checks themselves', () => {
  it('find an upward import and a cycle', () => {
    const imports = [
      { from: 'kube/session.ts', to: 'cli/options.ts' },
      { from: 'cli.ts', to: 'cli/options.ts' },
      { from: 'join/filter.ts', to: 'kube/debug-pod.ts' },
      { from: 'kube/session.ts', to: 'join/pod-index.ts' },
      { from: 'run.ts', to: 'kube/session.ts' },
    ];
    expect(upwardIntoCli(imports)).toEqual([{ from: 'kube/session.ts', to: 'cli/options.ts' }]);
    expect(cycles(unitGraph(imports))).toEqual([['join/', 'kube/']]);
  });
});
