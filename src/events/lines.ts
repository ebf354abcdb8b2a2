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
    const text = this.pushText(chunk);
    if (text === '') return [];
    const lines = text.split('\n');
    lines.pop();
    return lines.map(stripCr);
  }

  /**
   * The complete lines the chunk finished as one text, each with its '\n' (and any '\r' before it);
   * '' when it finished none. For a reader that finds the lines in it itself (src/events/decoder.ts):
   * no string and no array per line.
   */
  pushText(chunk: Uint8Array | string): string {
    const text = this.partial + (typeof chunk === 'string' ? chunk : this.decoder.write(chunk));
    const last = text.lastIndexOf('\n');
    if (last < 0) {
      this.partial = text;
      return '';
    }
    if (last === text.length - 1) {
      this.partial = '';
      return text;
    }
    this.partial = text.slice(last + 1);
    return text.slice(0, last + 1);
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
