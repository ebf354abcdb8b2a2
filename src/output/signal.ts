/**
 * Linux signal names for a process's end. The table is Linux's (asm-generic/signal.h, as on x86 and
 * arm64), not the client's os.constants: the node is Linux even when the client runs on macOS,
 * where the numbers differ.
 */
const LINUX_SIGNALS: readonly string[] = [
  '',
  'SIGHUP',
  'SIGINT',
  'SIGQUIT',
  'SIGILL',
  'SIGTRAP',
  'SIGABRT',
  'SIGBUS',
  'SIGFPE',
  'SIGKILL',
  'SIGUSR1',
  'SIGSEGV',
  'SIGUSR2',
  'SIGPIPE',
  'SIGALRM',
  'SIGTERM',
  'SIGSTKFLT',
  'SIGCHLD',
  'SIGCONT',
  'SIGSTOP',
  'SIGTSTP',
  'SIGTTIN',
  'SIGTTOU',
  'SIGURG',
  'SIGXCPU',
  'SIGXFSZ',
  'SIGVTALRM',
  'SIGPROF',
  'SIGWINCH',
  'SIGIO',
  'SIGPWR',
  'SIGSYS',
];

/** `9` → `SIGKILL`; real-time signals → `SIGRTMIN+n` (glibc's SIGRTMIN is 34); null → null. */
export function signalName(signal: number | null): string | null {
  if (signal === null) return null;
  if (signal > 0 && signal < LINUX_SIGNALS.length) return LINUX_SIGNALS[signal]!;
  if (signal >= 34 && signal <= 64) return signal === 34 ? 'SIGRTMIN' : `SIGRTMIN+${signal - 34}`;
  return `SIG${signal}`;
}
