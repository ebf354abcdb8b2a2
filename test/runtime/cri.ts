/**
 * The CRI v1 RuntimeService as a kubelet calls it, from Node: @grpc/grpc-js with the proto of
 * kubernetes/cri-api (cri/api.proto, vendored). Messages are plain objects with the proto's
 * field names in camelCase; only the fields the tests use are typed here.
 */
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { fileURLToPath } from 'node:url';

const PROTO = fileURLToPath(new URL('./cri/api.proto', import.meta.url));

export type NamespaceMode = 'POD' | 'CONTAINER' | 'NODE' | 'TARGET';
export type ContainerState = 'CONTAINER_CREATED' | 'CONTAINER_RUNNING' | 'CONTAINER_EXITED' | 'CONTAINER_UNKNOWN';

export interface PodSandboxConfig {
  metadata: { name: string; uid: string; namespace: string; attempt?: number };
  logDirectory?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  linux: {
    cgroupParent: string;
    securityContext: { namespaceOptions: { network: NamespaceMode; pid: NamespaceMode; ipc: NamespaceMode }; privileged?: boolean };
  };
}

export interface CriMount {
  containerPath: string;
  hostPath: string;
  readonly?: boolean;
}

export interface ContainerConfig {
  metadata: { name: string; attempt?: number };
  image: { image: string };
  command?: string[];
  args?: string[];
  workingDir?: string;
  /** KeyValue.value is `bytes` in recent protos (wire-compatible with the old `string`): a Buffer. */
  envs?: { key: string; value: Buffer }[];
  mounts?: CriMount[];
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  logPath?: string;
  linux: {
    securityContext: {
      privileged?: boolean;
      namespaceOptions: { network: NamespaceMode; pid: NamespaceMode; ipc: NamespaceMode };
      runAsUser?: { value: string };
    };
  };
}

export interface CriContainerStatus {
  id: string;
  state: ContainerState;
  /** Nanoseconds since the epoch, as a decimal string (int64). */
  createdAt: string;
  startedAt: string;
  finishedAt: string;
  exitCode: number;
  reason: string;
  message: string;
  imageRef: string;
  image: { image: string };
  logPath: string;
}

export interface PodSandbox {
  id: string;
  metadata: { name: string; uid: string; namespace: string };
  state: 'SANDBOX_READY' | 'SANDBOX_NOTREADY';
}

type Callback<T> = (err: grpc.ServiceError | null, res: T) => void;
type Method = (req: unknown, meta: grpc.Metadata, opts: grpc.CallOptions, cb: Callback<unknown>) => void;

export class CriClient {
  private readonly client: grpc.Client & Record<string, Method>;

  constructor(socket: string) {
    const def = protoLoader.loadSync(PROTO, { keepCase: false, longs: String, enums: String, defaults: true, oneofs: true });
    const pkg = grpc.loadPackageDefinition(def) as unknown as { runtime: { v1: { RuntimeService: grpc.ServiceClientConstructor } } };
    this.client = new pkg.runtime.v1.RuntimeService(`unix://${socket}`, grpc.credentials.createInsecure(), {
      'grpc.max_receive_message_length': 16 << 20,
    }) as unknown as grpc.Client & Record<string, Method>;
  }

  /** One unary call; the error says which call failed and the runtime's own message. */
  call<T>(method: string, req: object, timeoutMs = 60_000): Promise<T> {
    return new Promise((resolve, reject) => {
      const fn = this.client[method];
      if (!fn) return reject(new Error(`CRI has no method ${method}`));
      fn.call(this.client, req, new grpc.Metadata(), { deadline: Date.now() + timeoutMs }, (err, res) => {
        if (err) reject(Object.assign(new Error(`CRI ${method}: ${err.details || err.message}`), { code: err.code, details: err.details }));
        else resolve(res as T);
      });
    });
  }

  version(): Promise<{ runtimeName: string; runtimeVersion: string; runtimeApiVersion: string }> {
    return this.call('Version', { version: 'v1' });
  }

  async runPodSandbox(config: PodSandboxConfig): Promise<string> {
    return (await this.call<{ podSandboxId: string }>('RunPodSandbox', { config }, 120_000)).podSandboxId;
  }

  async stopPodSandbox(id: string): Promise<void> {
    await this.call('StopPodSandbox', { podSandboxId: id });
  }

  async removePodSandbox(id: string): Promise<void> {
    await this.call('RemovePodSandbox', { podSandboxId: id });
  }

  async listPodSandbox(): Promise<PodSandbox[]> {
    return (await this.call<{ items: PodSandbox[] }>('ListPodSandbox', {})).items;
  }

  async createContainer(podSandboxId: string, config: ContainerConfig, sandboxConfig: PodSandboxConfig): Promise<string> {
    return (await this.call<{ containerId: string }>('CreateContainer', { podSandboxId, config, sandboxConfig }, 120_000)).containerId;
  }

  async startContainer(id: string): Promise<void> {
    await this.call('StartContainer', { containerId: id }, 120_000);
  }

  async stopContainer(id: string, timeoutS: number): Promise<void> {
    await this.call('StopContainer', { containerId: id, timeout: String(timeoutS) }, (timeoutS + 30) * 1000);
  }

  async containerStatus(id: string): Promise<CriContainerStatus> {
    return (await this.call<{ status: CriContainerStatus }>('ContainerStatus', { containerId: id })).status;
  }

  async listContainers(
    podSandboxId?: string,
  ): Promise<{ id: string; podSandboxId: string; state: ContainerState; metadata: { name: string } }[]> {
    return (
      await this.call<{ containers: { id: string; podSandboxId: string; state: ContainerState; metadata: { name: string } }[] }>(
        'ListContainers',
        { filter: podSandboxId ? { podSandboxId } : {} },
      )
    ).containers;
  }

  /** A URL on the runtime's streaming server for this exec (WebSocket, v4.channel.k8s.io). */
  async exec(req: { containerId: string; cmd: string[]; tty: boolean; stdin: boolean; stdout: boolean; stderr: boolean }): Promise<string> {
    return (await this.call<{ url: string }>('Exec', req)).url;
  }

  /** Runs a command in a container to its end, as the kubelet runs exec probes and hooks (CRI ExecSync). */
  async execSync(containerId: string, cmd: string[], timeoutS: number): Promise<{ exitCode: number; stdout: string; stderr: string }> {
    const r = await this.call<{ exitCode: number; stdout: Buffer; stderr: Buffer }>(
      'ExecSync',
      { containerId, cmd, timeout: String(timeoutS) },
      (timeoutS + 10) * 1000,
    );
    return { exitCode: r.exitCode, stdout: Buffer.from(r.stdout ?? []).toString(), stderr: Buffer.from(r.stderr ?? []).toString() };
  }

  close(): void {
    this.client.close();
  }
}
