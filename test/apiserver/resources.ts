/**
 * What the stand-in knows about each resource: its group and names (for routing, discovery and
 * messages), the field selectors it supports (GetAttrs in the real registries), and the defaulting and
 * validation a create goes through. core/v1: pods, namespaces, nodes; apps/v1: deployments,
 * statefulsets, daemonsets, replicasets; batch/v1: jobs.
 */
import { randomUUID } from 'node:crypto';
import { labelSelectorMatches } from './selectors.js';
import { invalid, type FieldError } from './status.js';
import type { ResourceName } from './store.js';
import { timestamp, type KubeObject, type Namespace, type Pod, type PodSpec, type WorkloadObject } from './types.js';

export interface ResourceDef {
  resource: ResourceName;
  /** The API group: "" for core, "apps", "batch". */
  group: string;
  /** The groupVersion objects are served as: "v1", "apps/v1", "batch/v1". */
  apiVersion: string;
  kind: string;
  singular: string;
  namespaced: boolean;
  shortNames: string[];
  /** Discovery categories ("all" is what `kubectl get all` lists). */
  categories?: string[];
  verbs: string[];
  /**
   * What a DELETE answers: the deleted object (pods, namespaces), or, as the generic registry does for
   * everything else, a Status Success with the object's name, group, kind and uid.
   */
  deleteReturnsObject: boolean;
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

/**
 * The defaults the real API server fills into a pod spec (SetDefaults_PodSpec and, for pods themselves,
 * the ServiceAccount admission plugin and SetDefaults_Pod), so that clients see familiar objects.
 */
function defaultPodSpec(spec: PodSpec, isPod: boolean): void {
  spec['restartPolicy'] ??= 'Always';
  spec['dnsPolicy'] ??= 'ClusterFirst';
  spec['schedulerName'] ??= 'default-scheduler';
  if (isPod) spec['serviceAccountName'] ??= 'default';
  spec['terminationGracePeriodSeconds'] ??= 30;
  if (isPod) spec['enableServiceLinks'] ??= true;
  for (const c of [...(spec.initContainers ?? []), ...(spec.containers ?? [])]) {
    const image = c.image ?? '';
    c['imagePullPolicy'] ??= image.endsWith(':latest') || !/:[^/]+$/.test(image) ? 'Always' : 'IfNotPresent';
    c['terminationMessagePath'] ??= '/dev/termination-log';
    c['terminationMessagePolicy'] ??= 'File';
  }
}

function containerErrors(containers: PodSpec['containers'], path: string): FieldError[] {
  const errors: FieldError[] = [];
  if (!Array.isArray(containers) || containers.length === 0) {
    errors.push({ field: path, reason: 'FieldValueRequired', message: 'Required value' });
  } else {
    containers.forEach((c, i) => {
      if (!c?.name) errors.push({ field: `${path}[${i}].name`, reason: 'FieldValueRequired', message: 'Required value' });
      if (!c?.image) errors.push({ field: `${path}[${i}].image`, reason: 'FieldValueRequired', message: 'Required value' });
    });
  }
  return errors;
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
  group: '',
  apiVersion: 'v1',
  kind: 'Pod',
  singular: 'pod',
  namespaced: true,
  shortNames: ['po'],
  categories: ['all'],
  deleteReturnsObject: true,
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
    const errors = [...nameErrors(pod.metadata.name, true), ...containerErrors(pod.spec?.containers, 'spec.containers')];
    if (errors.length > 0) throw invalid('Pod', pod.metadata.name ?? '', errors);
    stampIdentity(pod);
    defaultPodSpec((pod.spec ??= {}), true);
    // Status is owned by the kubelet: whatever the client sent is replaced, as the real registry does.
    pod.status = { phase: 'Pending', qosClass: 'BestEffort' };
  },
};

