/**
 * The debug pod, modelled on `oc debug node/NAME`: a temporary namespace labelled for Pod Security
 * `privileged`, a privileged hostPID pod pinned to the node with spec.nodeName (no scheduler). It ends
 * itself when this client is gone: its main process exits once the client's heartbeats stop
 * (src/node/lease.ts), and activeDeadlineSeconds ends it in any case.
 */
import type { V1Namespace, V1Pod } from '@kubernetes/client-node';
import { podMainCommand, type LeaseTiming } from '../node/lease.js';

import { TOOL_LABEL, TOOL_NAME } from '../tool-label.js';

export { TOOL_LABEL, TOOL_NAME };
export const RUN_LABEL = 'trace-exec.io/run-id';
export const NODE_LABEL = 'trace-exec.io/node';
export const CONTAINER = 'trace-exec';

/** Without --duration the pod still ends by itself after this long. */
export const DEFAULT_DEADLINE_S = 4 * 3600;
/** Time on top of --duration for start-up (image pull, probe) and a clean stop. */
export const DEADLINE_GRACE_S = 300;

export function deadlineSeconds(durationMs: number | null, timeoutMs: number): number {
  if (durationMs === null) return DEFAULT_DEADLINE_S;
  return Math.ceil(durationMs / 1000) + Math.ceil(timeoutMs / 1000) + DEADLINE_GRACE_S;
}

function labels(runId: string, node: string | null): Record<string, string> {
  const l: Record<string, string> = {
    [TOOL_LABEL]: TOOL_NAME,
    'app.kubernetes.io/managed-by': TOOL_NAME,
    [RUN_LABEL]: runId,
  };
  // A label value is at most 63 characters; a longer node name is only in spec.nodeName.
  if (node && node.length <= 63) l[NODE_LABEL] = node;
  return l;
}

export function debugNamespaceManifest(runId: string): V1Namespace {
  return {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: {
      generateName: 'trace-exec-',
      labels: {
        ...labels(runId, null),
        'pod-security.kubernetes.io/enforce': 'privileged',
        'pod-security.kubernetes.io/audit': 'privileged',
        'pod-security.kubernetes.io/warn': 'privileged',
        // Keep OpenShift's label syncer from lowering the Pod Security level we set.
        'security.openshift.io/scc.podSecurityLabelSync': 'false',
      },
      // A project default node selector would otherwise keep the pod off the node we name.
      annotations: { 'openshift.io/node-selector': '' },
    },
  };
}

export interface DebugPodParams {
  node: string;
  namespace: string;
  image: string;
  runId: string;
  deadlineSeconds: number;
  lease: LeaseTiming;
}

/** The run's files in the debug container: bpftrace's pid files (`.pid.N`), the program, the lease. */
export function debugPodFiles(podName: string): { pid: string; program: string; lease: string } {
  return { pid: `/tmp/${podName}.pid`, program: `/tmp/${podName}.bt`, lease: `/tmp/${podName}.lease` };
}

/** Pod names are DNS-1123 subdomains of at most 253 characters; keep ours short and readable. */
export function debugPodName(node: string, runId: string): string {
  const short = node.split('.')[0]!.slice(0, 40).replace(/-+$/, '');
  return `trace-exec-${short}-${runId}`;
}

const HOST_PATHS: { name: string; path: string; type?: string }[] = [
  { name: 'tracing', path: '/sys/kernel/tracing' },
  { name: 'debugfs', path: '/sys/kernel/debug' },
  { name: 'cgroup', path: '/sys/fs/cgroup' },
  // Kernel headers, for bpftrace on kernels without BTF.
  { name: 'modules', path: '/lib/modules' },
  { name: 'src', path: '/usr/src' },
];

export function debugPodManifest(p: DebugPodParams): V1Pod {
  const name = debugPodName(p.node, p.runId);
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: p.namespace,
      labels: labels(p.runId, p.node),
      annotations: {
        'openshift.io/required-scc': 'privileged',
        'kubectl.kubernetes.io/default-container': CONTAINER,
      },
    },
    spec: {
      nodeName: p.node,
      hostPID: true,
      restartPolicy: 'Never',
      activeDeadlineSeconds: p.deadlineSeconds,
      terminationGracePeriodSeconds: 2,
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      tolerations: [{ operator: 'Exists' }],
      containers: [
        {
          name: CONTAINER,
          image: p.image,
          imagePullPolicy: 'IfNotPresent',
          // The container only has to stay up while the client is there; bpftrace runs through exec.
          // It exits (and the pod completes) when the client's heartbeats stop: the dead-man switch.
          command: podMainCommand(debugPodFiles(name).lease, p.lease),
          // A container that fails to start (an image of another architecture: `exec format error`)
          // says why only in its log; this puts the log's tail into its status, where the run reads it.
          terminationMessagePolicy: 'FallbackToLogsOnError',
          securityContext: { privileged: true, runAsUser: 0 },
          volumeMounts: HOST_PATHS.map((h) => ({ name: h.name, mountPath: h.path, readOnly: h.name === 'modules' || h.name === 'src' })),
          resources: { requests: { cpu: '10m', memory: '64Mi' } },
        },
      ],
      volumes: HOST_PATHS.map((h) => ({ name: h.name, hostPath: { path: h.path } })),
    },
  };
}
