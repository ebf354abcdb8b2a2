/** What a cgroup path says about the process that ran in it. Produced by decodeCgroupPath(). */
export type CgroupIdentity =
  | {
      kind: 'pod';
      /** Pod uid with dashes (API form), or the 32-hex config hash of a static pod. */
      podUid: string;
      /** true when podUid is a static pod's config hash (no dashes in the cgroup name). */
      staticPod: boolean;
      /** 64-hex container id, or null when the exec ran in the pod cgroup itself or in a runtime helper. */
      containerId: string | null;
      /**
       * crio | containerd | docker | null (bare 64-hex leaf of the cgroupfs driver: runtime unknown).
       * 'crio' for a conmon helper; null when there is no recognisable leaf.
       */
      runtime: 'crio' | 'containerd' | 'docker' | null;
      /** besteffort | burstable | guaranteed */
      qos: 'besteffort' | 'burstable' | 'guaranteed';
      /**
       * A runtime helper's cgroup beside the containers, else null: 'conmon' (crio-conmon-<id>.scope)
       * or 'kata' (kata_<sandbox id>: the Kata shim and VMM on the host).
       */
      helper: 'conmon' | 'kata' | null;
      /**
       * For a helper: the 64-hex id of the container or sandbox it serves, so the exec can
       * still be shown next to that container. Absent when helper is null. Optional so that
       * identities built elsewhere (fixtures, other decoders) need not spell it out.
       */
      helperFor?: string;
    }
  | {
      kind: 'host';
      /** The innermost systemd unit (sshd.service, session-3.scope, kubelet.service) or null. */
      unit: string | null;
    };
