/** After a run: no debug pod, no temporary namespace, no process the stand-in's kubelet started. */
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { groupAlive } from '../apiserver/processes.js';
import { processes } from './proc.js';
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

/**
 * Process groups of bpftrace commands the stand-in's kubelet started that still have a live process
 * (the command is a shell with bpftrace and the batcher below it: the shell may be gone while they
 * live on).
 */
export function bpftraceProcesses(api: ApiServer): number[] {
  return api
    .execProcesses()
    .filter((p) => p.command.includes('bpftrace') && groupAlive(p.pid))
    .map((p) => p.pid);
}

/** The bpftrace processes themselves (comm "bpftrace") in the groups of the kubelet's exec commands. */
export function bpftracePids(api: ApiServer): number[] {
  const groups = new Set(api.execProcesses().map((p) => p.pid));
  return processes()
    .filter((p) => p.comm === 'bpftrace' && p.state !== 'Z' && groups.has(p.pgrp))
    .map((p) => p.pid);
}

export async function expectNothingLeft(api: ApiServer): Promise<void> {
  expect(
    api.listPods().filter((p) => p.metadata?.labels?.['app.kubernetes.io/name'] === 'trace-exec'),
    'debug pods left',
  ).toEqual([]);
  expect(
    api.listNamespaces().filter((n) => n.metadata?.name?.startsWith('trace-exec-')),
    'namespaces left',
  ).toEqual([]);
  for (let i = 0; i < 50 && api.execProcesses().length > 0; i++) await sleep(100);
  expect(api.execProcesses(), 'exec processes left').toEqual([]);
}

/** The debug pods a run created, from its stderr ("creating debug pod NS/NAME on …"). */
export function debugPodNames(stderr: string): string[] {
  return [...stderr.matchAll(/creating debug pod [\w-]+\/([\w.-]+) on /g)].map((m) => m[1]!);
}

/**
 * Removes the files of these debug pods from this machine's /tmp: the stand-in's "containers" share
 * it, where a real pod's /tmp goes with the pod. A run stopped normally removes its own; a killed
 * tracer or lease check leaves some (the lease, its mark, an attachment's `.sh` intent).
 */
export function removePodFiles(podNames: readonly string[]): void {
  const names = new Set(podNames);
  for (const f of readdirSync('/tmp')) {
    const m = /^(trace-exec-[\w.-]+?)\.(lease|lease\.mark|bt|pid\.\d+(\.sh)?)$/.exec(f);
    if (m && names.has(m[1]!)) rmSync(`/tmp/${f}`, { force: true });
  }
}
