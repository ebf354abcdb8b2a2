/**
 * The label that marks what trace-exec creates on a cluster (debug pods, temporary namespaces): set by
 * src/kube/debug-pod.ts, looked for by `cleanup` (src/kube/leftovers.ts) and by the self filter
 * (src/join/filter.ts), which must not depend on kube/ for it.
 */
export const TOOL_LABEL = 'app.kubernetes.io/name';
export const TOOL_NAME = 'trace-exec';
