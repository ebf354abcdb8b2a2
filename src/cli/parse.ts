/**
 * argv → resolved flag values, for `trace-exec` and `trace-exec cleanup`, through yargs configured
 * from src/cli/flags.ts. Every way the command line can be wrong ends here as one UsageError line
 * that names the flag: unknown flags (with `did you mean`), a long flag written with one dash
 * (`-output`), a value flag without its value, a repeated flag (see the rule in flags.ts).
 */
import yargs, { type Argv } from 'yargs';
import { camelKey, FlagError, resolveFlags, CLEANUP_FLAGS, MAIN_FLAGS, REPORT_FLAGS, type FlagSpec, type FlagValue } from './flags.js';
import { closestFlag } from './suggest.js';
import { UsageError } from './options.js';

/** What --help shows around the flags, and what --version prints. */
export interface HelpText {
  /** "kubectl trace-exec" or "kubectl trace-exec cleanup": for messages and --help. */
  command: string;
  usage: string;
  examples: [string, string][];
  /** --version's text; null: the command has no --version. */
  version: string | null;
  /** Columns --help wraps at. */
  wrap: number;
  /** --help's line for the positionals (default: the main command's targets). */
  positionals?: string;
}

export type Parsed =
  /** --help or --version was printed (on stdout): nothing else to do. */
  { kind: 'shown' } | { kind: 'args'; targets: string[]; flags: Record<string, FlagValue> };

/** The yargs parser of one command, its options from `specs` (help and version are yargs' own). */
export function buildParser(argv: readonly string[], specs: readonly FlagSpec[], help: HelpText, positionals: boolean): Argv {
  let y = yargs([...argv])
    .scriptName(help.command)
    .usage(help.usage)
    .example(help.examples);
  if (positionals) {
    y = y.command('$0 [targets..]', false).positional('targets', {
      type: 'string',
      array: true,
      describe: help.positionals ?? 'node/NAME (several allowed), pod/NAME, deploy|sts|ds|job|rs/NAME',
    });
  }
  for (const f of specs) {
    if (f.name === 'help' || f.name === 'version') continue;
    // Every value flag is a string to yargs (never `number`: "abc" would become NaN; never `array`:
    // arrays are greedy and `-n a node/x` would take the target as a namespace). Repeats arrive as
    // arrays and are resolved by the rule in flags.ts.
    // No yargs `default`: it would also stand in for a value left out (`--timeout` at the end).
    y = y.option(f.name, {
      ...(f.alias ? { alias: f.alias } : {}),
      type: f.kind === 'boolean' ? 'boolean' : 'string',
      describe: f.default !== undefined ? `${f.describe} (default: ${f.default})` : f.describe,
    });
    // yargs reads `--no-probes` as `--probes` negated, whatever is declared: parseCommandLine hands
    // it over under a name yargs leaves alone (unNegated), declared here without a help line.
    if (f.kind === 'boolean' && f.name.startsWith('no-')) y = y.option(unNegated(f.name), { type: 'boolean', hidden: true });
  }
  y = help.version === null ? y.version(false) : y.version(help.version);
  return y
    .help('help')
    .alias('help', 'h')
    .strict()
    .wrap(help.wrap)
    .exitProcess(false)
    .fail((msg, err) => {
      throw err ?? new UsageError(msg);
    });
}

/**
 * Parses argv for the command whose flags are `specs`. Throws UsageError with one line (and a
 * pointer to --help) for anything wrong with the command line itself.
 */
export async function parseCommandLine(
  argv: readonly string[],
  specs: readonly FlagSpec[],
  help: HelpText,
  positionals: boolean,
): Promise<Parsed> {
  const see = ` (see ${help.command} --help)`;
  const words = renameNegated(splitShortValues(argv, specs, see), specs);
  let raw: Record<string, unknown>;
  try {
    raw = (await buildParser(words, specs, help, positionals).parse()) as Record<string, unknown>;
  } catch (e) {
    throw new UsageError(`${describeYargsError(e as Error, argv, specs, positionals)}${see}`);
  }
  const flagWords = words.slice(0, words.includes('--') ? words.indexOf('--') : undefined);
  if (flagWords.some((a) => a === '--help' || a === '-h') || (help.version !== null && flagWords.includes('--version')))
    return { kind: 'shown' };
  try {
    const flags = resolveFlags(
      specs.filter((f) => f.name !== 'help' && f.name !== 'version'),
      negatedFlags(specs, raw),
    );
    const targets = positionals ? ((raw.targets as unknown[] | undefined) ?? []).map(String) : [];
    return { kind: 'args', targets, flags };
  } catch (e) {
    if (e instanceof FlagError) throw new UsageError(`${e.message}${see}`);
    throw e;
  }
}

/** The name a flag spelled `no-…` goes to yargs under (`no-probes` → `probes-off`). */
const unNegated = (name: string): string => `${name.slice(3)}-off`;

