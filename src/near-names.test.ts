import { describe, expect, it } from 'vitest';
import { editDistance, nearNames } from './near-names.js';

describe('editDistance', () => {
  it.each<[string, string, number]>([
    ['', '', 0],
    ['abc', 'abc', 0],
    ['paymnets', 'payments', 2],
    ['namespace', 'nmespace', 1],
    ['', 'abc', 3],
  ])('%j → %j: %d', (a, b, d) => {
    expect(editDistance(a, b)).toBe(d);
    expect(editDistance(b, a)).toBe(d);
  });
});

describe('nearNames', () => {
  const namespaces = ['default', 'kube-system', 'payments', 'payments-gw', 'shop', 'pay'];
  it.each<[string, string[]]>([
    ['paymnets', ['payments']],
    ['payment', ['payments', 'payments-gw']],
    ['kube-sytem', ['kube-system']],
    ['shp', ['shop']],
    ['monitoring', []],
    ['payments', ['payments-gw']], // itself is not a suggestion
  ])('%j → %j', (word, near) => {
    expect(nearNames(word, namespaces)).toEqual(near);
  });

  it('at most limit, nearest first', () => {
    expect(nearNames('web', ['web-3', 'wen', 'web-1', 'web-2'], 2)).toEqual(['web-3', 'wen']);
  });
});
