/**
 * Shell completion, answered the way cobra's hidden `__complete` command answers: one candidate per
 * line (`value` or `value<TAB>description`), then a `:N` directive line. kubectl (1.26+) runs the
 * executable `kubectl_complete-trace_exec` with the words typed after `kubectl trace-exec`, the last
 * one being the word under the cursor (possibly ""), and hands the answer to the shell; the scripts
 * of `trace-exec completion bash|zsh|fish` do the same for `kubectl-trace_exec` typed directly.
 *
 * planCompletion() is pure (what is being completed: node, pod, workload, namespace, container or
 * context names, with which --kubeconfig/--context and in which -n namespace); complete() fetches
 * live names through the lookups (src/kube/names.ts) only when a plan needs them.
 */
import { FINDING_KINDS } from '../report/baseline.js';
import {
  CLEANUP_FLAGS as CLEANUP_SPECS,
  MAIN_FLAGS as MAIN_SPECS,
  REPORT_FLAGS as REPORT_SPECS,
  REPORT_FORMATS,
  SUMMARY_FORMATS,
  type FlagSpec,
  type ValueKind,
} from './flags.js';
import { DEFAULT_IMAGES } from '../node/images.js';
import { parseDuration } from './duration.js';
import { OUTPUT_FORMATS } from '../output/index.js';
import type { Target, WorkloadKind } from '../kube/targets.js';
import { TARGET_KINDS, targetOf } from './target.js';

/** cobra's ShellCompDirective bits. */
export const Directive = {
  Default: 0,
  Error: 1,
  NoSpace: 2,
  NoFileComp: 4,
  FilterFileExt: 8,
  FilterDirs: 16,
  KeepOrder: 32,
} as const;

export interface Candidate {
  value: string;
  description?: string;
}

/** Where names come from: the cluster (nodes, namespaces) and the kubeconfig (contexts). */
export interface Connection {
  kubeconfig: string | null;
  context: string | null;
  requestTimeoutMs: number | null;
}

export type Plan =
  /** Fixed candidates (filtered by `partial`, then `before` is put in front of each). */
  | { kind: 'static'; before: string; partial: string; candidates: Candidate[]; directive: number }
  /** Node names from the cluster, each written `before` + name (`node/worker-1`); not those in `exclude`. */
  | { kind: 'nodes'; before: string; partial: string; exclude: string[]; conn: Connection; extra: Candidate[] }
  /** Namespace names; `exclude` are the ones already in a comma list. */
  | { kind: 'namespaces'; before: string; partial: string; exclude: string[]; conn: Connection }
  /**
   * Pod or workload names in `namespace` (null: the context's), each written `before` + name
   * (`deploy/web`); not those in `exclude`.
   */
  | {
      kind: 'objects';
      resource: 'pod' | WorkloadKind;
      before: string;
      partial: string;
      exclude: string[];
      conn: Connection;
      namespace: string | null;
    }
  /** The container names of the pod and workload targets typed (-c); `exclude` as for namespaces. */
  | {
      kind: 'containers';
      targets: PodTarget[];
      before: string;
      partial: string;
      exclude: string[];
      conn: Connection;
      namespace: string | null;
    }
  /** The kubeconfig's contexts. */
  | { kind: 'contexts'; before: string; partial: string; kubeconfig: string | null }
  /** Let the shell complete file names (--kubeconfig). */
  | { kind: 'files' };

interface Flag {
  name: string;
  alias?: string;
  /** What its value is; undefined for a boolean flag. */
  value?: ValueKind;
  description: string;
  /** May be given more than once (still offered after it was). */
  repeatable?: boolean;
}

const forCompletion = (specs: readonly FlagSpec[]): readonly Flag[] =>
  Object.freeze(
    specs.map((f) => ({
      name: f.name,
      ...(f.alias ? { alias: f.alias } : {}),
      ...(f.kind !== 'boolean' ? { value: f.complete ?? 'none' } : {}),
      description: f.brief,
      ...(f.kind === 'list' ? { repeatable: true } : {}),
    })),
  );

