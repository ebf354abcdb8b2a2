/**
 * The lines of a recording: files (plain, or gzip: by the magic bytes, whatever the name), `-` for
 * stdin; one after another, each line with where it came from. Line splitting only: parsing is
 * src/report/record.ts.
 */
import { accessSync, constants, createReadStream, statSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { Readable, PassThrough } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { UserError } from '../errors.js';

export interface SourceLine {
  /** The file name as given (`-` for stdin). */
  source: string;
  /** 1-based. */
  lineNo: number;
  text: string;
}

const GZIP_MAGIC = [0x1f, 0x8b];

/** A stream of the bytes of `input`, gunzipped when they start with gzip's magic bytes. */
async function decoded(input: Readable): Promise<Readable> {
  const it = input[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const first = await it.next();
  const out = new PassThrough();
  if (first.done) {
    out.end();
    return out;
  }
  const head = first.value;
  const gz = head[0] === GZIP_MAGIC[0] && head[1] === GZIP_MAGIC[1];
  const rest = Readable.from(
    (async function* () {
      yield head;
      for (let r = await it.next(); !r.done; r = await it.next()) yield r.value;
    })(),
  );
  if (!gz) return rest;
  const gunzip = createGunzip();
  rest.on('error', (e) => gunzip.destroy(e));
  return rest.pipe(gunzip);
}

/** Opens a file for reading, as a UserError naming it when it cannot be read. */
async function open(file: string): Promise<Readable> {
  const s = createReadStream(file);
  await new Promise<void>((resolve, reject) => {
    s.once('open', () => resolve());
    s.once('error', (e: NodeJS.ErrnoException) =>
      reject(
        new UserError(
          `cannot read ${file}: ${e.code === 'ENOENT' ? 'no such file' : e.message}`,
          'give files written by -o json, or - for stdin',
        ),
      ),
    );
  });
  return s;
}

/** Every file can be opened for reading (checked before any is read, so that a typo in the last name does not come after the first file's warnings); else a UserError naming it. */
export function checkReadable(sources: readonly string[]): void {
  for (const source of sources) {
    if (source === '-') continue;
    let why: string | null = null;
    try {
      if (statSync(source).isDirectory()) why = 'a directory';
      else accessSync(source, constants.R_OK);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (e as Error).message;
    }
    if (why) throw new UserError(`cannot read ${source}: ${why}`, 'give files written by -o json, or - for stdin');
  }
}

export async function* readLines(sources: readonly string[], stdin: Readable): AsyncGenerator<SourceLine> {
  for (const source of sources) {
    const input = source === '-' ? stdin : await open(source);
    let lineNo = 0;
    try {
      const lines = createInterface({ input: await decoded(input), crlfDelay: Infinity });
      for await (const text of lines) yield { source, lineNo: ++lineNo, text };
    } catch (e) {
      if (e instanceof UserError) throw e;
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EISDIR') throw new UserError(`cannot read ${source}: a directory`, 'give files written by -o json, or - for stdin');
      const what = code === 'Z_BUF_ERROR' || code === 'Z_DATA_ERROR' ? 'the gzip data is cut or damaged' : (e as Error).message;
      throw new UserError(`cannot read ${source === '-' ? 'stdin' : source} after line ${lineNo}: ${what}`);
    } finally {
      if (source !== '-') input.destroy();
    }
  }
}
