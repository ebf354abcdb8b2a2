/**
 * --ancestry as a stage of the node pipeline: each exec gets its parent chain from a process table
 * kept from fork, exec and exit records, seeded from the node's /proc so that processes started
 * before the trace are in it too.
 */
import type { Log } from '../log.js';
import { UNKNOWN_CONTEXT, type ExecEvent } from '../events/types.js';
import type { DecoderSink } from '../events/decoder.js';
import type { AttributedEvent } from '../join/types.js';
import { ProcessTable, type Ancestor, type Owner } from '../join/process-table.js';
import type { NodeRunner } from '../node/runner.js';
import { SNAPSHOT_COMMAND, parseSnapshot } from '../node/snapshot.js';

/** An exec event's fields for joining a snapshot process by its cgroups. */
const NO_EVENT: ExecEvent = {
  timeMs: 0,
  pid: 0,
  tid: 0,
  ppid: 0,
  uid: 0,
  comm: '',
  filename: '',
  args: [],
  argsTruncated: false,
  retval: null,
  cgroupV2: null,
  cgroupV1: null,
  upperLayer: null,
  ...UNKNOWN_CONTEXT,
};

function ownerOf(a: AttributedEvent): Owner {
  return { namespace: a.namespace, pod: a.pod, container: a.container, host: a.identity.kind === 'host' };
}

export class Ancestry {
  private readonly table = new ProcessTable();

  constructor(
    private readonly node: string,
    private readonly runner: NodeRunner,
    private readonly v1Controller: string | null,
    private readonly log: Log,
  ) {}

  /** Records the exec (joined as `joined`, for its owner) and returns its parent chain, nearest first. */
  exec(e: ExecEvent, joined: AttributedEvent): Ancestor[] {
    return this.table.exec(e.pid, e.ppid, e.comm, ownerOf(joined));
  }

  /** A fork or a process gone, as the decoder hands them over in arrival order. */
  process(rec: Parameters<NonNullable<DecoderSink['process']>>[0], nowMs: number): void {
    if (rec.kind === 'fork') this.table.fork(rec.ppid, rec.pid, rec.comm);
    else this.table.exit(rec.pid, nowMs);
  }

  expire(nowMs: number): void {
    this.table.expire(nowMs);
  }

  /** Seeds the table from the node's /proc; a failure costs chain depth, not the trace. */
  async seed(join: (e: ExecEvent) => AttributedEvent): Promise<void> {
    try {
      const procs = parseSnapshot(await this.runner.run(SNAPSHOT_COMMAND), this.v1Controller);
      for (const p of procs) {
        const owner = ownerOf(join({ ...NO_EVENT, pid: p.pid, cgroupV2: p.cgroupV2, cgroupV1: p.cgroupV1 }));
        this.table.seed(p.pid, p.ppid, p.comm, owner);
      }
      this.log.debug(`${this.node}: ${procs.length} processes in the snapshot for --ancestry`);
    } catch (e) {
      this.log.warn(
        `${this.node}: could not read the process table (${(e as Error).message}); ancestry starts from the processes traced from now on`,
      );
    }
  }
}