/** The flags of `trace-exec`, from src/cli/flags.ts (test/release checks them against --help). */
export const MAIN_FLAGS: readonly Flag[] = forCompletion(MAIN_SPECS);

/** The flags of `trace-exec cleanup`. */
export const CLEANUP_FLAGS: readonly Flag[] = forCompletion(CLEANUP_SPECS);

/** The flags of `trace-exec report`. */
export const REPORT_FLAGS: readonly Flag[] = forCompletion(REPORT_SPECS);

export const SHELLS = ['bash', 'zsh', 'fish'] as const;
export type Shell = (typeof SHELLS)[number];

const SUBCOMMANDS: Candidate[] = [
  { value: 'cleanup', description: 'remove debug pods and namespaces that runs left behind' },
  { value: 'completion', description: 'print a shell completion script (bash, zsh, fish)' },
  { value: 'report', description: 'summarise a recording (-o json) offline: summary, markdown, timeline' },
];

const FORMAT_HELP: Record<string, string> = {
  table: 'live table (default)',
  wide: 'live table with node, uid, return value, container id',
  json: 'one JSON object per exec',
  summary: 'counts per namespace / pod / container at the end',
};

const REPORT_FORMAT_HELP: Record<(typeof REPORT_FORMATS)[number], string> = {
  summary: 'the summary table of -o summary (default)',
  markdown: 'GitHub-flavoured Markdown',
  json: 'with --baseline: one JSON object per finding',
};

const SUMMARY_FORMAT_HELP: Record<(typeof SUMMARY_FORMATS)[number], string> = {
  text: 'the summary table (default)',
  markdown: 'GitHub-flavoured Markdown, e.g. for $GITHUB_STEP_SUMMARY',
};

const EXAMPLES: Partial<Record<ValueKind, string[]>> = {
  duration: ['30s', '1m', '5m', '10m'],
  timeout: ['30s', '2m', '5m'],
  'request-timeout': ['5s', '10s', '30s'],
  'reconnect-timeout': ['30s', '60s', '0'],
};

export type PodTarget = Exclude<Target, { kind: 'node' }>;

/** The kinds offered for a first letter (`d` → `deploy/`, `ds/`), as kubectl's short names. */
const KIND_STEMS: { stem: string; description: string }[] = [
  { stem: 'pod/', description: "one pod (in -n, else the context's namespace)" },
  { stem: 'deploy/', description: 'the pods of a deployment' },
  { stem: 'sts/', description: 'the pods of a statefulset' },
  { stem: 'ds/', description: 'the pods of a daemonset' },
  { stem: 'job/', description: 'the pods of a job' },
  { stem: 'rs/', description: 'the pods of a replicaset' },
];

function findFlag(flags: readonly Flag[], word: string): Flag | undefined {
  if (word.startsWith('--')) return flags.find((f) => f.name === word.slice(2));
  if (/^-[A-Za-z]$/.test(word)) return flags.find((f) => f.alias === word.slice(1));
  return undefined;
}

/**
 * What to complete. `args` are the words after the command name; the last is the word being
 * completed ("" right after a space).
 */
