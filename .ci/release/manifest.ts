/**
 * The krew manifest of a build: the description comes from the repository's plugin.yaml (one place to
 * edit it), the version from package.json, and one platform per archive with its sha256.
 */
import { dump, load } from 'js-yaml';
import { readFileSync } from 'node:fs';

export interface PlatformEntry {
  os: 'linux' | 'darwin' | 'windows';
  arch: 'amd64' | 'arm64';
  archive: string;
  sha256: string;
  bin: string;
}

interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string };
  spec: {
    version: string;
    homepage: string;
    shortDescription: string;
    description: string;
    caveats: string;
    platforms: unknown[];
  };
}

/** Where the archives will be downloaded from: RELEASE_BASE_URL, else the project's GitHub release of this version. */
export function releaseBaseUrl(homepage: string, version: string, env: NodeJS.ProcessEnv = process.env): string {
  const base = env.RELEASE_BASE_URL?.trim();
  if (base) return base.replace(/\/+$/, '');
  return `${homepage.replace(/\/+$/, '')}/releases/download/v${version}`;
}

export function readTemplate(file: string): Manifest {
  const m = load(readFileSync(file, 'utf8')) as Manifest;
  for (const k of ['homepage', 'shortDescription', 'description', 'caveats'] as const) {
    if (typeof m?.spec?.[k] !== 'string' || m.spec[k].trim() === '') throw new Error(`${file}: spec.${k} is missing`);
  }
  return m;
}

export function krewManifest(template: Manifest, version: string, baseUrl: string, platforms: PlatformEntry[]): string {
  const manifest: Manifest = {
    apiVersion: 'krew.googlecontainertools.github.com/v1alpha2',
    kind: 'Plugin',
    metadata: { name: 'trace-exec' },
    spec: {
      version: `v${version}`,
      homepage: template.spec.homepage,
      shortDescription: template.spec.shortDescription,
      description: template.spec.description,
      caveats: template.spec.caveats,
      platforms: platforms.map((p) => ({
        selector: { matchLabels: { os: p.os, arch: p.arch } },
        uri: `${baseUrl}/${p.archive}`,
        sha256: p.sha256,
        bin: p.bin,
      })),
    },
  };
  return `# Written by npm run release (.ci/release/build.ts) for the archives beside it.\n${dump(manifest, { lineWidth: -1, noRefs: true })}`;
}
