import { describe, expect, it } from 'vitest';
import { expand } from './template.js';

describe('expand', () => {
  it.each([
    ['value', 'a {{X}} b', { X: 1 }, 'a 1 b'],
    ['value keeps the newline after it', '{{X}}\nnext', { X: 'v' }, 'v\nnext'],
    ['true section', '{{#ON}}\nin\n{{/ON}}\nout', { ON: true }, 'in\nout'],
    ['false section', '{{#ON}}\nin\n{{/ON}}\nout', { ON: false }, 'out'],
    ['inverted section', '{{^ON}}\nno\n{{/ON}}\n', { ON: false }, 'no\n'],
    ['list', '{{#L}}\n[{{I}}]\n{{/L}}\n', { L: [{ I: 0 }, { I: 1 }] }, '[0]\n[1]\n'],
    ['list item sees outer values', '{{#L}}\n{{P}}{{I}}\n{{/L}}\n', { P: 'p', L: [{ I: 7 }] }, 'p7\n'],
    ['nested sections', '{{#A}}\n{{#L}}\n{{I}}\n{{/L}}\n{{/A}}\n', { A: true, L: [{ I: 1 }, { I: 2 }] }, '1\n2\n'],
  ])('%s', (_what, tmpl, scope, out) => {
    expect(expand(tmpl, scope)).toBe(out);
  });

  it.each([
    ['an unknown name', '{{NOPE}}', /no value for \{\{NOPE\}\}/],
    ['an unclosed section', '{{#A}}x', /never closed/],
    ['a stray close', 'x{{/A}}', /unexpected/],
    ['a section used as a value', '{{L}}', /not a string or number/],
  ])('rejects %s', (_what, tmpl, msg) => {
    expect(() => expand(tmpl, { A: true, L: [] })).toThrow(msg);
  });
});
