import { describe, expect, it } from 'vitest';
import { Stop, stopText, type StopReason } from './stop.js';

describe('stop reasons', () => {
  it.each<[StopReason, string]>([
    [{ kind: 'duration' }, 'duration'],
    [{ kind: 'max-events' }, 'max-events'],
    [{ kind: 'interrupted', why: 'SIGINT' }, 'SIGINT'],
    [{ kind: 'interrupted', why: 'stdout closed' }, 'stdout closed'],
    [{ kind: 'nodes-ended' }, 'every node ended'],
  ])('%o reads "%s" in the totals', (reason, text) => {
    expect(stopText(reason)).toBe(text);
  });

  it('the first reason wins', async () => {
    const s = new Stop();
    expect(s.reason).toBeNull();
    s.request({ kind: 'max-events' });
    s.request({ kind: 'duration' });
    expect(s.reason).toEqual({ kind: 'max-events' });
    await expect(s.requested).resolves.toEqual({ kind: 'max-events' });
  });
});
