/**
 * /version and API discovery (/api, /api/v1, /apis, /apis/authorization.k8s.io[/v1]), in the legacy
 * (non-aggregated) format: clients that ask for aggregated discovery fall back to it when the response
 * is plain application/json, as they do against older servers.
 */
import { arch } from 'node:os';
import { resources } from './resources.js';

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

export function coreResources(): Record<string, unknown> {
  const list: Record<string, unknown>[] = [];
  for (const def of Object.values(resources)) {
    const entry: Record<string, unknown> = {
      name: def.resource,
      singularName: def.singular,
      namespaced: def.namespaced,
      kind: def.kind,
      verbs: def.verbs,
      shortNames: def.shortNames,
    };
    if (def.resource === 'pods') entry['categories'] = ['all'];
    list.push(entry);
  }
  list.push({ name: 'pods/exec', singularName: '', namespaced: true, kind: 'PodExecOptions', verbs: ['create', 'get'] });
  list.sort((a, b) => String(a['name']).localeCompare(String(b['name'])));
  return { kind: 'APIResourceList', groupVersion: 'v1', resources: list };
}

function authorizationGroup(): Record<string, unknown> {
  const version = { groupVersion: `${AUTHORIZATION_GROUP}/v1`, version: 'v1' };
  return { name: AUTHORIZATION_GROUP, versions: [version], preferredVersion: version };
}

export function apiGroups(): Record<string, unknown> {
  return { kind: 'APIGroupList', apiVersion: 'v1', groups: [authorizationGroup()] };
}

export function authorizationGroupDoc(): Record<string, unknown> {
  return { kind: 'APIGroup', apiVersion: 'v1', ...authorizationGroup() };
}

export function authorizationResources(): Record<string, unknown> {
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: `${AUTHORIZATION_GROUP}/v1`,
    resources: [
      { name: 'selfsubjectaccessreviews', singularName: 'selfsubjectaccessreview', namespaced: false, kind: 'SelfSubjectAccessReview', verbs: ['create'] },
    ],
  };
}
