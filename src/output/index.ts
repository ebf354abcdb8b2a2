import type { AttributedEvent } from '../join/types.js';
import { formatJsonLine } from './json.js';
import { LiveTable } from './live.js';
import { Summary } from './summary.js';
import { folded } from './path-search.js';

export type { JsonExecRecord, JsonExitRecord } from './json.js';
export { formatJsonLine, toJsonExitRecord, toJsonRecord } from './json.js';
export { LiveTable, type LiveTableOptions } from './live.js';
export { Summary } from './summary.js';
export type { Attribution } from './attribution.js';

/** Values of `-o`. */
export type OutputFormat = 'table' | 'wide' | 'json' | 'summary';
export const OUTPUT_FORMATS: readonly OutputFormat[] = Object.freeze(['table', 'wide', 'json', 'summary'] as const);

/** Values of --summary-format (what --summary-to writes). */
export const SUMMARY_FORMATS = ['text', 'markdown'] as const;
export type SummaryFormat = (typeof SUMMARY_FORMATS)[number];

/** Values of `report -o`. */
export const REPORT_FORMATS = ['summary', 'markdown', 'json'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

export function isOutputFormat(s: string): s is OutputFormat {
  return (OUTPUT_FORMATS as readonly string[]).includes(s);
}

export interface PrinterOptions {
  /** Receives one line at a time, without its newline. */
  write: (line: string) => void;
  /** Terminal columns when stdout is a TTY, null when piped. */
  width: number | null;
  /** More than one node is traced: the table shows a NODE column. */
  nodes?: boolean;
  /** --ancestry: the table shows each exec's parent chain. */
  ancestry?: boolean;
}

export interface Printer {
  event(e: AttributedEvent): void;
  /** Flushes what is pending (the summary; the table header if no event came). Idempotent. */
  end(): void;
}

/**
 * A printer for `-o <format>`:
 * - table / wide: the header before the first row (or at end() when no event came), then a row per
 *   event, the attempts of a PATH search folded into one (the events come through a
 *   PathSearchMarker: its marked attempts are left out);
 * - json: one JSON object per event and line, marked attempts with `"pathSearch": true`;
 * - summary: nothing until end(), then the summary table line by line.
 * Events that arrive after end() are ignored.
 */
export function createPrinter(format: OutputFormat, opts: PrinterOptions): Printer {
  const { write } = opts;
  let ended = false;
  switch (format) {
    case 'table':
    case 'wide': {
      const table = new LiveTable({
        wide: format === 'wide',
        width: opts.width,
        nodes: opts.nodes ?? false,
        ancestry: opts.ancestry ?? false,
      });
      let headerDone = false;
      const header = () => {
        if (headerDone) return;
        headerDone = true;
        write(table.header());
      };
      return {
        event(e) {
          // The attempts of one PATH search are one row (marked upstream, see path-search.ts).
          if (ended || folded(e)) return;
          header();
          write(table.row(e));
        },
        end() {
          if (ended) return;
          ended = true;
          header();
        },
      };
    }
    case 'json':
      return {
        event(e) {
          if (!ended) write(formatJsonLine(e));
        },
        end() {
          ended = true;
        },
      };
    case 'summary': {
      const summary = new Summary();
      return {
        event(e) {
          if (!ended) summary.add(e);
        },
        end() {
          if (ended) return;
          ended = true;
          for (const line of summary.render(opts.width).split('\n')) write(line);
        },
      };
    }
    default:
      throw new Error(`unknown output format ${JSON.stringify(format as string)}; expected one of ${OUTPUT_FORMATS.join(', ')}`);
  }
}
