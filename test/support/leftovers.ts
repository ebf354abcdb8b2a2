/** After a run: no debug pod, no temporary namespace, no process the stand-in's kubelet started. */
import { readFileSync } from 'node:fs';
import { expect } from 'vitest';
import type { ApiServer } from '../apiserver/index.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Whether pid still runs (a zombie does not: this machine's init does not reap orphans). */
export function running(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** bpftrace processes the stand-in's kubelet started that still run. */
export function bpftraceProcesses(api: ApiServer): number[] {
  return api.execProcesses().filter((p) => p.command.includes('bpftrace') && running(p.pid)).map((p) => p.pid);
}

export async function expectNothingLeft(api: ApiServer): Promise<void> {
  expect(api.listPods().filter((p) => p.metadata?.labels?.['app.kubernetes.io/name'] === 'trace-exec'), 'debug pods left').toEqual([]);
  expect(api.listNamespaces().filter((n) => n.metadata?.name?.startsWith('trace-exec-')), 'namespaces left').toEqual([]);
  for (let i = 0; i < 50 && api.execProcesses().length > 0; i++) await sleep(100);
  expect(api.execProcesses(), 'exec processes left').toEqual([]);
}