export const namespaces: ResourceDef = {
  resource: 'namespaces',
  group: '',
  apiVersion: 'v1',
  deleteReturnsObject: true,
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
  group: '',
  apiVersion: 'v1',
  deleteReturnsObject: false,
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

/** Go's %#v of a map[string]string, the way field.Invalid renders label maps. */
function goStringMap(m: Record<string, string> | undefined): string {
  if (!m) return 'map[string]string(nil)';
  const entries = Object.keys(m)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${JSON.stringify(m[k])}`);
  return `map[string]string{${entries.join(', ')}}`;
}

interface WorkloadOptions {
  resource: ResourceName;
  group: 'apps' | 'batch';
  kind: string;
  shortNames: string[];
  /** Selectable fields beyond metadata.name/namespace, as the registry's GetAttrs adds them. */
  statusFields?: Record<string, string>;
  /** The restart policies its pod template may have. */
  restartPolicies: string[];
  /** SetDefaults_<Kind> of the spec (the pod template is defaulted separately). */
  defaultSpec(obj: WorkloadObject): void;
  /** The status PrepareForCreate leaves (the non-omitempty fields of the v1 status type). */
  initialStatus: Record<string, unknown>;
}

/**
 * Job: the generated selector and labels (BeforeCreate's generateSelector), and the job's own labels.
 * A selector given without spec.manualSelector is an error, as on the real server.
 */
export function generateJobSelector(job: WorkloadObject, errors: FieldError[]): void {
  const spec = (job.spec ??= {});
  const uid = job.metadata.uid as string;
  const name = job.metadata.name as string;
  if (spec['manualSelector'] === true) return;
  if (spec.selector !== undefined) {
    errors.push({
      field: 'spec.selector',
      reason: 'FieldValueInvalid',
      message: `Invalid value: ${JSON.stringify(spec.selector)}: \`selector\` not auto-generated`,
    });
    return;
  }
  const template = (spec.template ??= {});
  const meta = (template.metadata ??= {});
  meta.labels = {
    ...meta.labels,
    'batch.kubernetes.io/controller-uid': uid,
    'batch.kubernetes.io/job-name': name,
    'controller-uid': uid,
    'job-name': name,
  };
  spec.selector = { matchLabels: { 'batch.kubernetes.io/controller-uid': uid } };
  // Decoding the stored object applies SetDefaults_Job again: a job without labels takes its template's.
  if (!job.metadata.labels || Object.keys(job.metadata.labels).length === 0) job.metadata.labels = { ...meta.labels };
}

function workload(o: WorkloadOptions): ResourceDef {
  const statusFields = o.statusFields ?? {};
  const def: ResourceDef = {
    resource: o.resource,
    group: o.group,
    apiVersion: `${o.group}/v1`,
    kind: o.kind,
    singular: o.kind.toLowerCase(),
    namespaced: true,
    shortNames: o.shortNames,
    categories: ['all'],
    // No update (PUT) and no patch: nothing here bumps metadata.generation on spec changes.
    verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'watch'],
    deleteReturnsObject: false,
    fieldSelectors: ['metadata.name', 'metadata.namespace', ...Object.keys(statusFields)],
    fields(obj) {
      const status = ((obj as WorkloadObject).status ?? {}) as Record<string, unknown>;
      const out = metaFields(obj);
      for (const [field, statusKey] of Object.entries(statusFields)) out[field] = String(status[statusKey] ?? 0);
      return out;
    },
    prepareCreate(obj) {
      const w = obj as WorkloadObject;
      const name = w.metadata.name ?? '';
      const spec = (w.spec ??= {});
      o.defaultSpec(w);
      const podSpec = ((spec.template ??= {}).spec ??= {});
      defaultPodSpec(podSpec, false);

      const errors = [...nameErrors(w.metadata.name, true), ...containerErrors(podSpec.containers, 'spec.template.spec.containers')];
      const restartPolicy = String(podSpec['restartPolicy']);
      if (!o.restartPolicies.includes(restartPolicy)) {
        errors.push({
          field: 'spec.template.spec.restartPolicy',
          reason: 'FieldValueNotSupported',
          message: `Unsupported value: "${restartPolicy}": supported values: ${o.restartPolicies.map((p) => `"${p}"`).join(', ')}`,
        });
      }
      if (o.group === 'batch') {
        if (errors.length === 0) {
          stampIdentity(w);
          generateJobSelector(w, errors);
        }
      } else if (spec.selector === undefined || spec.selector === null) {
        errors.push({ field: 'spec.selector', reason: 'FieldValueRequired', message: 'Required value' });
      } else if (!labelSelectorMatches(spec.selector, spec.template.metadata?.labels ?? {})) {
        errors.push({
          field: 'spec.template.metadata.labels',
          reason: 'FieldValueInvalid',
          message: `Invalid value: ${goStringMap(spec.template.metadata?.labels)}: \`selector\` does not match template \`labels\``,
        });
      }
      if (errors.length > 0) throw invalid(o.kind, name, errors, o.group);
      stampIdentity(w);
      w.metadata.generation = 1;
      // Status is owned by the controllers (there are none here): whatever the client sent is replaced.
      w.status = { ...o.initialStatus };
    },
  };
  return def;
}

