import { describe, expect, it } from 'vitest';
import { ProcessTable, type Owner } from './process-table.js';

const host: Owner = { namespace: null, pod: null, container: null, host: true };
const pod = (p: string, c = 'app'): Owner => ({ namespace: 'ns', pod: p, container: c, host: false });

describe('ProcessTable', () => {
  it('names the parent chain of an exec, nearest first, across a runtime helper into a pod', () => {
    const t = new ProcessTable();
    t.seed(1, 0, 'systemd', host);
    t.seed(100, 1, 'crio', host);
    t.seed(200, 100, 'conmon', pod('web', 'conmon'));
    t.seed(300, 200, 'sh', pod('web'));
    t.fork(300, 301, 'sh');
    expect(t.exec(301, 300, 'curl', pod('web')).map((a) => `${a.pid}:${a.comm}:${a.pod ?? '<host>'}`)).toEqual([
      '300:sh:web',
      '200:conmon:web',
      '100:crio:<host>',
      '1:systemd:<host>',
    ]);
    expect(t.chain(301)[0]).toMatchObject({ pid: 301, comm: 'curl', pod: 'web' });
  });

  it('a forked child takes its parent’s owner until it execs', () => {
    const t = new ProcessTable();
    t.seed(10, 1, 'bash', pod('api'));
    t.fork(10, 11, 'bash');
    expect(t.chain(11)[0]).toMatchObject({ comm: 'bash', pod: 'api' });
  });

  it('the snapshot never overrides what traced records said', () => {
    const t = new ProcessTable();
    t.fork(1, 50, 'x');
    t.exec(50, 1, 'newer', host);
    t.seed(50, 1, 'older', pod('p'));
    expect(t.chain(50)[0]).toMatchObject({ comm: 'newer', host: true });
  });

  it('keeps exited processes for the grace period, then forgets them', () => {
    const t = new ProcessTable({ exitGraceMs: 1000 });
    t.seed(5, 1, 'parent', host);
    t.exit(5, 0);
    t.expire(999);
    expect(t.chain(5)).toHaveLength(1);
    t.expire(1000);
    expect(t.chain(5)).toHaveLength(0);
  });

  it('stops at depth, at unknown pids and at loops', () => {
    const t = new ProcessTable({ depth: 3 });
    for (let i = 2; i <= 10; i++) t.seed(i, i - 1, `p${i}`, host);
    expect(t.chain(10).map((a) => a.pid)).toEqual([10, 9, 8]);
    t.seed(20, 21, 'a', host);
    t.seed(21, 20, 'b', host);
    expect(t.chain(20).map((a) => a.pid)).toEqual([20, 21]);
    expect(t.chain(999)).toEqual([]);
  });

  it('stays within maxEntries, dropping exited processes first', () => {
    const t = new ProcessTable({ maxEntries: 100 });
    for (let i = 1; i <= 100; i++) t.seed(i, 0, 'p', host);
    for (let i = 1; i <= 50; i++) t.exit(i, 0);
    for (let i = 101; i <= 1000; i++) t.fork(1, i, 'c');
    expect(t.size).toBe(100);
  });
});
