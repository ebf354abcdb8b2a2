import { load } from 'js-yaml';
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { gitCommit, VERSION } from './version.js';

const read = (rel: string): string => readFileSync(new URL(`../${rel}`, import.meta.url), 'utf8');

describe('version', () => {
  it("is package.json's, and the krew manifest's", () => {
    expect(VERSION).toBe((JSON.parse(read('package.json')) as { version: string }).version);
    expect((load(read('plugin.yaml')) as { spec: { version: string } }).spec.version).toBe(`v${VERSION}`);
  });

  it('the commit: short hex from git in a checkout, "unknown" elsewhere', () => {
    const commit = gitCommit();
    if (existsSync(new URL('../.git', import.meta.url))) expect(commit).toMatch(/^([0-9a-f]{4,40}|unknown)$/);
    else expect(commit).toBe('unknown');
    expect(gitCommit()).toBe(commit); // asked once
  });
});