export const deployments = workload({
  resource: 'deployments',
  group: 'apps',
  kind: 'Deployment',
  shortNames: ['deploy'],
  restartPolicies: ['Always'],
  defaultSpec({ spec = {} }) {
    spec.replicas ??= 1;
    const strategy = (spec['strategy'] ??= {}) as Record<string, unknown>;
    strategy['type'] ??= 'RollingUpdate';
    if (strategy['type'] === 'RollingUpdate')
      strategy['rollingUpdate'] = { maxUnavailable: '25%', maxSurge: '25%', ...(strategy['rollingUpdate'] as object) };
    spec['revisionHistoryLimit'] ??= 10;
    spec['progressDeadlineSeconds'] ??= 600;
  },
  initialStatus: {},
});

export const statefulsets = workload({
  resource: 'statefulsets',
  group: 'apps',
  kind: 'StatefulSet',
  shortNames: ['sts'],
  restartPolicies: ['Always'],
  defaultSpec({ spec = {} }) {
    spec.replicas ??= 1;
    spec['podManagementPolicy'] ??= 'OrderedReady';
    const strategy = (spec['updateStrategy'] ??= {}) as Record<string, unknown>;
    strategy['type'] ??= 'RollingUpdate';
    if (strategy['type'] === 'RollingUpdate') strategy['rollingUpdate'] = { partition: 0, ...(strategy['rollingUpdate'] as object) };
    spec['revisionHistoryLimit'] ??= 10;
    spec['persistentVolumeClaimRetentionPolicy'] = {
      whenDeleted: 'Retain',
      whenScaled: 'Retain',
      ...(spec['persistentVolumeClaimRetentionPolicy'] as object),
    };
  },
  initialStatus: { replicas: 0, availableReplicas: 0 },
});

export const daemonsets = workload({
  resource: 'daemonsets',
  group: 'apps',
  kind: 'DaemonSet',
  shortNames: ['ds'],
  restartPolicies: ['Always'],
  defaultSpec({ spec = {} }) {
    const strategy = (spec['updateStrategy'] ??= {}) as Record<string, unknown>;
    strategy['type'] ??= 'RollingUpdate';
    if (strategy['type'] === 'RollingUpdate')
      strategy['rollingUpdate'] = { maxUnavailable: 1, maxSurge: 0, ...(strategy['rollingUpdate'] as object) };
    spec['revisionHistoryLimit'] ??= 10;
  },
  initialStatus: { currentNumberScheduled: 0, numberMisscheduled: 0, desiredNumberScheduled: 0, numberReady: 0 },
});

export const replicasets = workload({
  resource: 'replicasets',
  group: 'apps',
  kind: 'ReplicaSet',
  shortNames: ['rs'],
  statusFields: { 'status.replicas': 'replicas' },
  restartPolicies: ['Always'],
  defaultSpec({ spec = {} }) {
    spec.replicas ??= 1;
  },
  initialStatus: { replicas: 0 },
});

export const jobs = workload({
  resource: 'jobs',
  group: 'batch',
  kind: 'Job',
  shortNames: [],
  statusFields: { 'status.successful': 'succeeded' },
  restartPolicies: ['OnFailure', 'Never'],
  defaultSpec({ spec = {} }) {
    if (spec['completions'] === undefined && spec['parallelism'] === undefined) spec['completions'] = 1;
    spec['parallelism'] ??= 1;
    spec['backoffLimit'] ??= spec['backoffLimitPerIndex'] !== undefined ? 2147483647 : 6;
    spec['completionMode'] ??= 'NonIndexed';
    spec['suspend'] ??= false;
    spec['podReplacementPolicy'] ??= spec['podFailurePolicy'] !== undefined ? 'Failed' : 'TerminatingOrFailed';
  },
  initialStatus: {},
});

export const resources: Record<ResourceName, ResourceDef> = {
  pods,
  namespaces,
  nodes,
  deployments,
  statefulsets,
  daemonsets,
  replicasets,
  jobs,
};

/** The resources api.addWorkload takes, by apiVersion and kind. */
export const workloadResources: readonly ResourceDef[] = [deployments, statefulsets, daemonsets, replicasets, jobs];

export function workloadDef(apiVersion: string | undefined, kind: string | undefined): ResourceDef | undefined {
  return workloadResources.find((d) => d.apiVersion === apiVersion && d.kind === kind);
}

const GENERATE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/** The 5-character suffix the API server appends to metadata.generateName (no vowels, no 0/1/3). */
export function randomSuffix(): string {
  let out = '';
  for (let i = 0; i < 5; i++) out += GENERATE_ALPHABET[Math.floor(Math.random() * GENERATE_ALPHABET.length)];
  return out;
}
