/**
 * The committed action/dist is what `npm run action` builds from action/src (a runner uses the
 * committed files as they are), and action.yml describes the code: the inputs it reads, its files.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { load } from 'js-yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { buildAction } from '../../action/build.ts';
import { removeTempDirs, tempDir } from '../support/tmp.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
afterAll(removeTempDirs);

describe('the GitHub Action', () => {
  it('action/dist is a fresh build of action/src (run npm run action and commit action/dist)', async () => {
    const out = tempDir('trace-exec-action-build-');
    const files = await buildAction(out);
    for (const f of files) {
      const name = f.slice(out.length + 1);
      const committed = readFileSync(join(root, 'action/dist', name), 'utf8');
      expect(
        committed === readFileSync(f, 'utf8'),
        `action/dist/${name} differs from a fresh build: run npm run action and commit action/dist`,
      ).toBe(true);
    }
  }, 120_000);

  it('action.yml: runs on node24 with main and post (always), and declares exactly the inputs the code reads', () => {
    const action = load(readFileSync(join(root, 'action.yml'), 'utf8')) as {
      inputs: Record<string, { description: string }>;
      runs: Record<string, string>;
    };
    expect(action.runs).toEqual({ using: 'node24', main: 'action/dist/main.js', post: 'action/dist/post.js', 'post-if': 'always()' });
    const source = ['inputs.ts', 'main.ts', 'post.ts'].map((f) => readFileSync(join(root, 'action/src', f), 'utf8')).join('\n');
    const read = new Set([...source.matchAll(/\binput\('([a-z-]+)'\)/g)].map((m) => m[1]!));
    expect(Object.keys(action.inputs).sort()).toEqual([...read].sort());
    for (const [name, i] of Object.entries(action.inputs)) expect(i.description, name).toMatch(/\S/);
  });
});
