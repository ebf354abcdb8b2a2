/**
 * labelSelector and fieldSelector, parsed with the grammar of k8s.io/apimachinery/pkg/labels and
 * pkg/fields, so that a selector the real API server rejects is rejected here too (400 BadRequest).
 */
import { badRequest } from './status.js';
import type { KubeObject, LabelSelector } from './types.js';

type LabelOp = 'exists' | '!exists' | '=' | '!=' | 'in' | 'notin' | 'gt' | 'lt';

interface LabelRequirement {
  key: string;
  op: LabelOp;
  values: string[];
}

export type Predicate = (obj: KubeObject) => boolean;

type Token = { kind: 'id'; text: string } | { kind: 'op'; text: string };

/** Splits a label selector into identifiers and the operators = == != ! ( ) , > < (whitespace separates). */
function tokenize(selector: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < selector.length) {
    const c = selector[i] as string;
    if (/\s/.test(c)) {
      i++;
    } else if (selector.startsWith('==', i) || selector.startsWith('!=', i)) {
      tokens.push({ kind: 'op', text: selector.slice(i, i + 2) });
      i += 2;
    } else if ('=!(),<>'.includes(c)) {
      tokens.push({ kind: 'op', text: c });
      i++;
    } else {
      let j = i;
      while (j < selector.length && !/[\s=!(),<>]/.test(selector[j] as string)) j++;
      tokens.push({ kind: 'id', text: selector.slice(i, j) });
      i = j;
    }
  }
  return tokens;
}

export function parseLabelSelector(selector: string): LabelRequirement[] {
  const tokens = tokenize(selector);
  const requirements: LabelRequirement[] = [];
  let pos = 0;
  const fail = (why: string): never => {
    throw badRequest(`unable to parse requirement: ${why}`);
  };
  const peek = (): Token | undefined => tokens[pos];
  const isOp = (text: string): boolean => peek()?.kind === 'op' && peek()?.text === text;
  const identifier = (what: string): string => {
    const t = peek();
    if (t?.kind !== 'id') return fail(`found '${t?.text ?? ''}', expected: ${what}`);
    pos++;
    return t.text;
  };
  /** A value may be empty (`a=` selects an empty label value). */
  const optionalValue = (): string => (peek()?.kind === 'id' ? identifier('value') : '');

  while (pos < tokens.length) {
    if (isOp('!')) {
      pos++;
      requirements.push({ key: identifier('identifier'), op: '!exists', values: [] });
    } else {
      const key = identifier('identifier');
      const t = peek();
      if (t === undefined || (t.kind === 'op' && t.text === ',')) {
        requirements.push({ key, op: 'exists', values: [] });
      } else if (t.kind === 'op' && (t.text === '=' || t.text === '==')) {
        pos++;
        requirements.push({ key, op: '=', values: [optionalValue()] });
      } else if (t.kind === 'op' && t.text === '!=') {
        pos++;
        requirements.push({ key, op: '!=', values: [optionalValue()] });
      } else if (t.kind === 'op' && (t.text === '>' || t.text === '<')) {
        pos++;
        const value = identifier('integer value');
        if (!/^-?\d+$/.test(value)) fail(`for 'Gt', 'Lt' operators, the value must be an integer`);
        requirements.push({ key, op: t.text === '>' ? 'gt' : 'lt', values: [value] });
      } else if (t.kind === 'id' && (t.text === 'in' || t.text === 'notin')) {
        pos++;
        if (!isOp('(')) fail(`found '${peek()?.text ?? ''}', expected: '('`);
        pos++;
        const values: string[] = [];
        while (!isOp(')')) {
          if (pos >= tokens.length) fail(`found '', expected: ')'`);
          values.push(optionalValue());
          if (isOp(',')) pos++;
          else if (!isOp(')')) fail(`found '${peek()?.text ?? ''}', expected: ',' or ')'`);
        }
        pos++;
        requirements.push({ key, op: t.text, values });
      } else {
        fail(`found '${t.text}', expected: in, notin, =, ==, !=, gt, lt`);
      }
    }
    if (pos < tokens.length) {
      if (!isOp(',')) fail(`found '${peek()?.text ?? ''}', expected: ','`);
      pos++;
    }
  }
  return requirements;
}

