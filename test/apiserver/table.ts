/**
 * Server-side printing: kubectl's human-readable output (`kubectl get pods`, `get nodes`) asks for
 * `Accept: application/json;as=Table;v=v1;g=meta.k8s.io`, and prints the columns the server computes.
 * The columns follow pkg/printers/internalversion for the resources we serve.
 */
import type { ResourceName } from './store.js';
import type { ContainerStatus, KubeObject, Namespace, Node, Pod } from './types.js';

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

const COLUMNS: Record<ResourceName, ColumnDefinition[]> = {
  pods: [
    column('Name', 'Name must be unique within a namespace.', 0, 'name'),
    column('Ready', 'The aggregate readiness state of this pod for accepting traffic.'),
    column('Status', 'The aggregate status of the containers in this pod.'),
    column('Restarts', 'The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.'),
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

const CELLS: Record<ResourceName, (obj: KubeObject) => Cell[]> = {
  pods: (o) => podCells(o as Pod),
  nodes: (o) => nodeCells(o as Node),
  namespaces: (o) => namespaceCells(o as Namespace),
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
