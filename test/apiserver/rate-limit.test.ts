import { describe, expect, it } from 'vitest';
import { RateLimit } from './rate-limit.js';

describe('RateLimit (the stand-in’s API Priority and Fairness in small)', () => {
  it('admits perSecond requests in any second, answers the rest 429 with Retry-After, and admits again a second later', () => {
    let now = 0;
    const limit = new RateLimit(3, 2, () => now);
    const answers = (): (number | undefined)[] => [0, 1, 2, 3].map(() => limit.take('GET', '/api/v1/nodes')?.code);
    expect(answers()).toEqual([undefined, undefined, undefined, 429]);
    const refused = limit.take('POST', '/api/v1/namespaces/x/pods');
    expect(refused).toMatchObject({ code: 429, reason: 'TooManyRequests', details: { retryAfterSeconds: 2 } });
    now = 999;
    expect(limit.take('GET', '/x')?.code).toBe(429);
    now = 1000;
    expect(answers()).toEqual([undefined, undefined, undefined, 429]);
  });
});