function matchesLabels(requirements: LabelRequirement[], labels: Record<string, string>): boolean {
  return requirements.every(({ key, op, values }) => {
    const has = Object.hasOwn(labels, key);
    const value = labels[key];
    switch (op) {
      case 'exists':
        return has;
      case '!exists':
        return !has;
      case '=':
      case 'in':
        return has && values.includes(value as string);
      case '!=':
      case 'notin':
        return !has || !values.includes(value as string);
      case 'gt':
      case 'lt': {
        if (!has || !/^-?\d+$/.test(value as string)) return false;
        const n = Number(value);
        const bound = Number(values[0]);
        return op === 'gt' ? n > bound : n < bound;
      }
    }
  });
}

interface FieldRequirement {
  field: string;
  negate: boolean;
  value: string;
}

/** Splits on unescaped commas; `\,` `\=` `\\` are the escapes pkg/fields understands. */
function splitUnescaped(s: string, sep: string): string[] {
  const parts: string[] = [];
  let current = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i] as string;
    if (c === '\\' && i + 1 < s.length) {
      current += c + s[i + 1];
      i++;
    } else if (c === sep) {
      parts.push(current);
      current = '';
    } else {
      current += c;
    }
  }
  parts.push(current);
  return parts;
}

function unescapeField(s: string): string {
  return s.replace(/\\(.)/g, '$1');
}

export function parseFieldSelector(selector: string, supported: readonly string[]): FieldRequirement[] {
  const out: FieldRequirement[] = [];
  for (const term of splitUnescaped(selector, ',')) {
    if (term.trim() === '') continue;
    const m = /^(.*?)(!=|==|=)(.*)$/s.exec(term);
    if (!m) throw badRequest(`invalid selector: '${selector}'; can't understand '${term}'`);
    const field = (m[1] as string).trim();
    if (!supported.includes(field)) throw badRequest(`field label not supported: ${field}`);
    out.push({ field, negate: m[2] === '!=', value: unescapeField(m[3] as string) });
  }
  return out;
}

/**
 * The predicate for a list/watch request. `fields` gives the selectable field values of an object
 * (per resource, as each registry's GetAttrs does).
 */
export function compileSelectors(
  labelSelector: string | undefined,
  fieldSelector: string | undefined,
  supportedFields: readonly string[],
  fields: (obj: KubeObject) => Record<string, string>,
): Predicate {
  const labels = labelSelector ? parseLabelSelector(labelSelector) : [];
  const fieldReqs = fieldSelector ? parseFieldSelector(fieldSelector, supportedFields) : [];
  return (obj) => {
    if (labels.length > 0 && !matchesLabels(labels, obj.metadata.labels ?? {})) return false;
    if (fieldReqs.length === 0) return true;
    const values = fields(obj);
    return fieldReqs.every((r) => ((values[r.field] ?? '') === r.value) !== r.negate);
  };
}

/**
 * metav1.LabelSelectorAsSelector(sel).String(): requirements sorted by key, `k=v`, `k in (a,b)`,
 * `k notin (a,b)`, `k`, `!k`. An absent or empty selector is "".
 */
export function labelSelectorString(selector: LabelSelector | undefined): string {
  if (!selector) return '';
  const reqs: { key: string; text: string }[] = [];
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) reqs.push({ key, text: `${key}=${value}` });
  for (const e of selector.matchExpressions ?? []) {
    const values = [...(e.values ?? [])].sort().join(',');
    switch (e.operator) {
      case 'In':
        reqs.push({ key: e.key, text: `${e.key} in (${values})` });
        break;
      case 'NotIn':
        reqs.push({ key: e.key, text: `${e.key} notin (${values})` });
        break;
      case 'Exists':
        reqs.push({ key: e.key, text: e.key });
        break;
      case 'DoesNotExist':
        reqs.push({ key: e.key, text: `!${e.key}` });
        break;
      default:
        throw badRequest(`"${e.operator}" is not a valid label selector operator`);
    }
  }
  return reqs
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .map((r) => r.text)
    .join(',');
}

/** Whether `labels` match a metav1.LabelSelector (an empty selector matches everything). */
export function labelSelectorMatches(selector: LabelSelector, labels: Record<string, string>): boolean {
  const text = labelSelectorString(selector);
  return text === '' || matchesLabels(parseLabelSelector(text), labels);
}
