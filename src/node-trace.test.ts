/**
 * The supervisor of one node's trace, driven through a fake node runner (the NodeRunner seam that
 * src/kube/exec-runner.ts and src/node/local.ts implement): streams that drop before bpftrace
 * attached, in the middle of a line, between records and while re-attaching. Whatever the drop,
 * no exec comes twice, none is invented, and every loss is one gap, opened and closed. No root,
 * no bpftrace, no cluster.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { NodeTrace, STOP_SETTLE_MS, type NodeTraceHooks } from './node-trace.js';
import type { NodeRunner, TracerEnd, TracerHandle, TracerSink } from './node/runner.js';
import type { TracerCommand } from './node/tracer-command.js';
import { PROBE_COMMAND } from './node/probe.js';
import { SNAPSHOT_COMMAND } from './node/snapshot.js';
import { NODES } from './node/fixtures.test-helpers.js';
import type { AttributedEvent } from './join/types.js';
import type { Log } from './log.js';

/** One bpftrace attachment as the fake runner started it: the test writes its stdout and ends it. */
class FakeTracer implements TracerHandle {
  readonly done: Promise<TracerEnd>;
  private end!: (exit: TracerEnd) => void;
  stopped = false;

  constructor(private readonly sink: TracerSink) {
    this.done = new Promise((r) => (this.end = r));
  }

  write(text: string): void {
    this.sink.stdout(Buffer.from(text));
  }

  /** The stream drops without an exit status (the tracer may still run on the node). */
  lose(reason = 'connection reset'): void {
    this.end({ code: null, reason, stderr: '', lost: true });
  }

  exit(code: number, stderr = ''): void {
    this.end({ code, reason: null, stderr, lost: false });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.end({ code: 0, reason: null, stderr: '', lost: false });
  }
}

/** A node whose every command answers at once; start() hands each new tracer to the test. */
class FakeRunner implements NodeRunner {
  readonly tracers: FakeTracer[] = [];
  /** Rejections for the next start() calls (an exec that cannot be opened). */
  failStarts = 0;
  private waiting: ((t: FakeTracer) => void)[] = [];

  async run(argv: readonly string[]): Promise<string> {
    if (argv === PROBE_COMMAND) return NODES['bpftrace-0.17-hybrid-6.18'];
    if (argv === SNAPSHOT_COMMAND) return '';
    throw new Error(`unexpected command ${argv.join(' ')}`);
  }

  async stage(): Promise<string | null> {
    return null;
  }

  async start(_tracer: TracerCommand, sink: TracerSink): Promise<TracerHandle> {
    if (this.failStarts > 0) {
      this.failStarts--;
      throw new Error('exec refused: the API server is restarting');
    }
    const t = new FakeTracer(sink);
    this.tracers.push(t);
    for (const w of this.waiting.splice(0)) w(t);
    return t;
  }

  /** The tracer started next (or the latest when n is already there). */
  tracer(n: number): Promise<FakeTracer> {
    if (this.tracers[n]) return Promise.resolve(this.tracers[n]);
    return new Promise((resolve) => {
      const wait = (t: FakeTracer): void => {
        if (this.tracers[n]) resolve(this.tracers[n]);
        else this.waiting.push(wait);
        void t;
      };
      this.waiting.push(wait);
    });
  }
}

const printf = (text: string): string => `{"type": "printf", "data": "${text}\\n"}\n`;
/** bpftrace's BEGIN record, then both S records: tracing. */
const BEGIN = printf('B 1000000000') + printf('S 1 1000000100') + printf('S 2 1000000200');
/** One whole exec of pid `pid` on the host: enter, its argument, its successful return. */
function exec(pid: number): string {
  const mono = 1_000_000_000 + pid * 1000;
  return (
    printf(`E ${pid} ${pid} 1 0 ${mono} 0 0 1 /bin/cmd${pid}`) +
    printf(`A ${pid} ${mono} 0 cmd${pid}`) +
    printf(`X ${pid} 0 ${mono} 0 0 0 0 0 0 0 cmd${pid}`)
  );
}

interface Run {
  trace: NodeTrace;
  runner: FakeRunner;
  events: AttributedEvent[];
  gaps: { from: number; to: number | null }[];
  warnings: string[];
  started: number;
  /** Counted as they come (the sink's live counts). */
  malformed: number;
  incomplete: number;
}

const running: NodeTrace[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((t) => t.stop()));
});

