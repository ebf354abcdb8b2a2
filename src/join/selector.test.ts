import { describe, expect, it } from 'vitest';
import { matches, parseSelector, selectorText, SelectorError } from './selector.js';

const labels = { app: 'web', tier: 'front', 'app.kubernetes.io/part-of': 'shop' };

describe('label selectors', () => {
  it.each([
    ['app=web', true],
    ['app==web', true],
    ['app=api', false],
    ['app!=api', true],
    ['app!=web', false],
    ['missing!=x', true],
    ['tier', true],
    ['!tier', false],
    ['!missing', true],
    ['app in (web,api)', true],
    ['app in (api)', false],
    ['app notin (api, db)', true],
    ['app=web,tier=front', true],
    ['app=web,tier=back', false],
    ['app.kubernetes.io/part-of=shop, app in (web)', true],
    ['', true],
  ])('%j → %s', (sel, want) => {
    expect(matches(parseSelector(sel), labels)).toBe(want);
  });

  it.each(['a;b=c', 'app=$(x)', 'app in (a b)', '=x', 'app=web=x'])('rejects %j', (sel) => {
    expect(() => parseSelector(sel)).toThrow(SelectorError);
  });

  it('turns a workload selector into selector text', () => {
    expect(
      selectorText({
        matchLabels: { app: 'web' },
        matchExpressions: [
          { key: 'tier', operator: 'In', values: ['a', 'b'] },
          { key: 'x', operator: 'Exists' },
          { key: 'y', operator: 'DoesNotExist' },
        ],
      }),
    ).toBe('app=web,tier in (a,b),x,!y');
  });
});
