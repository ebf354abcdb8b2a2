/**
 * Reassembles lines from arbitrary chunks: an exec stream frame, or a pipe read, may end mid-line
 * or in the middle of a UTF-8 character.
 */
import { StringDecoder } from 'node:string_decoder';

export class LineSplitter {
  private readonly decoder = new StringDecoder('utf8');
  private partial = '';

  /** Returns the complete lines the chunk finished, without their '\n' (a '\r' before it is dropped too). */
  push(chunk: Uint8Array | string): string[] {
    const text = this.partial + (typeof chunk === 'string' ? chunk : this.decoder.write(chunk));
    const lines = text.split('\n');
    this.partial = lines.pop() ?? '';
    return lines.map(stripCr);
  }

  /** Flushes what is left at the end of the stream (a last line without '\n'). */
  end(): string[] {
    const rest = this.partial + this.decoder.end();
    this.partial = '';
    return rest === '' ? [] : [stripCr(rest)];
  }
}

function stripCr(line: string): string {
  return line.endsWith('\r') ? line.slice(0, -1) : line;
}