function setup(opts: { reconnectTimeoutMs?: number; podGone?: () => Promise<string | null> } = {}): Run {
  const runner = new FakeRunner();
  const warnings: string[] = [];
  const log: Log = { progress: () => {}, warn: (m) => warnings.push(m), error: (m) => warnings.push(m), debug: () => {} };
  const r: Run = {
    trace: undefined as unknown as NodeTrace,
    runner,
    events: [],
    gaps: [],
    warnings,
    started: 0,
    malformed: 0,
    incomplete: 0,
  };
  const hooks: NodeTraceHooks = {
    log,
    ancestry: false,
    exits: false,
    sink: {
      event: (a) => r.events.push(a),
      lost: () => {},
      malformed: (n) => (r.malformed += n),
      incomplete: (n) => (r.incomplete += n),
      gapOpened: (_node, from) => r.gaps.push({ from, to: null }),
      gapClosed: (_node, to) => {
        const open = r.gaps.find((g) => g.to === null)!;
        open.to = to;
      },
    },
    started: () => r.started++,
    reconnectTimeoutMs: opts.reconnectTimeoutMs ?? 5000,
  };
  r.trace = new NodeTrace({ node: 'worker-1', runner, index: null, podGone: opts.podGone ?? (async () => null) }, hooks);
  running.push(r.trace);
  return r;
}

const pids = (r: Run): number[] => r.events.map((a) => a.event.pid);
/**
 * Every gap so far is closed. An attachment's first execs can reach the sink before the supervisor
 * has seen it start (both come from the same chunk): tests that drop again wait for this first.
 */
const gapsClosed = (r: Run): boolean => r.gaps.length > 0 && r.gaps.every((g) => g.to !== null);
const settle = (ms = 20): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Waits until `check` holds (the supervisor's retries run on real timers: 0 s, then 0.5 s…). */
async function until(check: () => boolean, ms = 4000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await settle(10);
  }
}

