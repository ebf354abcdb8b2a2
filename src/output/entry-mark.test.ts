import { describe, expect, it } from 'vitest';
import { entryMark } from './entry-mark.js';
import { columnsFor } from './columns.js';
import { hostEvent, podEvent } from './fixtures.test-helpers.js';
import type { AttributedEvent } from '../join/types.js';

const args = (e: AttributedEvent, wide = false): string => columnsFor({ wide, nodes: false, ancestry: false }).at(-1)!.cell(e);

describe('entry marks before ARGS', () => {
  it.each<[string, AttributedEvent, string, string]>([
    ['the workload’s own process', podEvent({}, { entry: 'init' }), 'sh -c true', 'sh -c true'],
    ['not known', podEvent(), 'sh -c true', 'sh -c true'],
    ['a host process', hostEvent({ tty: 'pts/3' }), 'bash', 'bash'],
    ['entered through exec, no terminal', podEvent({}, { entry: 'exec' }), '[exec] sh -c true', '[exec] sh -c true'],
    [
      'an interactive session',
      podEvent({ tty: 'pts/0', args: ['ls', '-l'] }, { entry: 'exec' }),
      '[exec pts/0] ls -l',
      '[exec pts/0] ls -l',
    ],
    ['a probe', podEvent({ args: ['cat', '/tmp/healthy'] }, { entry: 'probe' }), '[probe] cat /tmp/healthy', '[probe] cat /tmp/healthy'],
    ['a hook', podEvent({ args: ['/bin/drain'] }, { entry: 'hook' }), '[hook] /bin/drain', '[hook] /bin/drain'],
    [
      'a session’s drift (table marks both; wide has DRIFT)',
      podEvent({ tty: 'pts/1', args: ['./miner'], upperLayer: true }, { entry: 'exec' }),
      '[exec pts/1] [drift] ./miner',
      '[exec pts/1] ./miner',
    ],
    ['no argv', podEvent({ args: [] }, { entry: 'probe' }), '[probe]', '[probe]'],
    [
      'a terminal name with odd characters stays one word',
      podEvent({ tty: 'pts/0] x\n' }, { entry: 'exec' }),
      '[exec pts/0??x\\n] sh -c true',
      '[exec pts/0??x\\n] sh -c true',
    ],
  ])('%s', (_n, e, table, wide) => {
    expect(args(e)).toBe(table);
    expect(args(e, true)).toBe(wide);
  });

  it('a process cannot forge one: an argv that looks like a mark is quoted', () => {
    expect(args(podEvent({ args: ['[exec', 'pts/0]', 'rm'] }))).toBe(`'[exec' 'pts/0]' rm`);
    expect(args(podEvent({ args: ['[probe]', 'x'] }))).toBe(`'[probe]' x`);
  });

  it('the end of a process (--exits) carries none', () => {
    const e = podEvent({ exit: { exitCode: 0, signal: null, core: false, durationMs: 5 } }, { entry: 'exec' });
    expect(entryMark(e)).toBe('');
  });
});
