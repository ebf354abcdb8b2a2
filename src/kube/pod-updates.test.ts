import { describe, expect, it } from 'vitest';
import type { V1Pod } from '@kubernetes/client-node';
import { PodUpdates } from './pod-updates.js';

const pod = (phase: string): V1Pod => ({ metadata: { name: 'p' }, status: { phase } });

describe('PodUpdates', () => {
  it('gives each state once, the newest', () => {
    const u = new PodUpdates();
    expect(u.take()).toBeNull();
    u.push(pod('Pending'));
    u.push(pod('Running'));
    expect(u.take()?.status?.phase).toBe('Running');
    expect(u.take()).toBeNull();
  });

  it('next() resolves at a push, or at the latest after its time', async () => {
    const u = new PodUpdates();
    const t0 = performance.now();
    setTimeout(() => u.push(pod('Running')), 20);
    await u.next(5_000);
    expect(performance.now() - t0).toBeLessThan(1_000);
    expect(u.take()?.status?.phase).toBe('Running');
    const t1 = performance.now();
    await u.next(50);
    expect(performance.now() - t1).toBeGreaterThanOrEqual(45);
    expect(u.take()).toBeNull();
  });

  it('next() does not wait when a state is already there', async () => {
    const u = new PodUpdates();
    u.push(pod('Pending'));
    const t0 = performance.now();
    await u.next(5_000);
    expect(performance.now() - t0).toBeLessThan(100);
  });
});
