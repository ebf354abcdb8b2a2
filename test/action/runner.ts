/**
 * Runs the action's steps as a GitHub Actions runner does: `node action/dist/<step>.js` with the
 * inputs as INPUT_<NAME> (name upper-cased, spaces → _), the file commands' files (GITHUB_STATE,
 * GITHUB_OUTPUT, GITHUB_ENV, GITHUB_PATH, GITHUB_STEP_SUMMARY, one set per step), RUNNER_*, and for
 * post the state main saved as STATE_<name>. Each step's summary file is read when it ends.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';

export interface Job {
  dir: string;
  temp: string;
  inputs: Record<string, string>;
  /** GITHUB_* and ACTIONS_* of the job (run ids, runtime token, results URL). */
  env: Record<string, string>;
  state: Record<string, string>;
  /** The job's summary: the step summaries appended in order, as the job's page shows them. */
  summary: string;
}

export interface StepResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  outputs: Record<string, string>;
  /** `::error::` lines (the annotation text, unescaped). */
  errors: string[];
  seconds: number;
}

/** `name<<DELIM\nvalue\nDELIM` entries (and plain `name=value` lines) of a file command. */
export function parseFileCommand(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line);
    if (heredoc) {
      const end = lines.indexOf(heredoc[2]!, i + 1);
      if (end < 0) throw new Error(`file command: no closing delimiter for ${heredoc[1]}`);
      out[heredoc[1]!] = lines.slice(i + 1, end).join('\n');
      i = end;
    } else if (line.includes('=')) {
      out[line.slice(0, line.indexOf('='))] = line.slice(line.indexOf('=') + 1);
    }
  }
  return out;
}

const unescapeCommand = (s: string): string => s.replaceAll('%0D', '\r').replaceAll('%0A', '\n').replaceAll('%25', '%');

export async function runStep(job: Job, step: 'main' | 'post', root: string, node = process.execPath): Promise<StepResult> {
  const files = join(job.dir, `${step}-${Date.now()}`);
  mkdirSync(files, { recursive: true });
  const f = (n: string): string => {
    const p = join(files, n);
    writeFileSync(p, '');
    return p;
  };
  const commands = {
    GITHUB_STATE: f('state'),
    GITHUB_OUTPUT: f('output'),
    GITHUB_ENV: f('env'),
    GITHUB_PATH: f('path'),
    GITHUB_STEP_SUMMARY: f('summary'),
  };
  const inputs = Object.fromEntries(Object.entries(job.inputs).map(([k, v]) => [`INPUT_${k.replaceAll(' ', '_').toUpperCase()}`, v]));
  const state = step === 'post' ? Object.fromEntries(Object.entries(job.state).map(([k, v]) => [`STATE_${k}`, v])) : {};
  const started = Date.now();
  const r = await execa(node, [join(root, 'action/dist', `${step}.js`)], {
    cwd: job.dir,
    reject: false,
    timeout: 240_000,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      RUNNER_TEMP: job.temp,
      RUNNER_OS: 'Linux',
      RUNNER_ARCH: process.arch === 'arm64' ? 'ARM64' : 'X64',
      ...job.env,
      ...commands,
      ...inputs,
      ...state,
    },
    extendEnv: false,
  });
  if (step === 'main') Object.assign(job.state, parseFileCommand(readFileSync(commands.GITHUB_STATE, 'utf8')));
  job.summary += existsSync(commands.GITHUB_STEP_SUMMARY) ? readFileSync(commands.GITHUB_STEP_SUMMARY, 'utf8') : '';
  appendFileSync(join(job.dir, 'job.log'), `--- ${step}\n${r.stdout}\n${r.stderr}\n`);
  return {
    exitCode: r.exitCode ?? -1,
    stdout: r.stdout,
    stderr: r.stderr,
    outputs: parseFileCommand(readFileSync(commands.GITHUB_OUTPUT, 'utf8')),
    errors: r.stdout
      .split('\n')
      .filter((l) => l.startsWith('::error::'))
      .map((l) => unescapeCommand(l.slice('::error::'.length))),
    seconds: (Date.now() - started) / 1000,
  };
}