describe('NodeTrace: re-attaching after a lost stream (fake node runner)', () => {
  it('a stream lost between records: the next attachment goes on, one gap, nothing twice', async () => {
    const r = setup();
    await r.trace.start();
    const first = await r.runner.tracer(0);
    first.write(BEGIN + exec(101) + exec(102));
    await until(() => r.events.length === 2);
    first.lose();
    const second = await r.runner.tracer(1);
    second.write(BEGIN + exec(103));
    await until(() => r.events.length === 3 && gapsClosed(r));
    expect(pids(r)).toEqual([101, 102, 103]);
    expect(r.gaps).toHaveLength(1);
    expect(r.gaps[0]!.to).not.toBeNull();
    expect(r.gaps[0]!.to!).toBeGreaterThanOrEqual(r.gaps[0]!.from);
    expect(r.started).toBe(1);
  });

  it('a stream lost in the middle of a line: the cut exec comes out once (incomplete), the cut line is not parsed twice', async () => {
    const r = setup();
    await r.trace.start();
    const first = await r.runner.tracer(0);
    const whole = exec(201);
    first.write(BEGIN + exec(200) + whole.slice(0, whole.length - 25));
    await until(() => r.events.length === 1);
    first.lose();
    const second = await r.runner.tracer(1);
    second.write(BEGIN + exec(202));
    await until(() => pids(r).includes(202) && gapsClosed(r));
    await r.trace.stop();
    // 201's enter and argument came, its return was cut: it comes out once, without a return value.
    expect(pids(r).sort()).toEqual([200, 201, 202]);
    expect(r.events.find((a) => a.event.pid === 201)!.event.retval).toBeNull();
    expect(r.incomplete).toBe(1);
    expect(r.malformed).toBe(1); // the cut line, read at the end of its stream
    expect(r.gaps).toHaveLength(1);
  });

  it('the old stream delivering after the loss is dropped: never a duplicate', async () => {
    const r = setup();
    await r.trace.start();
    const first = await r.runner.tracer(0);
    first.write(BEGIN + exec(301));
    await until(() => r.events.length === 1);
    first.lose();
    const second = await r.runner.tracer(1);
    // A late chunk of the first attachment (its socket's buffer) and a replay of an exec already seen.
    first.write(exec(301) + exec(302));
    second.write(BEGIN + exec(303));
    await until(() => pids(r).includes(303) && gapsClosed(r));
    first.write(exec(304));
    await settle(150);
    await r.trace.stop();
    expect(pids(r)).toEqual([301, 303]);
  });

  it('a stream lost before bpftrace attached: re-attached, started said once, the gap closed', async () => {
    const r = setup();
    await r.trace.start();
    const first = await r.runner.tracer(0);
    first.lose('upgrade failed');
    const second = await r.runner.tracer(1);
    second.write(BEGIN + exec(401));
    await until(() => r.events.length === 1 && gapsClosed(r));
    expect(r.gaps).toHaveLength(1);
    expect(r.gaps[0]!.to).not.toBeNull();
    expect(r.started).toBe(1);
  });

  it('drops during re-attaching (an exec that cannot open, a stream lost before it attached): still one gap, then tracing', async () => {
    const r = setup();
    await r.trace.start();
    const first = await r.runner.tracer(0);
    first.write(BEGIN + exec(501));
    await until(() => r.events.length === 1);
    r.runner.failStarts = 1;
    first.lose();
    const second = await r.runner.tracer(1);
    second.write(exec(502).slice(0, 10)); // a fragment, then gone before BEGIN
    second.lose();
    const third = await r.runner.tracer(2);
    third.write(BEGIN + exec(503));
    await until(() => pids(r).includes(503) && gapsClosed(r));
    await r.trace.stop();
    expect(pids(r)).toEqual([501, 503]);
    expect(r.gaps).toHaveLength(1);
    expect(r.gaps[0]!.to).not.toBeNull();
  });

  it('two losses are two gaps, each closed, in order', async () => {
    const r = setup();
    await r.trace.start();
    const first = await r.runner.tracer(0);
    first.write(BEGIN + exec(601));
    await until(() => r.events.length === 1);
    first.lose();
    const second = await r.runner.tracer(1);
    second.write(BEGIN + exec(602));
    await until(() => r.events.length === 2 && gapsClosed(r));
    second.lose();
    const third = await r.runner.tracer(2);
    third.write(BEGIN + exec(603));
    await until(() => r.events.length === 3 && r.gaps.length === 2 && gapsClosed(r));
    expect(pids(r)).toEqual([601, 602, 603]);
    expect(r.gaps).toHaveLength(2);
    expect(r.gaps.every((g) => g.to !== null && g.to >= g.from)).toBe(true);
    expect(r.gaps[1]!.from).toBeGreaterThanOrEqual(r.gaps[0]!.to!);
  });

  it('a loss that cannot be re-attached within the window ends the node, its gap left open', async () => {
    const r = setup({ reconnectTimeoutMs: 600 });
    await r.trace.start();
    const first = await r.runner.tracer(0);
    first.write(BEGIN + exec(701));
    await until(() => r.events.length === 1);
    r.runner.failStarts = 100;
    first.lose();
    const err = await r.trace.ended;
    expect(err?.message).toMatch(
      /^worker-1: the exec stream was lost at .* and could not be re-established within --reconnect-timeout 0\.6 s \(last: exec refused/,
    );
    expect(r.gaps).toEqual([{ from: expect.any(Number), to: null }]);
    expect(pids(r)).toEqual([701]);
  });

  it('the debug pod gone after a loss ends the node with why', async () => {
    const r = setup({ podGone: async () => 'the debug pod ns/p was deleted' });
    await r.trace.start();
    const first = await r.runner.tracer(0);
    first.write(BEGIN);
    first.lose();
    const err = await r.trace.ended;
    expect(err?.message).toMatch(/^worker-1: the debug pod ns\/p was deleted; its trace ended at the loss/);
    expect(r.runner.tracers).toHaveLength(1);
  });

  it('bpftrace exiting on its own (a status, not a loss) ends the node without re-attaching', async () => {
    const r = setup();
    await r.trace.start();
    const first = await r.runner.tracer(0);
    first.write(BEGIN);
    first.exit(1, 'ERROR: something');
    const err = await r.trace.ended;
    expect(err?.message).toBe('bpftrace on worker-1 exited with code 1 before the trace was stopped:\nERROR: something');
    expect(r.gaps).toEqual([]);
  });

  it('stopping while re-attaching ends at once and stops the tracer it started', async () => {
    const r = setup();
    await r.trace.start();
    const first = await r.runner.tracer(0);
    first.write(BEGIN);
    first.lose();
    const second = await r.runner.tracer(1); // started, not yet attached (no BEGIN)
    await r.trace.stop();
    expect(second.stopped).toBe(true);
    expect(await r.trace.ended).toBeNull();
  });
});

describe('NodeTrace: the first and the last moment of a trace (fake node runner)', () => {
  it('says "tracing" once both S records came, not at BEGIN (bpftrace runs it before it attaches its probes)', async () => {
    const r = setup();
    await r.trace.start();
    const first = await r.runner.tracer(0);
    first.write(printf('B 1000000000') + printf('S 1 1000000100'));
    await settle();
    expect(r.started).toBe(0);
    first.write(printf('S 2 1000000200'));
    await until(() => r.started === 1);
  });

  it(`a stop lets the tracer go on for ${STOP_SETTLE_MS} ms before it is told to stop: what comes meanwhile is shown`, async () => {
    const r = setup();
    await r.trace.start();
    const first = await r.runner.tracer(0);
    first.write(BEGIN + exec(601));
    await until(() => r.events.length === 1);
    const t0 = Date.now();
    const stopped = r.trace.stop();
    await settle(STOP_SETTLE_MS / 4);
    expect(first.stopped).toBe(false);
    first.write(exec(602));
    await stopped;
    expect(first.stopped).toBe(true);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(STOP_SETTLE_MS - 5);
    expect(pids(r)).toEqual([601, 602]);
  });

  it('a stop before the tracer attached does not wait', async () => {
    const r = setup();
    await r.trace.start();
    const first = await r.runner.tracer(0);
    first.write(printf('B 1000000000'));
    const stopped = r.trace.stop();
    await settle(STOP_SETTLE_MS / 4);
    expect(first.stopped).toBe(true);
    await stopped;
  });
});
