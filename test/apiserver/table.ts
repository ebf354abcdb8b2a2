/**
 * Server-side printing: kubectl's human-readable output (`kubectl get pods`, `get deploy`) asks for
 * `Accept: application/json;as=Table;v=v1;g=meta.k8s.io`, and prints the columns the server computes.
 * The columns follow pkg/printers/internalversion for the resources we serve.
 */
import { labelSelectorString } from './selectors.js';
import type { ResourceName } from './store.js';
import type { ContainerStatus, KubeObject, Namespace, Node, Pod, WorkloadObject } from './types.js';

interface ColumnDefinition {
  name: string;
  type: string;
  format: string;
  description: string;
  priority: number;
}

type Cell = string | number;

/** True when the client asked for a Table (kubectl get without -o json/yaml/name). */
export function wantsTable(accept: string | undefined): boolean {
  return !!accept && /as=Table/.test(accept) && /g=meta\.k8s\.io/.test(accept);
}

function column(name: string, description: string, priority = 0, format = ''): ColumnDefinition {
  return { name, type: 'string', format, description, priority };
}

const TEMPLATE_COLUMNS: ColumnDefinition[] = [
  column('Containers', 'Names of each container in the template.', 1),
  column('Images', 'Images referenced by each container in the template.', 1),
];

const COLUMNS: Record<ResourceName, ColumnDefinition[]> = {
  pods: [
    column('Name', 'Name must be unique within a namespace.', 0, 'name'),
    column('Ready', 'The aggregate readiness state of this pod for accepting traffic.'),
    column('Status', 'The aggregate status of the containers in this pod.'),
    column(
      'Restarts',
      'The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.',
    ),
    column('Age', 'CreationTimestamp is a timestamp representing the server time when this object was created.'),
    column('IP', 'IP address allocated to the pod. Routable at least within the cluster.', 1),
    column('Node', 'NodeName is a request to schedule this pod onto a specific node.', 1),
    column('Nominated Node', 'nominatedNodeName is set only when this pod preempts other pods on the node.', 1),
    column('Readiness Gates', 'If specified, all readiness gates will be evaluated for pod readiness.', 1),
  ],
  nodes: [
    column('Name', 'Name must be unique within a namespace.', 0, 'name'),
    column('Status', 'The status of the node'),
    column('Roles', 'The roles of the node'),
    column('Age', 'CreationTimestamp is a timestamp representing the server time when this object was created.'),
    column('Version', 'Kubelet Version reported by the node.'),
    column('Internal-IP', 'List of internal IPs (if any) of the node.', 1),
    column('External-IP', 'List of external IPs (if any) of the node.', 1),
    column('OS-Image', 'OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy)).', 1),
    column('Kernel-Version', 'Kernel Version reported by the node.', 1),
    column('Container-Runtime', 'ContainerRuntime Version reported by the node.', 1),
  ],
  namespaces: [
    column('Name', 'Name must be unique within a namespace.', 0, 'name'),
    column('Status', 'The status of the namespace'),
    column('Age', 'CreationTimestamp is a timestamp representing the server time when this object was created.'),
  ],
  deployments: [
    column('Name', 'Name must be unique within a namespace.', 0, 'name'),
    column('Ready', 'Number of the pod with ready state'),
    column('Up-to-date', 'Total number of non-terminated pods targeted by this deployment that have the desired template spec.'),
    column('Available', 'Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.'),
    column('Age', 'CreationTimestamp is a timestamp representing the server time when this object was created.'),
    ...TEMPLATE_COLUMNS,
    column(
      'Selector',
      'Label selector for pods. Existing ReplicaSets whose pods are selected by this will be the ones affected by this deployment.',
      1,
    ),
  ],
  statefulsets: [
    column('Name', 'Name must be unique within a namespace.', 0, 'name'),
    column('Ready', 'Number of the pod with ready state'),
    column('Age', 'CreationTimestamp is a timestamp representing the server time when this object was created.'),
    ...TEMPLATE_COLUMNS,
  ],
  daemonsets: [
    column('Name', 'Name must be unique within a namespace.', 0, 'name'),
    column(
      'Desired',
      'The total number of nodes that should be running the daemon pod (including nodes correctly running the daemon pod).',
    ),
    column('Current', 'The number of nodes that are running at least 1 daemon pod and are supposed to run the daemon pod.'),
    column(
      'Ready',
      'numberReady is the number of nodes that should be running the daemon pod and have one or more of the daemon pod running with a Ready Condition.',
    ),
    column('Up-to-date', 'The total number of nodes that are running updated daemon pod'),
    column(
      'Available',
      'The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and available (ready for at least spec.minReadySeconds)',
    ),
    column('Node Selector', 'NodeSelector is a selector which must be true for the pod to fit on a node.'),
    column('Age', 'CreationTimestamp is a timestamp representing the server time when this object was created.'),
    ...TEMPLATE_COLUMNS,
    column('Selector', 'A label query over pods that are managed by the daemon set.', 1),
  ],
  replicasets: [
    column('Name', 'Name must be unique within a namespace.', 0, 'name'),
    column('Desired', 'Replicas is the number of desired pods.'),
    column('Current', 'Replicas is the most recently observed number of replicas.'),
    column('Ready', 'readyReplicas is the number of pods targeted by this ReplicaSet with a Ready Condition.'),
    column('Age', 'CreationTimestamp is a timestamp representing the server time when this object was created.'),
    ...TEMPLATE_COLUMNS,
    column('Selector', 'Selector is a label query over pods that should match the replica count.', 1),
  ],
  jobs: [
    column('Name', 'Name must be unique within a namespace.', 0, 'name'),
    column('Status', 'Status of the job.'),
    column('Completions', 'The number of pods which reached phase Succeeded.'),
    column('Duration', 'Time required to complete the job.'),
    column('Age', 'CreationTimestamp is a timestamp representing the server time when this object was created.'),
    ...TEMPLATE_COLUMNS,
    column('Selector', 'A label query over pods that should match the pod count.', 1),
  ],
};

