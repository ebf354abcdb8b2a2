import { describe, expect, it } from 'vitest';
import { errnoName } from './errno.js';

describe('errnoName', () => {
  it.each<[number | null, string | null]>([
    [0, null],
    [null, null],
    [3, null],
    [-2, 'ENOENT'],
    [-13, 'EACCES'],
    [-8, 'ENOEXEC'],
    [-7, 'E2BIG'],
    [-20, 'ENOTDIR'],
    [-40, 'ELOOP'],
    [-26, 'ETXTBSY'],
    [-36, 'ENAMETOOLONG'],
    [-999, 'E999'],
  ])('%s → %s', (retval, name) => {
    expect(errnoName(retval)).toBe(name);
  });
});
