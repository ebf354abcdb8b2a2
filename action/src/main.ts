/**
 * The action's main step: install the release executable for this runner (checked against the
 * release's SHA256SUMS), start `trace-exec … -o json` in the background, wait until it traces, and
 * leave what post needs in the action's state. Every later step of the job is recorded.
 */
import * as core from '@actions/core';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { readConfig } from './inputs.js';
import { install } from './install.js';
import { normalizeVersion, releaseBaseUrl, runnerPlatform } from './release.js';
import { startTime, startTrace } from './trace.js';

/** package.json's version at build time (npm run action): the release this commit of the action installs by default. */
declare const TRACE_EXEC_VERSION: string;

async function main(): Promise<void> {
  const config = readConfig((name) => core.getInput(name), { GITHUB_JOB: process.env.GITHUB_JOB, DEFAULT_VERSION: TRACE_EXEC_VERSION });
  const platform = runnerPlatform(process.env.RUNNER_OS, process.env.RUNNER_ARCH);
  const version = normalizeVersion(config.version);
  const temp = process.env.RUNNER_TEMP;
  if (!temp) throw new Error('RUNNER_TEMP is not set: this runs as a step of a GitHub Actions job');
  const baseUrl = releaseBaseUrl(
    version,
    config.releaseUrl,
    process.env.GITHUB_ACTION_REPOSITORY || 'trace-exec/trace-exec',
    process.env.GITHUB_SERVER_URL,
  );

  const installed = await install(baseUrl, version, platform, join(temp, 'trace-exec-tool'), (m) => core.info(m));
  // Later steps can run `kubectl trace-exec …` (report, cleanup) with the same executable.
  core.addPath(installed.dir);
  core.setOutput('executable', installed.executable);
  core.setOutput('version', installed.version);

  const work = join(temp, 'trace-exec');
  mkdirSync(work, { recursive: true });
  const recording = join(work, 'execs.jsonl');
  const log = join(work, 'trace-exec.log');
  core.info(`starting: ${installed.executable} ${config.traceArgs.join(' ')} >${recording} 2>${log}`);
  const { pid } = await startTrace(installed.executable, config.traceArgs, recording, log, config.startTimeoutSeconds);
  core.saveState('pid', String(pid));
  core.saveState('started', startTime(pid));
  core.saveState('executable', installed.executable);
  core.saveState('recording', recording);
  core.saveState('log', log);
  core.setOutput('recording', recording);
  core.setOutput('log', log);
  core.info(`trace-exec (pid ${pid}) is tracing; every later step of this job is recorded into ${recording}`);
}

main().catch((e: unknown) => core.setFailed((e as Error)?.message ?? String(e)));