export function planCompletion(args: readonly string[]): Plan {
  const words = args.length > 0 ? args.slice(0, -1) : [];
  const toComplete = args.length > 0 ? args[args.length - 1]! : '';
  const sub = words[0] === 'cleanup' || words[0] === 'completion' || words[0] === 'report' ? words[0] : null;
  const flags =
    sub === 'cleanup'
      ? CLEANUP_FLAGS
      : sub === 'report'
        ? REPORT_FLAGS
        : sub === 'completion'
          ? [MAIN_FLAGS.find((f) => f.name === 'help')!]
          : MAIN_FLAGS;

  // Read the words already typed: flag values that matter to lookups, positionals, flags seen.
  const given = new Map<string, string[]>();
  const positionals: string[] = [];
  let pending: Flag | null = null; // a flag whose value is the next word
  let dashdash = false;
  for (const w of sub ? words.slice(1) : words) {
    if (pending) {
      given.get(pending.name)!.push(w);
      pending = null;
      continue;
    }
    if (dashdash || w === '-' || !w.startsWith('-')) {
      positionals.push(w);
      continue;
    }
    if (w === '--') {
      dashdash = true;
      continue;
    }
    const eq = w.indexOf('=');
    const flag = findFlag(flags, eq > 0 ? w.slice(0, eq) : w);
    if (!flag) continue; // unknown: the CLI will say so; completion carries on
    const values = given.get(flag.name) ?? [];
    given.set(flag.name, values);
    if (eq > 0) values.push(w.slice(eq + 1));
    else if (flag.value) pending = flag;
  }
  const last = (name: string): string | null => given.get(name)?.at(-1) ?? null;
  const timeout = last('request-timeout');
  let requestTimeoutMs: number | null = null;
  try {
    requestTimeoutMs = timeout === null ? null : parseDuration(timeout, '--request-timeout');
  } catch {
    // a bad value is the CLI's to report
  }
  const conn: Connection = { kubeconfig: last('kubeconfig'), context: last('context'), requestTimeoutMs };
  // Pod and workload targets are looked up where a run resolves them: -n's first namespace, else the context's.
  const namespace =
    (given.get('namespace') ?? [])
      .flatMap((v) => v.split(','))
      .map((n) => n.trim())
      .find((n) => n !== '') ?? null;
  const targets = positionals.map(targetOf);
  const podTargets = targets.filter((t): t is PodTarget => t !== null && t.kind !== 'node');
  const nothing = (directive: number = Directive.NoFileComp): Plan => ({
    kind: 'static',
    before: '',
    partial: '',
    candidates: [],
    directive,
  });

  // The value of a flag: `-o <TAB>`, or `--output=<TAB>`.
  const valuePlan = (flag: Flag, before: string, partial: string): Plan => {
    const fixed = (candidates: Candidate[]): Plan => ({ kind: 'static', before, partial, candidates, directive: Directive.NoFileComp });
    // A comma list (-n a,b,<TAB>): complete the last element, leave out the ones already there.
    const comma = partial.lastIndexOf(',');
    const head = partial.slice(0, comma + 1);
    const listed = (): string[] =>
      [...(given.get(flag.name) ?? []).flatMap((v) => v.split(',')), ...head.split(',')].filter((n) => n !== '');
    switch (flag.value) {
      case 'namespaces':
        return { kind: 'namespaces', before: before + head, partial: partial.slice(comma + 1), exclude: listed(), conn };
      case 'containers':
        // Only a pod or workload target says which containers there are; a node runs any.
        if (podTargets.length === 0) return fixed([]);
        return {
          kind: 'containers',
          targets: podTargets,
          before: before + head,
          partial: partial.slice(comma + 1),
          exclude: listed(),
          conn,
          namespace,
        };
      case 'namespace':
        return { kind: 'namespaces', before, partial, exclude: [], conn };
      case 'output':
        return fixed(OUTPUT_FORMATS.map((f) => ({ value: f, description: FORMAT_HELP[f] })));
      case 'kubeconfig':
      case 'file':
        return before === '' ? { kind: 'files' } : nothing(Directive.Default);
      case 'report-output':
        return fixed(REPORT_FORMATS.map((f) => ({ value: f, description: REPORT_FORMAT_HELP[f] })));
      case 'summary-format':
        return fixed(SUMMARY_FORMATS.map((f) => ({ value: f, description: SUMMARY_FORMAT_HELP[f] })));
      case 'context':
        return { kind: 'contexts', before, partial, kubeconfig: conn.kubeconfig };
      case 'fail-on':
        return fixed(FINDING_KINDS.filter((k) => !listed().includes(k)).map((k) => ({ value: head + k })));
      case 'image':
        return fixed(Object.entries(DEFAULT_IMAGES).map(([arch, image]) => ({ value: image, description: `default for ${arch}` })));
      default:
        return fixed((EXAMPLES[flag.value!] ?? []).map((value) => ({ value })));
    }
  };

  // Right after a flag that takes a value: `-o <TAB>`.
  if (pending) return valuePlan(pending, '', toComplete);

  if (!dashdash && toComplete.startsWith('-')) {
    const eq = toComplete.indexOf('=');
    if (eq > 0) {
      const flag = findFlag(flags, toComplete.slice(0, eq));
      return flag?.value ? valuePlan(flag, toComplete.slice(0, eq + 1), toComplete.slice(eq + 1)) : nothing();
    }
    // Flag names: long ones, and the short ones once only "-" is typed; not those already given.
    const offered = flags.filter((f) => f.repeatable || !given.has(f.name));
    const candidates: Candidate[] = [];
    for (const f of offered) {
      candidates.push({ value: `--${f.name}`, description: f.description });
      if (f.alias && !toComplete.startsWith('--')) candidates.push({ value: `-${f.alias}`, description: f.description });
    }
    return { kind: 'static', before: '', partial: toComplete, candidates, directive: Directive.NoFileComp };
  }

  // Positionals.
  if (sub === 'completion') {
    return positionals.length === 0
      ? { kind: 'static', before: '', partial: toComplete, candidates: SHELLS.map((s) => ({ value: s })), directive: Directive.NoFileComp }
      : nothing();
  }
  // report: files (the shell completes them), or pod/NAME, which cannot be looked up offline.
  if (sub === 'report') return toComplete.startsWith('pod/') ? nothing() : { kind: 'files' };
  if (sub === 'cleanup' || ['local', 'all-nodes', 'node-selector'].some((f) => given.has(f))) return nothing();
  // Targets: several nodes, or several pods and workloads (not both); the ones already there are not offered again.
  if (targets.some((t) => t === null)) return nothing(); // a word that is no target: the CLI will say so
  const nodesGiven = targets.filter((t) => t?.kind === 'node').map((t) => t!.name);
  const slash = toComplete.indexOf('/');
  if (slash >= 0) {
    const typed = toComplete.slice(0, slash);
    const kind = TARGET_KINDS[typed.toLowerCase()];
    const before = `${typed}/`;
    const partial = toComplete.slice(slash + 1);
    if (!kind || (kind === 'node' ? podTargets.length > 0 : nodesGiven.length > 0)) return nothing();
    if (kind === 'node') return { kind: 'nodes', before, partial, exclude: nodesGiven, conn, extra: [] };
    const exclude = podTargets.filter((t) => (t.kind === 'pod' ? kind === 'pod' : t.workload === kind)).map((t) => t.name);
    return { kind: 'objects', resource: kind, before, partial, exclude, conn, namespace };
  }
  // A word without a kind yet: the kinds it may start (with no space after `deploy/`), node names
  // for a bare TAB as before, and the subcommands on the first word.
  const extra = words.length === 0 ? SUBCOMMANDS.filter((c) => c.value.startsWith(toComplete)) : [];
  const stems = nodesGiven.length > 0 ? [] : KIND_STEMS.filter((k) => toComplete !== '' && k.stem.startsWith(toComplete.toLowerCase()));
  if (podTargets.length === 0 && 'node/'.startsWith(toComplete))
    return { kind: 'nodes', before: 'node/', partial: '', exclude: nodesGiven, conn, extra };
  const candidates = [...extra, ...stems.map((k) => ({ value: k.stem, description: k.description }))];
  // Only kind stems: the name comes right after the slash, so no space.
  const directive = stems.length > 0 && extra.length === 0 ? Directive.NoFileComp | Directive.NoSpace : Directive.NoFileComp;
  if (podTargets.length > 0 && toComplete === '') {
    return {
      kind: 'static',
      before: '',
      partial: '',
      candidates: KIND_STEMS.map((k) => ({ value: k.stem, description: k.description })),
      directive: Directive.NoFileComp | Directive.NoSpace,
    };
  }
  return { kind: 'static', before: '', partial: toComplete, candidates, directive };
}

