/** Runs the built CLI (dist/cli.js) the way a user or CI would, and watches its streams. */
import { execa, type ResultPromise } from 'execa';
import { fileURLToPath } from 'node:url';

export const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));

export interface CliRun {
  proc: ResultPromise;
  stdout(): string;
  stderr(): string;
  /** Resolves when stderr matches re; rejects after timeoutMs with what stderr said. */
  waitForStderr(re: RegExp, timeoutMs?: number): Promise<void>;
  /** Resolves with the exit once the process ended. */
  done(): Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }>;
}

/** env adds to this process's environment; a variable set to undefined is removed. */
export function startCli(args: string[], env: Record<string, string | undefined> = {}): CliRun {
  let out = '';
  let err = '';
  const proc = execa(process.execPath, [CLI, ...args], {
    reject: false,
    buffer: false,
    stdin: 'ignore',
    env: { ...env, FORCE_COLOR: '0' },
  });
  proc.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  proc.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const ended = proc.then((r) => ({ code: r.exitCode ?? null, signal: r.signal ?? null, stdout: out, stderr: err }));
  return {
    proc,
    stdout: () => out,
    stderr: () => err,
    waitForStderr: (re, timeoutMs = 30_000) =>
      new Promise((resolve, reject) => {
        const started = Date.now();
        const check = (): void => {
          if (re.test(err)) return resolve();
          if (proc.exitCode !== null && proc.exitCode !== undefined)
            return reject(new Error(`CLI exited (${proc.exitCode}) before stderr matched ${re}:\n${err}`));
          if (Date.now() - started > timeoutMs) return reject(new Error(`stderr did not match ${re} within ${timeoutMs} ms:\n${err}`));
          setTimeout(check, 25);
        };
        check();
      }),
    done: () => ended,
  };
}

/** The JSON lines of stdout, parsed. */
export function jsonLines(stdout: string): Record<string, unknown>[] {
  return stdout
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}
