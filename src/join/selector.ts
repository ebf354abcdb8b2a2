/**
 * Kubernetes label selectors (`a=b,c!=d,e,!f,g in (x,y),h notin (z)`), parsed once and matched on the
 * client: -l filters the joined events by their pod's labels, and workload targets select their pods.
 */

export type Requirement = { key: string; op: 'in' | 'notin'; values: string[] } | { key: string; op: 'exists' | '!exists' };

export type LabelSelector = Requirement[];

export class SelectorError extends Error {}

const KEY = /^([a-z0-9A-Z]([-a-z0-9A-Z_.]*[a-z0-9A-Z])?\/)?[a-z0-9A-Z]([-a-z0-9A-Z_.]*[a-z0-9A-Z])?$/;
const VALUE = /^([a-z0-9A-Z]([-a-z0-9A-Z_.]*[a-z0-9A-Z])?)?$/;

/** Splits at commas that are not inside a (…) value list. */
function clauses(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of text) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out.map((c) => c.trim()).filter((c) => c !== '');
}

function checkKey(key: string, text: string): string {
  if (!KEY.test(key)) throw new SelectorError(`"${text}": "${key}" is not a label key`);
  return key;
}

function checkValue(v: string, text: string): string {
  if (!VALUE.test(v) || v.length > 63) throw new SelectorError(`"${text}": "${v}" is not a label value`);
  return v;
}

export function parseSelector(text: string): LabelSelector {
  return clauses(text).map((c): Requirement => {
    let m = /^(\S+)\s+(in|notin)\s*\((.*)\)$/.exec(c);
    if (m) {
      const values = m[3]!.split(',').map((v) => checkValue(v.trim(), c));
      return { key: checkKey(m[1]!, c), op: m[2] as 'in' | 'notin', values };
    }
    m = /^([^!=\s]+)\s*(==|=|!=)\s*(\S*)$/.exec(c);
    if (m) return { key: checkKey(m[1]!, c), op: m[2] === '!=' ? 'notin' : 'in', values: [checkValue(m[3]!, c)] };
    m = /^!\s*(\S+)$/.exec(c);
    if (m) return { key: checkKey(m[1]!, c), op: '!exists' };
    return { key: checkKey(c, c), op: 'exists' };
  });
}

export function matches(selector: LabelSelector, labels: Readonly<Record<string, string>>): boolean {
  return selector.every((r) => {
    const has = Object.hasOwn(labels, r.key);
    switch (r.op) {
      case 'exists':
        return has;
      case '!exists':
        return !has;
      case 'in':
        return has && r.values.includes(labels[r.key]!);
      case 'notin':
        return !has || !r.values.includes(labels[r.key]!);
    }
  });
}

/** The selector text of a workload's spec.selector (matchLabels and matchExpressions), for the API. */
export function selectorText(sel: {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}): string {
  const parts = Object.entries(sel.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`);
  for (const e of sel.matchExpressions ?? []) {
    const op = e.operator.toLowerCase();
    if (op === 'in' || op === 'notin') parts.push(`${e.key} ${op} (${(e.values ?? []).join(',')})`);
    else if (op === 'exists') parts.push(e.key);
    else if (op === 'doesnotexist') parts.push(`!${e.key}`);
  }
  return parts.join(',');
}