export interface NameLookups {
  nodes(conn: Connection): Promise<string[]>;
  namespaces(conn: Connection): Promise<string[]>;
  /** Pod or workload names in the namespace (null: the context's). */
  objects(conn: Connection, namespace: string | null, resource: 'pod' | WorkloadKind): Promise<string[]>;
  /** The container names of these targets, in the namespace (null: the context's). */
  containers(conn: Connection, namespace: string | null, targets: PodTarget[]): Promise<string[]>;
  contexts(kubeconfig: string | null): string[] | Promise<string[]>;
}

export interface Completion {
  candidates: Candidate[];
  directive: number;
  /** Why a lookup failed (for stderr; the shell shows nothing). */
  error?: string;
}

const withPrefix = (names: string[], before: string, partial: string, exclude: string[] = []): Candidate[] =>
  names.filter((n) => n.startsWith(partial) && !exclude.includes(n)).map((n) => ({ value: before + n }));

/** Runs a plan: looks names up when it must. */
export async function complete(args: readonly string[], lookups: NameLookups): Promise<Completion> {
  const plan = planCompletion(args);
  try {
    switch (plan.kind) {
      case 'static':
        return {
          candidates: plan.candidates.filter((c) => c.value.startsWith(plan.partial)).map((c) => ({ ...c, value: plan.before + c.value })),
          directive: plan.directive,
        };
      case 'files':
        return { candidates: [], directive: Directive.Default };
      case 'nodes':
        return {
          candidates: [...plan.extra, ...withPrefix(await lookups.nodes(plan.conn), plan.before, plan.partial, plan.exclude)],
          directive: Directive.NoFileComp,
        };
      case 'namespaces':
        return {
          candidates: withPrefix(await lookups.namespaces(plan.conn), plan.before, plan.partial, plan.exclude),
          directive: Directive.NoFileComp,
        };
      case 'contexts':
        return {
          candidates: withPrefix(await lookups.contexts(plan.kubeconfig), plan.before, plan.partial),
          directive: Directive.NoFileComp,
        };
      case 'objects':
        return {
          candidates: withPrefix(await lookups.objects(plan.conn, plan.namespace, plan.resource), plan.before, plan.partial, plan.exclude),
          directive: Directive.NoFileComp,
        };
      case 'containers':
        return {
          candidates: withPrefix(
            await lookups.containers(plan.conn, plan.namespace, plan.targets),
            plan.before,
            plan.partial,
            plan.exclude,
          ),
          directive: Directive.NoFileComp,
        };
    }
  } catch (e) {
    const extra = plan.kind === 'nodes' ? plan.extra : [];
    return { candidates: extra, directive: extra.length > 0 ? Directive.NoFileComp : Directive.Error, error: (e as Error).message };
  }
}

