/**
 * Linux errno names for an exec's return value. The table is Linux's (asm-generic/errno*.h), not
 * the client's os.constants: the node is Linux even when the client runs on macOS, where the
 * numbers differ.
 */
const LINUX_ERRNO: Readonly<Record<number, string>> = {
  1: 'EPERM',
  2: 'ENOENT',
  3: 'ESRCH',
  4: 'EINTR',
  5: 'EIO',
  6: 'ENXIO',
  7: 'E2BIG',
  8: 'ENOEXEC',
  9: 'EBADF',
  10: 'ECHILD',
  11: 'EAGAIN',
  12: 'ENOMEM',
  13: 'EACCES',
  14: 'EFAULT',
  16: 'EBUSY',
  17: 'EEXIST',
  19: 'ENODEV',
  20: 'ENOTDIR',
  21: 'EISDIR',
  22: 'EINVAL',
  23: 'ENFILE',
  24: 'EMFILE',
  26: 'ETXTBSY',
  27: 'EFBIG',
  28: 'ENOSPC',
  30: 'EROFS',
  31: 'EMLINK',
  36: 'ENAMETOOLONG',
  38: 'ENOSYS',
  40: 'ELOOP',
  79: 'ELIBACC',
  80: 'ELIBBAD',
  95: 'EOPNOTSUPP',
  110: 'ETIMEDOUT',
  116: 'ESTALE',
  121: 'EREMOTEIO',
};

/** `-2` → `ENOENT`; an errno without a name here → `E123`; null for success (≥ 0) or an unknown result. */
export function errnoName(retval: number | null): string | null {
  if (retval === null || retval >= 0) return null;
  return LINUX_ERRNO[-retval] ?? `E${-retval}`;
}
