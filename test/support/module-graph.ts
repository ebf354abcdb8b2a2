/**
 * The import graph of src/ between folders, read from the source text (no compiler needed): what
 * src/architecture.test.ts checks, and what docs/development.md draws.
 * `node test/support/module-graph.ts [src-dir]` prints the folder diagram.
 *
 * A "unit" is a top-level folder of src/ (cli, kube, join…) or a file directly in src/ (run.ts,
 * errors.ts…). Type-only imports count: a type that runs upward ties the folders as much as a value.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface Import {
  /** Importing file, relative to src/ with forward slashes: "kube/session.ts". */
  from: string;
  /** Imported file, relative to src/: "cli/options.ts". */
  to: string;
}

/** Every relative `import … from '…'`, `export … from '…'` and `import('…')` of every non-test .ts file. */
export function readImports(srcDir: string): Import[] {
  const out: Import[] = [];
  for (const file of walk(srcDir)) {
    const text = readFileSync(file, 'utf8');
    const specs = [
      ...text.matchAll(/^\s*(?:import|export)\b[^'"]*?\bfrom\s*['"]([^'"]+)['"]/gms),
      ...text.matchAll(/^\s*import\s*['"]([^'"]+)['"]/gm),
      ...text.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g),
    ].map((m) => m[1]!);
    for (const spec of specs) {
      if (!spec.startsWith('.')) continue;
      const target = resolve(dirname(file), spec.replace(/\.js$/, '.ts'));
      out.push({ from: rel(srcDir, file), to: rel(srcDir, target) });
    }
  }
  return out;
}

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return walk(p);
    return e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') && !e.name.includes('.test-helpers.') ? [p] : [];
  });
}

function rel(srcDir: string, file: string): string {
  return relative(srcDir, file).split(sep).join('/');
}

/** "cli/options.ts" → "cli/"; "run.ts" → "run.ts". */
export function unitOf(file: string): string {
  const slash = file.indexOf('/');
  return slash < 0 ? file : file.slice(0, slash + 1);
}

/** Unit → the units it imports (itself left out). */
export function unitGraph(imports: readonly Import[]): Map<string, Set<string>> {
  const g = new Map<string, Set<string>>();
  for (const { from, to } of imports) {
    const a = unitOf(from);
    const b = unitOf(to);
    if (!g.has(a)) g.set(a, new Set());
    if (!g.has(b)) g.set(b, new Set());
    if (a !== b) g.get(a)!.add(b);
  }
  return g;
}

/** Every strongly connected group of more than one unit: each is a cycle between folders. */
export function cycles(g: Map<string, Set<string>>): string[][] {
  // Tarjan's algorithm: small graph, recursion is fine.
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const groups: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, counter);
    low.set(v, counter++);
    stack.push(v);
    onStack.add(v);
    for (const w of g.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const group: string[] = [];
      for (let w = stack.pop()!; ; w = stack.pop()!) {
        onStack.delete(w);
        group.push(w);
        if (w === v) break;
      }
      if (group.length > 1) groups.push(group.sort());
    }
  };
  for (const v of [...g.keys()].sort()) if (!index.has(v)) visit(v);
  return groups;
}

/** Imports into src/cli/ from outside it, except from the entry module. */
export function upwardIntoCli(imports: readonly Import[], entry = 'cli.ts'): Import[] {
  return imports.filter((i) => i.to.startsWith('cli/') && !i.from.startsWith('cli/') && i.from !== entry);
}

/** One line a unit: "kube/    → errors.ts join/ log.ts node/". */
export function diagram(g: Map<string, Set<string>>): string {
  const units = [...g.keys()].sort();
  const width = Math.max(...units.map((u) => u.length));
  return units.map((u) => `${u.padEnd(width)} → ${[...g.get(u)!].sort().join(' ') || '(nothing)'}`).join('\n');
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const src = process.argv[2] ?? fileURLToPath(new URL('../../src', import.meta.url));
  const imports = readImports(src);
  const g = unitGraph(imports);
  console.log(diagram(g));
  const c = cycles(g);
  console.log(`\ncycles between folders: ${c.length === 0 ? 'none' : c.map((x) => x.join(' ↔ ')).join('; ')}`);
  const up = upwardIntoCli(imports);
  console.log(`imports into cli/ from outside: ${up.length === 0 ? 'none' : up.map((i) => `${i.from} → ${i.to}`).join(', ')}`);
}
