/**
 * Files a run writes at its end (--summary-to, and any later --…-to flag) are checked when it
 * starts, so that an hour of tracing does not end in "could not write". Nothing is created: the
 * check leaves the file system as it found it.
 */
import { accessSync, constants, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/** null when `file` can be written at the end (its directory exists and is writable; if the file exists, it is a writable file), else why not. */
export function whyNotWritable(file: string): string | null {
  const path = resolve(file);
  const dir = dirname(path);
  let dirStat;
  try {
    dirStat = statSync(dir);
  } catch {
    return `the directory ${dir} does not exist`;
  }
  if (!dirStat.isDirectory()) return `${dir} is not a directory`;
  try {
    const st = statSync(path);
    if (st.isDirectory()) return `${path} is a directory`;
    accessSync(path, constants.W_OK);
    return null;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT') return `${path} is not writable (${code})`;
  }
  try {
    accessSync(dir, constants.W_OK | constants.X_OK);
  } catch (e) {
    return `the directory ${dir} is not writable (${(e as NodeJS.ErrnoException).code})`;
  }
  return null;
}

/**
 * The error for `flag file` when file cannot be written at the end, or null: the path, why, and the
 * fix that fits. An existing directory is not to be created: it wants a file below it (example is
 * the name offered, e.g. summary.txt).
 */
export function unwritableMessage(flag: string, file: string, example: string): string | null {
  const why = whyNotWritable(file);
  if (why === null) return null;
  const path = resolve(file);
  const isDir = why === `${path} is a directory`;
  return `${flag} ${file}: ${why}; ${isDir ? `give the path of a file, e.g. ${join(path, example)}` : 'create it or choose another path'}`;
}
