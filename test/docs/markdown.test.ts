import { describe, expect, it } from 'vitest';
import { anchors, relativeLinks, slug } from './markdown.js';

describe('slug: the anchor GitHub gives a heading', () => {
  it.each([
    ['Quick start', 'quick-start'],
    ['Drift (`upperLayer`, `--drift`)', 'drift-upperlayer---drift'],
    ['Exits (`--exits`)', 'exits---exits'],
    ['Timeline (`--timeline-to`)', 'timeline---timeline-to'],
    ['Windows (amd64)', 'windows-amd64'],
    ['With krew, no Node.js needed (Linux, Windows, macOS)', 'with-krew-no-nodejs-needed-linux-windows-macos'],
    ['From source (npm on Node.js ≥ 20)', 'from-source-npm-on-nodejs--20'],
    ['What it creates on the cluster (and removes)', 'what-it-creates-on-the-cluster-and-removes'],
    ['`cleanup`', 'cleanup'],
    ['Reports from a recording (`report`)', 'reports-from-a-recording-report'],
  ])('%s → #%s', (heading, want) => {
    expect(slug(heading)).toBe(want);
  });
});

describe('anchors', () => {
  it('numbers repeated headings and ignores # lines in fenced code', () => {
    const md = '# A\n\n```sh\n# not a heading\n```\n\n## A\n### B c ###\n~~~\n## inside\n~~~\n';
    expect([...anchors(md)]).toEqual(['a', 'a-1', 'b-c']);
  });
});

describe('relativeLinks', () => {
  it('finds repository links, not web links, code spans or fenced code', () => {
    const md = [
      'see [Reliability](#reliability) and [docs](docs/ci.md#a-kind-cluster), [web](https://x.io/a#b)',
      'a code span `[no](link.md)` and [`--drift`](docs/drift.md)',
      '```md',
      '[no](fenced.md)',
      '```',
      '[mail](mailto:a@b.c) [t](docs/x.md "title")',
    ].join('\n');
    expect(relativeLinks(md)).toEqual([
      { line: 1, target: '#reliability' },
      { line: 1, target: 'docs/ci.md#a-kind-cluster' },
      { line: 2, target: 'docs/drift.md' },
      { line: 6, target: 'docs/x.md' },
    ]);
  });
});
