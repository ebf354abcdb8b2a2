import type { ExecEvent } from '../events/types.js';
import type { CgroupIdentity } from '../cgroup/types.js';
import type { Ancestor } from './process-table.js';
import type { Entry } from './entry.js';

/** An exec joined with what the cluster knows about its cgroup. Rendered by src/output/. */
export interface AttributedEvent {
  event: ExecEvent;
  node: string;
  identity: CgroupIdentity;
  /** null for host processes and for pods the API never told us about (unattributed). */
  namespace: string | null;
  pod: string | null;
  /** Container name; null for host processes or when the container is not (yet) known. */
  container: string | null;
  containerId: string | null;
  /** The cgroup path that decided the identity (v2 or v1). */
  cgroup: string;
  /** true when the event is in a pod cgroup but no pod record matched it. */
  unattributed: boolean;
  /** The pod's labels (for -l and workload targets); empty when no pod record matched. */
  labels: Readonly<Record<string, string>>;
  /**
   * How the process got into its container (src/join/entry.ts): init, exec, probe, hook; null for
   * host processes and where the kernel could not say.
   */
  entry: Entry | null;
  /** The pod's workload as users name it (`deploy/web`, `pod/name`); null without a pod record. */
  workload: string | null;
  /** The container's image and image id from its status; null when not known. */
  image: string | null;
  imageId: string | null;
  /** With --ancestry: the exec'ing process's parent chain, nearest first. */
  ancestry?: Ancestor[];
  /**
   * A failed attempt of a PATH search that went on to a next directory (src/output/path-search.ts):
   * JSON writes it (`"pathSearch": true`); every human output folds it into the attempt after it.
   * Absent otherwise.
   */
  pathSearch?: true;
}
