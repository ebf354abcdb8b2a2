import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { afterAll, describe, expect, it } from 'vitest';
import { isLastResort, loadKubeconfigList } from './config.js';

const dir = mkdtempSync(join(tmpdir(), 'trace-exec-kubeconfig-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A kubeconfig file with one cluster, user and context of these names (server tells which file won). */
function file(name: string, o: { cluster: string; user: string; context: string; current?: string; server: string }): string {
  const path = join(dir, name);
  writeFileSync(
    path,
    [
      'apiVersion: v1',
      'kind: Config',
      `clusters: [{name: ${o.cluster}, cluster: {server: "${o.server}", certificate-authority: ca.crt}}]`,
      `users: [{name: ${o.user}, user: {token: t-${name}}}]`,
      `contexts: [{name: ${o.context}, context: {cluster: ${o.cluster}, user: ${o.user}}}]`,
      ...(o.current ? [`current-context: ${o.current}`] : []),
    ].join('\n'),
  );
  return path;
}

const a = file('a.yaml', { cluster: 'kind', user: 'admin', context: 'ctx-a', server: 'https://a.test' });
const b = file('b.yaml', { cluster: 'kind', user: 'admin', context: 'ctx-b', current: 'ctx-b', server: 'https://b.test' });
const c = file('c.yaml', { cluster: 'other', user: 'dev', context: 'ctx-c', current: 'ctx-c', server: 'https://c.test' });
const missing = join(dir, 'nope.yaml');
const list = (...files: string[]) => files.join(delimiter);

describe("loadKubeconfigList (kubectl's merge rules)", () => {
  it.each<[string, string, { files: string[]; current: string; kindServer: string | null; contexts: string[] }]>([
    [
      'a name two files share: the first file wins, no error',
      list(a, b),
      { files: [a, b], current: 'ctx-b', kindServer: 'https://a.test', contexts: ['ctx-a', 'ctx-b'] },
    ],
    [
      'the current context from the first file that sets one',
      list(b, c),
      { files: [b, c], current: 'ctx-b', kindServer: 'https://b.test', contexts: ['ctx-b', 'ctx-c'] },
    ],
    ['a missing file is skipped', list(missing, c), { files: [c], current: 'ctx-c', kindServer: null, contexts: ['ctx-c'] }],
    [
      'empty entries and repeats are skipped',
      `${delimiter}${c}${delimiter}${delimiter}${c}`,
      { files: [c], current: 'ctx-c', kindServer: null, contexts: ['ctx-c'] },
    ],
  ])('%s', (_name, value, want) => {
    const kc = new KubeConfig();
    expect(loadKubeconfigList(kc, value)).toEqual(want.files);
    expect(kc.getCurrentContext()).toBe(want.current);
    expect(kc.getCluster('kind')?.server ?? null).toBe(want.kindServer);
    expect(kc.getContexts().map((x) => x.name)).toEqual(want.contexts);
  });

  it('paths inside a file are relative to its own directory', () => {
    const kc = new KubeConfig();
    loadKubeconfigList(kc, list(c));
    expect(kc.getCluster('other')?.caFile).toBe(join(dir, 'ca.crt'));
  });

  it('none of the files exists: says so, naming them', () => {
    expect(() => loadKubeconfigList(new KubeConfig(), list(missing))).toThrow(`none of its files exists: ${missing}`);
  });

  it('a file that is not a kubeconfig: names the file', () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'clusters: [unclosed');
    expect(() => loadKubeconfigList(new KubeConfig(), list(c, bad))).toThrow(
      new RegExp(`^${bad.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: `),
    );
  });
});

describe('isLastResort (the client library found no kubeconfig)', () => {
  const local = (name: string, user: string) => {
    const path = join(dir, name);
    writeFileSync(
      path,
      `clusters: [{name: cluster, cluster: {server: "http://localhost:8080"}}]\nusers: [{name: user, user: ${user}}]\ncontexts: [{name: loaded-context, context: {cluster: cluster, user: user}}]\ncurrent-context: loaded-context\n`,
    );
    return path;
  };
  const fromDefault = (home: string): KubeConfig => {
    const saved = { HOME: process.env.HOME, KUBECONFIG: process.env.KUBECONFIG };
    process.env.HOME = home;
    delete process.env.KUBECONFIG;
    try {
      const kc = new KubeConfig();
      kc.loadFromDefault();
      return kc;
    } finally {
      for (const [k, v] of Object.entries(saved))
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
    }
  };
  const emptyHome = mkdtempSync(join(dir, 'home-'));

  it.each<[string, () => KubeConfig, boolean]>([
    ['loadFromDefault with no KUBECONFIG, no ~/.kube/config, not in a pod', () => fromDefault(emptyHome), true],
    ['a file of a real cluster', () => load(c), false],
    ['a file that names localhost:8080 the same way but carries a token', () => load(local('token.yaml', '{token: t}')), false],
  ])('%s', (_what, kc, want) => {
    expect(isLastResort(kc())).toBe(want);
  });
});

function load(file: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(file);
  return kc;
}
