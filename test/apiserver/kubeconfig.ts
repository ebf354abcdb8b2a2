/** The kubeconfig that points kubectl and @kubernetes/client-node at the stand-in. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const CONTEXT = 'standin';

export function writeKubeconfig(dir: string, server: string, user: string, token: string): string {
  const path = join(dir, 'kubeconfig');
  // insecure-skip-tls-verify: client-node refuses an http:// server unless it is set.
  const text = [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    `- name: ${CONTEXT}`,
    '  cluster:',
    `    server: ${server}`,
    '    insecure-skip-tls-verify: true',
    'users:',
    `- name: ${user}`,
    '  user:',
    `    token: ${token}`,
    'contexts:',
    `- name: ${CONTEXT}`,
    '  context:',
    `    cluster: ${CONTEXT}`,
    `    user: ${user}`,
    '    namespace: default',
    `current-context: ${CONTEXT}`,
    '',
  ].join('\n');
  writeFileSync(path, text, { mode: 0o600 });
  return path;
}
