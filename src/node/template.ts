/**
 * A small logic-less template expander (a mustache subset) for bpf/*.tmpl:
 *   {{NAME}}             the value (string or number) of NAME
 *   {{#NAME}}..{{/NAME}} boolean true: the body once; array: the body once per item, with the item's fields
 *   {{^NAME}}..{{/NAME}} the body when NAME is false or an empty array
 * Values come only from the node probe's parsed fields: nothing is escaped because nothing user-typed
 * ever reaches here. An unknown name is an error, so a typo cannot render an empty program piece.
 */
export type TemplateValue = string | number | boolean | TemplateScope[];
export interface TemplateScope {
  [name: string]: TemplateValue;
}

const TAG_SOURCE = '\\{\\{([#^/]?)([A-Z0-9_]+)\\}\\}\\n?';

export function expand(template: string, scope: TemplateScope, parents: TemplateScope[] = []): string {
  let out = '';
  let pos = 0;
  // A fresh regex per call: sections recurse, and a shared lastIndex would be clobbered.
  const TAG = new RegExp(TAG_SOURCE, 'g');
  for (let m = TAG.exec(template); m; m = TAG.exec(template)) {
    const [tag, sigil, name] = m as unknown as [string, string, string];
    const isSection = sigil === '#' || sigil === '^';
    // A section tag alone on its line swallows its newline; an inline {{VALUE}} keeps what follows.
    const consumed = isSection || sigil === '/' ? tag : tag.replace(/\n$/, '');
    out += template.slice(pos, m.index);
    pos = m.index + consumed.length;
    TAG.lastIndex = pos;
    if (sigil === '/') throw new Error(`template: unexpected {{/${name}}}`);
    const value = lookup(name, scope, parents);
    if (!isSection) {
      if (typeof value !== 'string' && typeof value !== 'number') {
        throw new Error(`template: {{${name}}} is not a string or number`);
      }
      out += String(value);
      continue;
    }
    const end = findClose(template, name, pos);
    const body = template.slice(pos, end.start);
    pos = end.after;
    TAG.lastIndex = pos;
    const items: TemplateScope[] = Array.isArray(value) ? value : value ? [scope] : [];
    if (sigil === '^') {
      if (items.length === 0) out += expand(body, scope, parents);
    } else {
      for (const item of items) {
        out += item === scope ? expand(body, scope, parents) : expand(body, item, [scope, ...parents]);
      }
    }
  }
  return out + template.slice(pos);
}

function lookup(name: string, scope: TemplateScope, parents: TemplateScope[]): TemplateValue {
  for (const s of [scope, ...parents]) {
    if (Object.hasOwn(s, name)) return s[name] as TemplateValue;
  }
  throw new Error(`template: no value for {{${name}}}`);
}

/** Finds the {{/name}} that closes a section opened just before `from`, skipping nested same-name sections. */
function findClose(template: string, name: string, from: number): { start: number; after: number } {
  const re = new RegExp(`\\{\\{([#^/])${name}\\}\\}\\n?`, 'g');
  re.lastIndex = from;
  let depth = 1;
  for (let m = re.exec(template); m; m = re.exec(template)) {
    depth += m[1] === '/' ? -1 : 1;
    if (depth === 0) return { start: m.index, after: m.index + m[0].length };
  }
  throw new Error(`template: {{#${name}}} is never closed`);
}
