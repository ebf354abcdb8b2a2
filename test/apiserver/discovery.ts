/**
 * /version and API discovery (/api, /api/v1, /apis, /apis/{apps,authorization.k8s.io,batch}[/v1]), in the legacy
 * (non-aggregated) format: clients that ask for aggregated discovery fall back to it when the response
 * is plain application/json, as they do against older servers.
 */
import { arch } from 'node:os';
import { resources, type ResourceDef } from './resources.js';

export const KUBERNETES_VERSION = 'v1.32.0';

const AUTHORIZATION_GROUP = 'authorization.k8s.io';

export function versionInfo(): Record<string, string> {
  return {
    major: '1',
    minor: '32',
    gitVersion: KUBERNETES_VERSION,
    gitCommit: '70d3cc986aa8221cd1dfb1121852688902d3bf53',
    gitTreeState: 'clean',
    buildDate: '2024-12-11T17:59:15Z',
    goVersion: 'go1.23.3',
    compiler: 'gc',
    platform: `linux/${arch() === 'x64' ? 'amd64' : arch()}`,
  };
}

export function apiVersions(serverAddress: string): Record<string, unknown> {
  return {
    kind: 'APIVersions',
    versions: ['v1'],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }],
  };
}

function resourceEntry(def: ResourceDef): Record<string, unknown> {
  const entry: Record<string, unknown> = {
    name: def.resource,
    singularName: def.singular,
    namespaced: def.namespaced,
    kind: def.kind,
    verbs: def.verbs,
  };
  if (def.shortNames.length > 0) entry['shortNames'] = def.shortNames;
  if (def.categories) entry['categories'] = def.categories;
  return entry;
}

export function coreResources(): Record<string, unknown> {
  const list = Object.values(resources)
    .filter((def) => def.group === '')
    .map(resourceEntry);
  list.push({ name: 'pods/exec', singularName: '', namespaced: true, kind: 'PodExecOptions', verbs: ['create', 'get'] });
  list.sort((a, b) => String(a['name']).localeCompare(String(b['name'])));
  return { kind: 'APIResourceList', groupVersion: 'v1', resources: list };
}

/** The named groups, in the order the real API server lists them (apps before authorization before batch). */
const GROUPS: readonly string[] = ['apps', AUTHORIZATION_GROUP, 'batch'];

function groupEntry(name: string): Record<string, unknown> {
  const version = { groupVersion: `${name}/v1`, version: 'v1' };
  return { name, versions: [version], preferredVersion: version };
}

export function apiGroups(): Record<string, unknown> {
  return { kind: 'APIGroupList', apiVersion: 'v1', groups: GROUPS.map(groupEntry) };
}

/** /apis/{group}; undefined for a group we do not serve. */
export function apiGroupDoc(group: string): Record<string, unknown> | undefined {
  if (!GROUPS.includes(group)) return undefined;
  return { kind: 'APIGroup', apiVersion: 'v1', ...groupEntry(group) };
}

/** /apis/{group}/{version}; undefined for a group version we do not serve. */
export function groupResources(groupVersion: string): Record<string, unknown> | undefined {
  let list: Record<string, unknown>[];
  if (groupVersion === `${AUTHORIZATION_GROUP}/v1`) {
    list = [
      {
        name: 'selfsubjectaccessreviews',
        singularName: 'selfsubjectaccessreview',
        namespaced: false,
        kind: 'SelfSubjectAccessReview',
        verbs: ['create'],
      },
    ];
  } else {
    list = Object.values(resources)
      .filter((def) => def.group !== '' && def.apiVersion === groupVersion)
      .map(resourceEntry);
    if (list.length === 0) return undefined;
    list.sort((a, b) => String(a['name']).localeCompare(String(b['name'])));
  }
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion, resources: list };
}
