/**
 * What the stand-in knows about each resource: its names (for discovery and messages), the field
 * selectors it supports (GetAttrs in the real registries), and the defaulting and validation a create
 * goes through.
 */
import { randomUUID } from 'node:crypto';
import { invalid, type FieldError } from './status.js';
import type { ResourceName } from './store.js';
import { timestamp, type KubeObject, type Namespace, type Pod } from './types.js';

export interface ResourceDef {
  resource: ResourceName;
  kind: string;
  singular: string;
  namespaced: boolean;
  shortNames: string[];
  verbs: string[];
  fieldSelectors: readonly string[];
  fields(obj: KubeObject): Record<string, string>;
  /** Defaults and validates a new object in place (throws 422 Invalid). */
  prepareCreate(obj: KubeObject): void;
}

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

function nameErrors(name: string | undefined, subdomain: boolean): FieldError[] {
  if (!name) {
    return [{ field: 'metadata.name', reason: 'FieldValueRequired', message: 'Required value: name or generateName is required' }];
  }
  const ok = subdomain ? DNS1123_SUBDOMAIN.test(name) && name.length <= 253 : DNS1123_LABEL.test(name) && name.length <= 63;
  if (ok) return [];
  const what = subdomain ? 'a lowercase RFC 1123 subdomain' : 'a lowercase RFC 1123 label';
  return [
    {
      field: 'metadata.name',
      reason: 'FieldValueInvalid',
      message: `Invalid value: "${name}": ${what} must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character`,
    },
  ];
}

function stampIdentity(obj: KubeObject): void {
  obj.metadata.uid ??= randomUUID();
  obj.metadata.creationTimestamp ??= timestamp();
}

function metaFields(obj: KubeObject): Record<string, string> {
  const out: Record<string, string> = { 'metadata.name': obj.metadata.name ?? '' };
  if (obj.metadata.namespace !== undefined) out['metadata.namespace'] = obj.metadata.namespace;
  return out;
}

/** The image reference a container runtime reports back for `image` (docker.io/library/x:latest). */
export function normalizeImage(image: string): string {
  let ref = image;
  const lastSlash = ref.lastIndexOf('/');
  if (!ref.includes('@') && !ref.slice(lastSlash + 1).includes(':')) ref += ':latest';
  const first = ref.split('/')[0] as string;
  const hasRegistry = ref.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost');
  if (!hasRegistry) ref = `docker.io/${ref.includes('/') ? '' : 'library/'}${ref}`;
  return ref;
}

