/**
 * One node's pipeline, shared by its attachments: records → events (a decoder per attachment) →
 * ancestry (--ancestry) → join with the node's pods → the run's sink. Knows nothing of streams being
 * lost or re-attached (src/node-trace.ts); only of the data that comes and the clock.
 */
import type { Log } from '../log.js';
import { TraceDecoder } from '../events/decoder.js';
import { CountingDecoder } from '../events/counts-decoder.js';
import type { ExecEvent } from '../events/types.js';
import { Joiner } from '../join/join.js';
import type { PodIndex } from '../join/pod-index.js';
import type { AttributedEvent } from '../join/types.js';
import type { Ancestry } from './ancestry.js';
import type { PreparedNode } from './prepare.js';

/** Where a node's events, counts and gaps go, as they happen: the run's one sink (src/trace/sink.ts). */
export interface NodeSink {
  event(a: AttributedEvent): void;
  /** bpftrace reported events it could not hand over. */
  lost(count: number): void;
  /** Lines that were not bpftrace records. */
  malformed(count: number): void;
  /** Execs that came out without all their records. */
  incomplete(count: number): void;
  /** Execs from fromMs on are unknown (the stream was lost)… */
  gapOpened(node: string, fromMs: number): void;
  /** …until toMs, when a new attachment started tracing. */
  gapClosed(node: string, toMs: number): void;
}

/** One attachment's decoder, whose counts (malformed lines, incomplete execs) reach the sink as they grow. */
export class StreamDecoder {
  private malformed = 0;
  private incomplete = 0;

  constructor(
    private readonly decoder: TraceDecoder,
    private readonly sink: NodeSink,
  ) {}

  push(chunk: Uint8Array): void {
    this.decoder.push(chunk);
    this.count();
  }

  /** Emits execs whose records are overdue. */
  tick(): void {
    this.decoder.tick();
    this.count();
  }

  /** End of the attachment's stream: the last line, and every exec still waiting (incomplete). */
  end(): void {
    this.decoder.end();
    this.count();
  }

  private count(): void {
    const { malformed, incomplete } = this.decoder.stats;
    if (malformed !== this.malformed) {
      this.sink.malformed(malformed - this.malformed);
      this.malformed = malformed;
    }
    if (incomplete !== this.incomplete) {
      this.sink.incomplete(incomplete - this.incomplete);
      this.incomplete = incomplete;
    }
  }
}

export interface PipelineParts {
  node: string;
  index: PodIndex | null;
  /** The index holds a whole cluster's pods (--local with a cluster): each exec's node is its pod's. */
  nodeFromPod: boolean;
  prepared: PreparedNode;
  /** --ancestry's stage, or null. */
  ancestry: Ancestry | null;
  sink: NodeSink;
  log: Log;
}

export class NodePipeline {
  private readonly joiner: Joiner;
  /**
   * --ancestry: records decoded before the first /proc snapshot was read wait for it, in order, so
   * that the first execs' chains include the processes that started before the trace. /proc is read
   * once every probe is attached (the S records), so a fork is in the snapshot or in the trace; the
   * execs bpftrace saw while it attached (after BEGIN, before S) wait too.
   */
  private held: (() => void)[] | null;
  private malformedShown = 0;

  constructor(private readonly parts: PipelineParts) {
    this.joiner = new Joiner(parts.index, { node: parts.node, nodeFromPod: parts.nodeFromPod });
    this.held = parts.ancestry ? [] : null;
  }

  /** A decoder for one attachment's stream; `started` when its bpftrace reports its probes attached. */
  decoder(started: () => void): StreamDecoder {
    const { node, log, sink, ancestry } = this.parts;
    // Counting mode: count records come as events too (ExecEvent.count), the rest as per exec.
    const Decoder = this.parts.prepared.counts ? CountingDecoder : TraceDecoder;
    const decoder = new Decoder(this.parts.prepared.decoding, {
      event: (e) => this.inOrder(() => this.exec(e)),
      process: (rec) => this.inOrder(() => ancestry?.process(rec, Date.now())),
      notice: (n) => {
        if (n.kind === 'started') started();
        else if (n.kind === 'lost') {
          sink.lost(n.count);
          log.warn(`bpftrace on ${node} lost ${n.count} events (the node produced them faster than they were read)`);
        } else if (n.kind === 'malformed' && this.malformedShown++ === 0) {
          log.warn(`skipping a malformed line from ${node} (${n.reason}): ${n.line.slice(0, 200)}`);
        }
      },
    });
    return new StreamDecoder(decoder, sink);
  }

  private exec(e: ExecEvent): void {
    const joined = this.joiner.join(e);
    if (this.parts.ancestry && !e.exit) joined.ancestry = this.parts.ancestry.exec(e, joined);
    this.emit(this.joiner.pushJoined(joined, Date.now()));
  }

  private emit(ready: AttributedEvent[]): void {
    for (const a of ready) this.parts.sink.event(a);
  }

  private inOrder(apply: () => void): void {
    if (this.held) this.held.push(apply);
    else apply();
  }

  /**
   * The first attachment started: with --ancestry, the node's /proc is read first and what is decoded
   * meanwhile waits; `then` once the pipeline is ready ("tracing" means chains are complete).
   */
  firstStarted(then: () => void): void {
    const { ancestry } = this.parts;
    if (!ancestry) return then();
    void ancestry
      .seed((e) => this.joiner.join(e))
      .finally(() => {
        this.release();
        then();
      });
  }

  /** After a gap: forks and exits in it are unknown, the node's /proc is not. */
  reseed(): void {
    void this.parts.ancestry?.seed((e) => this.joiner.join(e));
  }

  /** Periodically: execs whose pod record is overdue go out with what is known; old processes are forgotten. */
  tick(nowMs: number): void {
    this.emit(this.joiner.retry(nowMs));
    this.parts.ancestry?.expire(nowMs);
  }

  /** The node's pods changed: held execs may resolve now. */
  podsChanged(nowMs: number): void {
    this.emit(this.joiner.retry(nowMs));
  }

  /** Records still waiting for the snapshot go out (with shorter chains). */
  release(): void {
    const held = this.held ?? [];
    this.held = null;
    for (const apply of held) apply();
  }

  /** The end: every exec still waiting for its pod goes out. */
  drain(nowMs: number): void {
    this.emit(this.joiner.retry(nowMs, true));
  }
}
