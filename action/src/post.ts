/**
 * The action's post step (always, even when the job failed): stop the trace, write its Markdown
 * summary (and the diff against the baseline) to the job's step summary, keep the recording as an
 * artifact, and fail the job on the fail-on findings or an incomplete trace.
 */
import * as core from '@actions/core';
import { DefaultArtifactClient } from '@actions/artifact';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, resolve as resolvePath } from 'node:path';
import { readConfig } from './inputs.js';
import { alive, stopTrace } from './trace.js';
import { totalsProblems } from './totals.js';

declare const TRACE_EXEC_VERSION: string;

/** The report subcommand's exit code when a fail-on finding exists (0 none, 1 errors). */
const FINDINGS = 3;

/** Runs in the recording's directory: the summary names the recording as the artifact holds it (execs.jsonl), not by the runner's temp path. */
function run(executable: string, args: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(executable, args, { maxBuffer: 64 * 1024 * 1024, cwd }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout, stderr: err && typeof err.code !== 'number' ? `${stderr}${err.message}` : stderr });
    });
  });
}

async function post(): Promise<void> {
  const pid = Number(core.getState('pid'));
  if (!pid) {
    core.info('no trace was started (the main step failed before it traced): nothing to stop');
    return;
  }
  const config = readConfig((name) => core.getInput(name), { GITHUB_JOB: process.env.GITHUB_JOB, DEFAULT_VERSION: TRACE_EXEC_VERSION });
  const executable = core.getState('executable');
  const recording = core.getState('recording');
  const log = core.getState('log');
  const failures: string[] = [];

  // The debug pods' cleanup is retried with backoff inside trace-exec: give it time.
  const started = core.getState('started');
  const how = await stopTrace(pid, 120, started);
  core.info(
    `trace-exec (pid ${pid}): ${how === 'stopped' ? 'stopped with SIGTERM' : how === 'gone' ? 'had already ended' : 'did not end within 120 s of SIGTERM: killed'}`,
  );
  const logText = existsSync(log) ? readFileSync(log, 'utf8') : '';
  core.startGroup('trace-exec log');
  core.info(logText.trimEnd());
  core.endGroup();
  const problems = totalsProblems(logText);
  if (problems.length > 0) failures.push(...problems);

  if (statSync(recording).size === 0) {
    await core.summary.addRaw('**trace-exec**: no execs were recorded.\n').write();
  } else {
    const md = await run(executable, ['report', basename(recording), '-o', 'markdown'], dirname(recording));
    if (md.code !== 0) failures.push(`trace-exec report failed (${md.code}): ${md.stderr.trim()}`);
    else await core.summary.addRaw(md.stdout).addEOL().write();
  }

  if (config.baseline.length > 0) {
    // Paths in the inputs are the workspace's (this step's working directory).
    const baseline = config.baseline.map((f) => resolvePath(f));
    const missing = baseline.filter((f) => !existsSync(f));
    if (missing.length > 0) {
      failures.push(
        `input baseline: ${missing.map((f) => config.baseline[baseline.indexOf(f)]).join(', ')} not found (a recording of an earlier run, e.g. from actions/download-artifact)`,
      );
    } else {
      const args = ['report', basename(recording), ...baseline.flatMap((f) => ['--baseline', f]), '-o', 'markdown'];
      if (config.failOn) args.push('--fail-on', config.failOn);
      const diff = await run(executable, args, dirname(recording));
      if (diff.code === 0 || diff.code === FINDINGS) await core.summary.addRaw(diff.stdout).addEOL().write();
      if (diff.code === FINDINGS) failures.push(`new against the baseline (fail-on: ${config.failOn}): see the job's summary`);
      else if (diff.code !== 0) failures.push(`trace-exec report --baseline failed (${diff.code}): ${diff.stderr.trim()}`);
    }
  }

  const files = [recording, log].filter((f) => existsSync(f));
  try {
    const { id, size } = await new DefaultArtifactClient().uploadArtifact(config.artifactName, files, dirname(recording));
    core.info(`artifact ${config.artifactName} (id ${id}, ${size} bytes): ${files.join(', ')}`);
  } catch (e) {
    failures.push(`could not save the recording as artifact ${config.artifactName}: ${(e as Error).message}`);
  }

  if (alive(pid, started)) failures.push(`trace-exec (pid ${pid}) is still running after SIGKILL`);
  if (failures.length > 0) core.setFailed(failures.join('\n'));
}

post().catch((e: unknown) => core.setFailed((e as Error)?.message ?? String(e)));