export const pods: ResourceDef = {
  resource: 'pods',
  kind: 'Pod',
  singular: 'pod',
  namespaced: true,
  shortNames: ['po'],
  verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'watch'],
  fieldSelectors: [
    'metadata.name',
    'metadata.namespace',
    'spec.nodeName',
    'spec.restartPolicy',
    'spec.schedulerName',
    'spec.serviceAccountName',
    'spec.hostNetwork',
    'status.phase',
    'status.podIP',
    'status.nominatedNodeName',
  ],
  fields(obj) {
    const pod = obj as Pod;
    const spec = pod.spec ?? {};
    const status = pod.status ?? {};
    return {
      ...metaFields(obj),
      'spec.nodeName': spec.nodeName ?? '',
      'spec.restartPolicy': String(spec['restartPolicy'] ?? ''),
      'spec.schedulerName': String(spec['schedulerName'] ?? ''),
      'spec.serviceAccountName': String(spec['serviceAccountName'] ?? ''),
      'spec.hostNetwork': String(spec['hostNetwork'] ?? false),
      'status.phase': status.phase ?? '',
      'status.podIP': status.podIP ?? '',
      'status.nominatedNodeName': String(status['nominatedNodeName'] ?? ''),
    };
  },
  prepareCreate(obj) {
    const pod = obj as Pod;
    const errors = nameErrors(pod.metadata.name, true);
    const containers = pod.spec?.containers;
    if (!Array.isArray(containers) || containers.length === 0) {
      errors.push({ field: 'spec.containers', reason: 'FieldValueRequired', message: 'Required value' });
    } else {
      containers.forEach((c, i) => {
        if (!c?.name) errors.push({ field: `spec.containers[${i}].name`, reason: 'FieldValueRequired', message: 'Required value' });
        if (!c?.image) errors.push({ field: `spec.containers[${i}].image`, reason: 'FieldValueRequired', message: 'Required value' });
      });
    }
    if (errors.length > 0) throw invalid('Pod', pod.metadata.name ?? '', errors);
    stampIdentity(pod);
    // The defaults the real API server fills in, so clients reading them back see familiar objects.
    const spec = (pod.spec ??= {});
    spec['restartPolicy'] ??= 'Always';
    spec['dnsPolicy'] ??= 'ClusterFirst';
    spec['schedulerName'] ??= 'default-scheduler';
    spec['serviceAccountName'] ??= 'default';
    spec['terminationGracePeriodSeconds'] ??= 30;
    spec['enableServiceLinks'] ??= true;
    for (const c of [...(spec.initContainers ?? []), ...(spec.containers ?? [])]) {
      const image = c.image ?? '';
      c['imagePullPolicy'] ??= image.endsWith(':latest') || !/:[^/]+$/.test(image) ? 'Always' : 'IfNotPresent';
      c['terminationMessagePath'] ??= '/dev/termination-log';
      c['terminationMessagePolicy'] ??= 'File';
    }
    // Status is owned by the kubelet: whatever the client sent is replaced, as the real registry does.
    pod.status = { phase: 'Pending', qosClass: 'BestEffort' };
  },
};

export const namespaces: ResourceDef = {
  resource: 'namespaces',
  kind: 'Namespace',
  singular: 'namespace',
  namespaced: false,
  shortNames: ['ns'],
  verbs: ['create', 'delete', 'get', 'list', 'patch', 'watch'],
  fieldSelectors: ['metadata.name', 'status.phase'],
  fields(obj) {
    return { ...metaFields(obj), 'status.phase': String((obj as Namespace).status?.phase ?? '') };
  },
  prepareCreate(obj) {
    const ns = obj as Namespace;
    const errors = nameErrors(ns.metadata.name, false);
    if (errors.length > 0) throw invalid('Namespace', ns.metadata.name ?? '', errors);
    stampIdentity(ns);
    delete ns.metadata.namespace;
    // The API server always labels namespaces with their own name (NamespaceDefaultLabelName).
    ns.metadata.labels = { ...ns.metadata.labels, 'kubernetes.io/metadata.name': ns.metadata.name as string };
    ns.spec = { finalizers: ['kubernetes'], ...ns.spec };
    ns.status = { phase: 'Active' };
  },
};

export const nodes: ResourceDef = {
  resource: 'nodes',
  kind: 'Node',
  singular: 'node',
  namespaced: false,
  shortNames: ['no'],
  // Nodes are registered by their kubelets (api.addNode), never created through the API here.
  verbs: ['get', 'list', 'patch', 'watch'],
  fieldSelectors: ['metadata.name', 'spec.unschedulable'],
  fields(obj) {
    const spec = (obj as { spec?: { unschedulable?: boolean } }).spec;
    return { ...metaFields(obj), 'spec.unschedulable': String(spec?.unschedulable ?? false) };
  },
  prepareCreate(obj) {
    stampIdentity(obj);
  },
};

export const resources: Record<ResourceName, ResourceDef> = { pods, namespaces, nodes };

const GENERATE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/** The 5-character suffix the API server appends to metadata.generateName (no vowels, no 0/1/3). */
export function randomSuffix(): string {
  let out = '';
  for (let i = 0; i < 5; i++) out += GENERATE_ALPHABET[Math.floor(Math.random() * GENERATE_ALPHABET.length)];
  return out;
}