/** k8s.io/apimachinery/pkg/util/duration.HumanDuration, which the Age column uses. */
export function humanDuration(ms: number): string {
  const seconds = Math.floor(Math.max(ms, 0) / 1000);
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) return seconds % 60 === 0 ? `${minutes}m` : `${minutes}m${seconds % 60}s`;
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 8) return minutes % 60 === 0 ? `${hours}h` : `${hours}h${minutes % 60}m`;
  if (hours < 48) return `${hours}h`;
  if (hours < 192) return hours % 24 === 0 ? `${Math.floor(hours / 24)}d` : `${Math.floor(hours / 24)}d${hours % 24}h`;
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24)}d`;
  return `${Math.floor(hours / 24 / 365)}y`;
}

function age(obj: KubeObject): string {
  const created = obj.metadata.creationTimestamp;
  return created ? humanDuration(Date.now() - Date.parse(created)) : '<unknown>';
}

/** The Status column of `kubectl get pods` (printPod), for the states this stand-in produces. */
function podReason(pod: Pod): string {
  const status = pod.status ?? {};
  let reason = status.reason ?? status.phase ?? 'Unknown';
  const inits = status.initContainerStatuses ?? [];
  let initializing = false;
  inits.forEach((s, i) => {
    if (initializing) return;
    const t = s.state?.terminated;
    if (t && t.exitCode === 0) return;
    initializing = true;
    if (t) reason = t.reason ? `Init:${t.reason}` : `Init:ExitCode:${t.exitCode}`;
    else if (s.state?.waiting?.reason && s.state.waiting.reason !== 'PodInitializing') reason = `Init:${s.state.waiting.reason}`;
    else reason = `Init:${i}/${pod.spec?.initContainers?.length ?? inits.length}`;
  });
  if (!initializing) {
    let hasRunning = false;
    for (const s of [...(status.containerStatuses ?? [])].reverse()) {
      if (s.state?.waiting?.reason) reason = s.state.waiting.reason;
      else if (s.state?.terminated?.reason) reason = s.state.terminated.reason;
      else if (s.state?.terminated) reason = `ExitCode:${s.state.terminated.exitCode}`;
      else if (s.state?.running && s.ready) hasRunning = true;
    }
    if (reason === 'Completed' && hasRunning) reason = 'Running';
  }
  if (pod.metadata.deletionTimestamp) reason = status.reason === 'NodeLost' ? 'Unknown' : 'Terminating';
  return reason;
}

function podCells(pod: Pod): Cell[] {
  const statuses: ContainerStatus[] = pod.status?.containerStatuses ?? [];
  const total = pod.spec?.containers?.length ?? statuses.length;
  const ready = statuses.filter((s) => s.ready && s.state?.running).length;
  const restarts = statuses.reduce((n, s) => n + (s.restartCount ?? 0), 0);
  return [
    pod.metadata.name ?? '',
    `${ready}/${total}`,
    podReason(pod),
    String(restarts),
    age(pod),
    pod.status?.podIP ?? '<none>',
    pod.spec?.nodeName || '<none>',
    String(pod.status?.['nominatedNodeName'] ?? '<none>'),
    '<none>',
  ];
}

function nodeCells(node: Node): Cell[] {
  const ready = node.status?.conditions?.find((c) => c.type === 'Ready');
  let status = ready?.status === 'True' ? 'Ready' : ready?.status === 'False' ? 'NotReady' : 'Unknown';
  if (node.spec?.unschedulable) status += ',SchedulingDisabled';
  const roles = Object.keys(node.metadata.labels ?? {})
    .filter((k) => k.startsWith('node-role.kubernetes.io/'))
    .map((k) => k.slice('node-role.kubernetes.io/'.length))
    .sort();
  const address = (type: string): string => node.status?.addresses?.find((a) => a.type === type)?.address ?? '<none>';
  const info = node.status?.nodeInfo ?? {};
  return [
    node.metadata.name ?? '',
    status,
    roles.length > 0 ? roles.join(',') : '<none>',
    age(node),
    info.kubeletVersion ?? '',
    address('InternalIP'),
    address('ExternalIP'),
    info.osImage ?? '<unknown>',
    info.kernelVersion ?? '<unknown>',
    info.containerRuntimeVersion ?? '<unknown>',
  ];
}

function namespaceCells(ns: Namespace): Cell[] {
  return [ns.metadata.name ?? '', String(ns.status?.phase ?? ''), age(ns)];
}

/** layoutContainerCells: the template's container names and images, comma-separated. */
function templateCells(w: WorkloadObject): Cell[] {
  const containers = w.spec?.template?.spec?.containers ?? [];
  return [containers.map((c) => c.name).join(','), containers.map((c) => c.image ?? '').join(',')];
}

/** The numbers the printers read from a workload's status (absent int32 fields are 0). */
function counts(w: WorkloadObject): (field: string) => number {
  const status = (w.status ?? {}) as Record<string, unknown>;
  return (field) => Number(status[field] ?? 0);
}

/** spec.replicas as the internal version holds it: apps/v1 defaults a missing value to 1. */
function desiredReplicas(w: WorkloadObject): number {
  return w.spec?.replicas ?? 1;
}

function deploymentCells(w: WorkloadObject): Cell[] {
  const n = counts(w);
  return [
    w.metadata.name ?? '',
    `${n('readyReplicas')}/${desiredReplicas(w)}`,
    n('updatedReplicas'),
    n('availableReplicas'),
    age(w),
    ...templateCells(w),
    labelSelectorString(w.spec?.selector),
  ];
}

function statefulSetCells(w: WorkloadObject): Cell[] {
  const n = counts(w);
  return [w.metadata.name ?? '', `${n('readyReplicas')}/${desiredReplicas(w)}`, age(w), ...templateCells(w)];
}

function daemonSetCells(w: WorkloadObject): Cell[] {
  const n = counts(w);
  const nodeSelector = (w.spec?.template?.spec?.['nodeSelector'] ?? {}) as Record<string, string>;
  const formatted = Object.keys(nodeSelector)
    .sort()
    .map((k) => `${k}=${nodeSelector[k]}`)
    .join(',');
  return [
    w.metadata.name ?? '',
    n('desiredNumberScheduled'),
    n('currentNumberScheduled'),
    n('numberReady'),
    n('updatedNumberScheduled'),
    n('numberAvailable'),
    formatted || '<none>',
    age(w),
    ...templateCells(w),
    labelSelectorString(w.spec?.selector),
  ];
}

function replicaSetCells(w: WorkloadObject): Cell[] {
  const n = counts(w);
  return [
    w.metadata.name ?? '',
    desiredReplicas(w),
    n('replicas'),
    n('readyReplicas'),
    age(w),
    ...templateCells(w),
    labelSelectorString(w.spec?.selector),
  ];
}

/** printJob: Status from the conditions, Completions as succeeded/completions, Duration from start to completion. */
function jobCells(w: WorkloadObject): Cell[] {
  const spec = w.spec ?? {};
  const status = (w.status ?? {}) as Record<string, unknown>;
  const succeeded = Number(status['succeeded'] ?? 0);
  let completions: string;
  if (typeof spec['completions'] === 'number') {
    completions = `${succeeded}/${spec['completions']}`;
  } else {
    const parallelism = Number(spec['parallelism'] ?? 0);
    completions = parallelism > 1 ? `${succeeded}/1 of ${parallelism}` : `${succeeded}/1`;
  }
  const start = typeof status['startTime'] === 'string' ? Date.parse(status['startTime']) : undefined;
  const end = typeof status['completionTime'] === 'string' ? Date.parse(status['completionTime']) : undefined;
  const duration = start === undefined ? '' : humanDuration((end ?? Date.now()) - start);
  const has = (type: string): boolean => (w.status?.conditions ?? []).some((c) => c.type === type && c.status === 'True');
  let state = 'Running';
  if (has('Complete')) state = 'Complete';
  else if (has('Failed')) state = 'Failed';
  else if (w.metadata.deletionTimestamp) state = 'Terminating';
  else if (has('Suspended')) state = 'Suspended';
  else if (has('FailureTarget')) state = 'FailureTarget';
  return [w.metadata.name ?? '', state, completions, duration, age(w), ...templateCells(w), labelSelectorString(spec.selector)];
}

const CELLS: Record<ResourceName, (obj: KubeObject) => Cell[]> = {
  pods: (o) => podCells(o as Pod),
  nodes: (o) => nodeCells(o as Node),
  namespaces: (o) => namespaceCells(o as Namespace),
  deployments: (o) => deploymentCells(o as WorkloadObject),
  statefulsets: (o) => statefulSetCells(o as WorkloadObject),
  daemonsets: (o) => daemonSetCells(o as WorkloadObject),
  replicasets: (o) => replicaSetCells(o as WorkloadObject),
  jobs: (o) => jobCells(o as WorkloadObject),
};

/**
 * A meta.k8s.io/v1 Table. Rows carry the object as PartialObjectMetadata (the default
 * includeObject=Metadata), which is where kubectl reads the namespace for `-A`.
 */
export function toTable(
  resource: ResourceName,
  objects: KubeObject[],
  resourceVersion: string,
  includeObject: string | null,
): Record<string, unknown> {
  const rowObject = (obj: KubeObject): unknown => {
    if (includeObject === 'None') return undefined;
    if (includeObject === 'Object') return obj;
    return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: obj.metadata };
  };
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: { resourceVersion },
    columnDefinitions: COLUMNS[resource],
    rows: objects.map((obj) => ({ cells: CELLS[resource](obj), object: rowObject(obj) })),
  };
}
