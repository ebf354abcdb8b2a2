/**
 * A controlling terminal's device number, as X prints it (major << 20 | minor, 0 for none) → its
 * name as ps and Falco show it: 'pts/N' for pseudo-terminals (ssh, `kubectl exec -t`, script),
 * 'ttyN' for virtual consoles, 'ttySN' for serial lines, else 'major:minor'.
 */
export function ttyName(dev: number): string | null {
  if (dev === 0) return null;
  const major = Math.floor(dev / 2 ** 20);
  const minor = dev % 2 ** 20;
  // 136-143: UNIX98 pty slaves (devpts numbers them from major 136 with 20-bit minors).
  if (major >= 136 && major <= 143) return `pts/${(major - 136) * 2 ** 20 + minor}`;
  if (major === 4 && minor < 64) return `tty${minor}`;
  if (major === 4 && minor < 256) return `ttyS${minor - 64}`;
  return `${major}:${minor}`;
}