/** cobra's wire format: candidates, one per line, then `:N`. Tabs and newlines never reach a value. */
export function formatCompletion(c: Completion, descriptions = true): string {
  const clean = (s: string): string => s.replace(/[\t\r\n]+/g, ' ');
  const lines = c.candidates.map((x) => (descriptions && x.description ? `${clean(x.value)}\t${clean(x.description)}` : clean(x.value)));
  return [...lines, `:${c.directive}`].join('\n') + '\n';
}

export type Invocation = 'kubectl' | 'oc' | 'complete';

/**
 * Which name the program was started under: argv[1] is the path typed or found on PATH (for the
 * standalone executable too); the launchers in the release archives, which exec the one executable,
 * say it in TRACE_EXEC_INVOKED_AS. On Windows the path has backslashes and the name `.exe`, in any
 * case (the file system ignores it): a link or copy of kubectl-trace_exec.exe named
 * kubectl_complete-trace_exec.exe is the completion hook.
 */
export function invokedAs(argv1: string | undefined, envName: string | undefined): Invocation {
  const name = (envName || argv1 || '').split(/[\\/]/).pop()?.toLowerCase() ?? '';
  if (name.startsWith('kubectl_complete-trace_exec') || name.startsWith('oc_complete-trace_exec')) return 'complete';
  if (name.startsWith('oc-trace_exec')) return 'oc';
  return 'kubectl';
}

/** The script `trace-exec completion SHELL` prints: completes kubectl-trace_exec and oc-trace_exec typed directly. */
export function completionScript(shell: Shell): string {
  switch (shell) {
    case 'bash':
      return BASH;
    case 'zsh':
      return ZSH;
    case 'fish':
      return FISH;
  }
}

