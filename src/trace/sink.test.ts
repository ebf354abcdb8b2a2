import { describe, expect, it } from 'vitest';
import { EventSink, type SinkParts } from './sink.js';
import { hostEvent, podEvent, unattributedEvent } from '../output/fixtures.test-helpers.js';
import type { AttributedEvent } from '../join/types.js';
import { TOOL_LABEL, TOOL_NAME } from '../tool-label.js';

function sink(over: Partial<SinkParts> = {}): { sink: EventSink; shown: AttributedEvent[]; full: number } {
  const shown: AttributedEvent[] = [];
  const r = { sink: undefined as unknown as EventSink, shown, full: 0 };
  r.sink = new EventSink({
    keep: () => true,
    selfPid: null,
    includeSelf: false,
    maxEvents: null,
    printer: { event: (a) => shown.push(a), end: () => {} },
    digest: null,
    timeline: null,
    full: () => r.full++,
    ...over,
  });
  return r;
}

const self: AttributedEvent = { ...podEvent(), labels: { [TOOL_LABEL]: TOOL_NAME } };
const exitOf = (a: AttributedEvent): AttributedEvent => ({
  ...a,
  event: { ...a.event, exit: { exitCode: 1, signal: null, core: false, durationMs: 5 } },
});

describe('EventSink', () => {
  it('counts every exec as it comes, shows the kept ones', () => {
    const s = sink({ keep: (a) => a.pod !== null });
    s.sink.event(podEvent());
    s.sink.event(hostEvent());
    s.sink.event(unattributedEvent());
    expect(s.sink.counts).toMatchObject({ events: 3, shown: 1, unattributed: 1, self: 0 });
    expect(s.shown).toHaveLength(1);
  });

  it.each([
    ['left out', false, 0],
    ['shown with --include-self', true, 1],
  ])("trace-exec's own execs are counted as self and %s", (_what, includeSelf, shown) => {
    const s = sink({ includeSelf });
    s.sink.event(self);
    expect(s.sink.counts).toMatchObject({ events: 1, self: 1, shown });
  });

  it('--max-events: says full once, at the limit; later execs are counted, not shown', () => {
    const s = sink({ maxEvents: 2 });
    for (let i = 0; i < 4; i++) s.sink.event(podEvent({ pid: 100 + i }));
    expect(s.full).toBe(1);
    expect(s.sink.counts).toMatchObject({ events: 4, shown: 2 });
    expect(s.shown.map((a) => a.event.pid)).toEqual([100, 101]);
  });

  it('--exits: an end is counted as an exit, shown if kept, and does not count towards --max-events', () => {
    const s = sink({ maxEvents: 1 });
    s.sink.event(exitOf(podEvent({ pid: 7 })));
    expect(s.sink.counts).toMatchObject({ events: 0, exits: 1, shown: 0 });
    expect(s.full).toBe(0);
    s.sink.event(podEvent({ pid: 8 }));
    s.sink.event(exitOf(podEvent({ pid: 8 })));
    expect(s.shown.map((a) => [a.event.pid, a.event.exit ? 'end' : 'exec'])).toEqual([
      [7, 'end'],
      [8, 'exec'],
    ]);
  });

  it('losses, malformed lines, incomplete execs and gaps add up as they are reported', () => {
    const s = sink();
    s.sink.lost(3);
    s.sink.lost(2);
    s.sink.malformed(1);
    s.sink.incomplete(4);
    s.sink.gapOpened('n1', Date.UTC(2026, 0, 1, 0, 0, 1));
    s.sink.gapClosed('n1', Date.UTC(2026, 0, 1, 0, 0, 3));
    expect(s.sink.counts).toMatchObject({ lost: 5, malformed: 1, incomplete: 4 });
    expect(s.sink.gaps.summary()).toBe('1 gap (2.0 s)');
  });
});