/** Flags named `no-…` in argv, renamed for yargs (see buildParser); `--no-probes=false` too. */
function renameNegated(words: readonly string[], specs: readonly FlagSpec[]): string[] {
  const names = new Set(specs.filter((f) => f.kind === 'boolean' && f.name.startsWith('no-')).map((f) => f.name));
  if (names.size === 0) return [...words];
  const end = words.includes('--') ? words.indexOf('--') : words.length;
  return words.map((w, i) => {
    const m = i < end ? /^--([^=]+)(=.*)?$/.exec(w) : null;
    return m && names.has(m[1]!) ? `--${unNegated(m[1]!)}${m[2] ?? ''}` : w;
  });
}

/** yargs' values of the renamed flags back under their own names. */
function negatedFlags(specs: readonly FlagSpec[], raw: Record<string, unknown>): Record<string, unknown> {
  const out = { ...raw };
  for (const f of specs) {
    if (f.kind === 'boolean' && f.name.startsWith('no-')) out[camelKey(f.name)] = raw[camelKey(unNegated(f.name))];
  }
  return out;
}

/** The main command's flags. */
export function parseMain(argv: readonly string[], help: HelpText): Promise<Parsed> {
  return parseCommandLine(argv, MAIN_FLAGS, help, true);
}

/** `cleanup`'s flags (no positionals). */
export function parseCleanup(argv: readonly string[], help: HelpText): Promise<Parsed> {
  return parseCommandLine(argv, CLEANUP_FLAGS, help, false);
}

/** Stands in for `-` (stdin) while yargs parses: it drops a bare `-` from the positionals. */
const STDIN_WORD = '\u0000stdin';

/** `report`'s flags; its positionals are files (`-`: stdin) and pod/NAME. */
export async function parseReport(argv: readonly string[], help: HelpText): Promise<Parsed> {
  const takesValue = (w: string | undefined): boolean =>
    w !== undefined &&
    REPORT_FLAGS.some((f) => f.kind !== 'boolean' && (w === `--${f.name}` || (f.alias !== undefined && w === `-${f.alias}`)));
  // Not a flag's value (`-n -` is a namespace named "-", refused as such).
  const words = argv.map((w, i) => (w === '-' && !takesValue(argv[i - 1]) ? STDIN_WORD : w));
  const parsed = await parseCommandLine(words, REPORT_FLAGS, help, true);
  if (parsed.kind === 'args') parsed.targets = parsed.targets.map((t) => (t === STDIN_WORD ? '-' : t));
  return parsed;
}

/**
 * Words with one dash and several letters, before yargs reads them as a group of short flags
 * (`-output` as -o -u -t…, "unknown flag u"):
 * - a long flag's name (or nearly): refused, naming the flag with two dashes;
 * - a short flag that takes a value, glued to it (`-nkube-system`, `-d30s`): split, as kubectl does;
 * - a group of boolean short flags (`-vA`): left to yargs;
 * - anything else: refused as an unknown flag, with the nearest long flag.
 */
export function splitShortValues(argv: readonly string[], specs: readonly FlagSpec[], see = ''): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const w = argv[i]!;
    if (w === '--') {
      out.push(...argv.slice(i));
      break;
    }
    const m = /^-([A-Za-z][^=]+)(=.*)?$/.exec(w);
    if (!m) {
      out.push(w);
      continue;
    }
    const name = m[1]!;
    if (specs.some((f) => f.name === name))
      throw new UsageError(`unknown flag ${w}: a long flag takes two dashes: --${name}${m[2] ?? ''}${see}`);
    const short = specs.find((f) => f.alias === name[0]);
    if (short && short.kind !== 'boolean') {
      out.push(`-${name[0]}`, `${name.slice(1)}${m[2] ?? ''}`);
      continue;
    }
    const booleans = new Set(specs.filter((f) => f.alias && f.kind === 'boolean').map((f) => f.alias));
    if (m[2] === undefined && [...name].every((c) => booleans.has(c))) {
      out.push(w);
      continue;
    }
    const near = closestFlag(name, specs);
    throw new UsageError(`unknown flag ${w}${near ? `; did you mean --${near}?` : ''}${see}`);
  }
  return out;
}

/** yargs' failure → our one line, without "see --help" (the caller adds it). */
function describeYargsError(e: Error, argv: readonly string[], specs: readonly FlagSpec[], positionals: boolean): string {
  const unknown = /Unknown arguments?: (.*)/.exec(e.message);
  if (!unknown) return e.message;
  const word = unknown[1]!.split(',')[0]!.trim();
  if (!positionals && argv.includes(word)) return `unexpected argument "${word}": this command takes no arguments, only flags`;
  const dashed = word.length === 1 ? `-${word}` : `--${word}`;
  const near = closestFlag(word, specs);
  return `unknown flag ${dashed}${near ? `; did you mean --${near}?` : ''}`;
}