const COMMANDS = 'kubectl-trace_exec oc-trace_exec';

const BASH = `# bash completion for ${COMMANDS}
# Load it with:  source <(kubectl-trace_exec completion bash)
# (kubectl trace-exec <TAB> itself is completed by kubectl 1.26+ through kubectl_complete-trace_exec.)
_trace_exec_complete() {
  local line cur cmd out directive entry value n
  local -a words
  # The words as typed up to the cursor, split at blanks only (bash would also split at '=' and ':').
  line=\${COMP_LINE:0:COMP_POINT}
  read -ra words <<<"$line"
  n=\${#words[@]}
  cur=
  if [[ $line != *[[:space:]] ]] && (( n > 1 )); then
    cur=\${words[n-1]}
    unset "words[n-1]"
  fi
  cmd=\${words[0]}
  out=$("$cmd" __complete "\${words[@]:1}" "$cur" 2>/dev/null) || return 0
  directive=\${out##*:}
  out=\${out%:*}
  [[ $directive =~ ^[0-9]+$ ]] || return 0
  COMPREPLY=()
  (( directive & 1 )) && return 0
  while IFS= read -r entry; do
    [[ -z $entry ]] && continue
    value=\${entry%%$'\\t'*}
    [[ $value == "$cur"* ]] || continue
    # bash replaces only its own current word, which starts after the last '=' or ':' of cur.
    if [[ $cur == *[=:]* && $COMP_WORDBREAKS == *[=:]* ]]; then value=\${value#"\${cur%[=:]*}"?}; fi
    COMPREPLY+=("$value")
  done <<<"$out"
  (( directive & 2 )) && compopt -o nospace 2>/dev/null
  if (( \${#COMPREPLY[@]} == 0 )) && ! (( directive & 4 )); then
    compopt -o default 2>/dev/null
  fi
  return 0
}
complete -o nosort -F _trace_exec_complete ${COMMANDS} 2>/dev/null || complete -F _trace_exec_complete ${COMMANDS}
`;

const ZSH = `#compdef ${COMMANDS}
# zsh completion for ${COMMANDS}
# Load it with:  source <(kubectl-trace_exec completion zsh)   (after compinit)
_trace_exec_complete() {
  local out directive line value desc
  local -a lines candidates
  out=$("\${words[1]}" __complete "\${(@)words[2,CURRENT-1]}" "\${words[CURRENT]}" 2>/dev/null) || return 1
  lines=("\${(@f)out}")
  directive=\${lines[-1]#:}
  [[ $directive == <-> ]] || return 1
  (( directive & 1 )) && return 1
  for line in "\${(@)lines[1,-2]}"; do
    [[ -z $line ]] && continue
    value=\${line%%$'\\t'*}
    desc=\${line#*$'\\t'}
    [[ $desc == "$line" ]] && desc=
    value=\${value//:/\\\\:}
    candidates+=("$value\${desc:+:$desc}")
  done
  if (( \${#candidates} > 0 )); then
    if (( directive & 2 )); then _describe -t values 'trace-exec' candidates -S ''; else _describe -t values 'trace-exec' candidates; fi
  elif ! (( directive & 4 )); then
    _files
  fi
}
compdef _trace_exec_complete ${COMMANDS}
`;

const FISH = `# fish completion for ${COMMANDS}
# Load it with:  kubectl-trace_exec completion fish | source
function __trace_exec_complete
    set -l words (commandline -opc)
    set -l cur (commandline -ct)
    set -l cmd $words[1]
    set -e words[1]
    set -l out ($cmd __complete $words "$cur" 2>/dev/null)
    or return
    set -l directive (string replace -r '^:' '' -- $out[-1])
    set -e out[-1]
    string match -qr '^[0-9]+$' -- $directive
    or return
    if test (math "$directive % 2") -eq 1
        return
    end
    if test (count $out) -gt 0
        printf '%s\\n' $out
    else if test (math "floor($directive / 4) % 2") -eq 0
        __fish_complete_path "$cur"
    end
end
for cmd in ${COMMANDS}
    complete -c $cmd -f -a '(__trace_exec_complete)'
end
`;
