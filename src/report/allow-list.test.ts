import { describe, expect, it } from 'vitest';
import { allowed, AllowListError, parseAllowList } from './allow-list.js';
import type { Finding } from './baseline.js';

const finding = (over: Partial<Finding>): Finding => ({
  kind: 'new-exec',
  namespace: 'shop',
  workload: 'deploy/web',
  container: 'web',
  entry: null,
  executable: '/bin/sh',
  count: 1,
  sessions: null,
  firstMs: 0,
  args: ['sh'],
  node: 'worker-1',
  pod: 'web-7d9c5b4f8-x2kqp',
  error: null,
  ...over,
});

describe('allow-list', () => {
  const rules = parseAllowList(
    [
      '# known exceptions',
      'deploy/web sh           # the on-call shell',
      'payments/sts/* /opt/app/*',
      'ds/agent',
      '<host> /usr/bin/apt*',
      '',
    ].join('\n'),
    'allow.txt',
  );

  it.each<[string, Partial<Finding>, boolean]>([
    ['workload and file name', {}, true],
    ['file name matches the last part of any path', { executable: '/usr/bin/sh' }, true],
    ['another executable', { executable: '/usr/bin/curl' }, false],
    ['another workload', { workload: 'deploy/api' }, false],
    ['namespace/kind/name glob and a path glob', { namespace: 'payments', workload: 'sts/db', executable: '/opt/app/bin/run' }, true],
    ['…not in another namespace', { namespace: 'shop', workload: 'sts/db', executable: '/opt/app/bin/run' }, false],
    ['a workload alone allows every executable', { workload: 'ds/agent', executable: '/x' }, true],
    ['a pod by name only (kind unknown) matches a rule of any kind', { workload: '*/agent', executable: '/x' }, true],
    ['host processes', { namespace: null, workload: '<host>', executable: '/usr/bin/apt-get' }, true],
    ['a rule for pods does not allow host processes', { namespace: null, workload: '<host>', executable: '/bin/sh' }, false],
  ])('%s', (_, over, want) => expect(allowed(rules, finding(over))).toBe(want));

  it('* allows everything', () => {
    expect(allowed(parseAllowList('*', 'a'), finding({ workload: '<host>' }))).toBe(true);
  });

  it.each([
    ['deploy/web /bin/sh extra', 'allow.txt:1: "deploy/web /bin/sh extra" has 3 fields; write WORKLOAD [EXECUTABLE]'],
    ['web /bin/sh', 'allow.txt:1: workload "web" is not KIND/NAME, NAMESPACE/KIND/NAME, <host> or *'],
  ])('refuses %j, naming the line', (text, message) => {
    expect(() => parseAllowList(text, 'allow.txt')).toThrow(AllowListError);
    expect(() => parseAllowList(text, 'allow.txt')).toThrow(message);
  });
});
