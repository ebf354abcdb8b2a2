/**
 * `--allow FILE`: the known exceptions a baseline diff leaves out. One rule a line:
 *
 *     WORKLOAD [EXECUTABLE]      # a comment
 *
 * WORKLOAD is `KIND/NAME` (`deploy/web`, `ds/*`), `NAMESPACE/KIND/NAME` (`payments/deploy/api`),
 * `<host>` or `*`; EXECUTABLE (default `*`) is a path (`/usr/bin/curl`, `/opt/app/*`) or, without a
 * `/`, a file name matched against the executable's last part (`sh`). `*` matches any characters,
 * `/` included, `?` one. A rule leaves out every kind of finding it matches. Pure.
 */
import { splitWorkload, WILDCARD_KIND } from './workload-name.js';
import type { Finding } from './baseline.js';

export interface AllowRule {
  readonly namespace: RegExp | null;
  readonly kind: RegExp | null;
  readonly name: RegExp;
  readonly executable: RegExp;
  readonly byName: boolean;
  /** Where it was written, for messages: `allow.txt:3`. */
  readonly at: string;
}

export class AllowListError extends Error {}

export function globToRegExp(glob: string): RegExp {
  const body = glob
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replaceAll('*', '.*')
    .replaceAll('?', '.');
  return new RegExp(`^${body}$`);
}

export function parseAllowList(text: string, file: string): AllowRule[] {
  const rules: AllowRule[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/(^|\s)#.*$/, '').trim();
    if (line === '') return;
    const fields = line.split(/\s+/);
    const at = `${file}:${i + 1}`;
    if (fields.length > 2) {
      throw new AllowListError(
        `${at}: "${line}" has ${fields.length} fields; write WORKLOAD [EXECUTABLE], e.g. "deploy/web /bin/sh" (# starts a comment)`,
      );
    }
    const [workload, executable = '*'] = fields as [string, string?];
    const parts = workload.split('/');
    if (parts.length > 3 || (parts.length === 1 && workload !== '*' && workload !== '<host>')) {
      throw new AllowListError(
        `${at}: workload "${workload}" is not KIND/NAME, NAMESPACE/KIND/NAME, <host> or *: e.g. deploy/web, payments/sts/db`,
      );
    }
    const [namespace, kind, name] = parts.length === 3 ? parts : parts.length === 2 ? [null, parts[0]!, parts[1]!] : [null, null, workload];
    rules.push({
      namespace: namespace === null ? null : globToRegExp(namespace),
      kind: kind === null ? null : globToRegExp(kind),
      name: globToRegExp(name!),
      executable: globToRegExp(executable),
      byName: !executable.includes('/'),
      at,
    });
  });
  return rules;
}

const basename = (p: string): string => p.slice(p.lastIndexOf('/') + 1);

export function allowed(rules: readonly AllowRule[], f: Finding): boolean {
  const [kind, name] = f.workload.startsWith('<') ? [null, f.workload] : splitWorkload(f.workload);
  return rules.some(
    (r) =>
      (r.namespace === null || (f.namespace !== null && r.namespace.test(f.namespace))) &&
      // A workload whose kind the pod's name did not tell matches a rule of any kind.
      (r.kind === null ? kind === null || r.name.source === '^.*$' : kind !== null && (kind === WILDCARD_KIND || r.kind.test(kind))) &&
      r.name.test(name) &&
      r.executable.test(r.byName ? basename(f.executable) : f.executable),
  );
}
