import { describe, expect, it } from 'vitest';
import { execStrings, readAsEmpty, Reread } from './reread.js';

/** A second reading of filename and argv (argc = argv's length unless given). */
function reread(filename: string, args: string[], argc = args.length, argsMax = 32): Reread {
  const r = new Reread(argsMax);
  r.add({ kind: 'rereadFilename', key: '1:1', tid: 1, argc, filename });
  args.forEach((arg, index) => r.add({ kind: 'rereadArg', key: '1:1', tid: 1, index, arg }));
  return r;
}

describe('execStrings', () => {
  it.each<[string, string, (string | undefined)[], Reread | null, { filename: string; args: string[] }]>([
    [
      'no second reading: as read at entry, missing args empty',
      '/bin/ls',
      ['ls', undefined],
      null,
      { filename: '/bin/ls', args: ['ls', ''] },
    ],
    ['an empty filename taken from the second reading', '', ['ls'], reread('/bin/ls', ['ls']), { filename: '/bin/ls', args: ['ls'] }],
    [
      'same count: each empty argument filled',
      '/bin/sh',
      ['sh', '', 'x'],
      reread('/bin/sh', ['sh', '-c', 'y']),
      { filename: '/bin/sh', args: ['sh', '-c', 'x'] },
    ],
    [
      'another count (#! interpreter) with some read: entry kept',
      '/s',
      ['/s', ''],
      reread('/bin/sh', ['/bin/sh', '/s', 'a']),
      { filename: '/s', args: ['/s', ''] },
    ],
    [
      'another count, all read as empty: replaced',
      '/s',
      ['', ''],
      reread('/bin/sh', ['/bin/sh', '/s', 'a']),
      { filename: '/s', args: ['/bin/sh', '/s', 'a'] },
    ],
  ])('%s', (_name, filename, args, again, out) => {
    expect(execStrings(filename, args, again, 32)).toEqual(out);
  });
});

describe('Reread', () => {
  it.each<[string, Reread, boolean]>([
    ['every record came', reread('/bin/ls', ['ls', '-l']), true],
    ['an argument missing', reread('/bin/ls', ['ls'], 2), false],
    ['at most argsMax arguments are expected', reread('/bin/ls', ['a', 'b'], 40, 2), true],
    [
      'no filename record yet',
      (() => {
        const r = new Reread(32);
        r.add({ kind: 'rereadArg', key: '1:1', tid: 1, index: 0, arg: 'ls' });
        return r;
      })(),
      false,
    ],
  ])('complete: %s', (_name, r, complete) => {
    expect(r.complete).toBe(complete);
  });
});

describe('readAsEmpty', () => {
  it.each<[string, (string | undefined)[], boolean]>([
    ['/bin/ls', ['ls'], false],
    ['', ['ls'], true],
    ['/bin/ls', ['ls', ''], true],
    ['/bin/ls', ['ls', undefined], false], // not arrived is not empty
  ])('%j %j', (filename, args, empty) => {
    expect(readAsEmpty(filename, args)).toBe(empty);
  });
});
