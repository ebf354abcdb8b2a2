/**
 * Just enough Markdown to check links the way GitHub renders them: headings and their anchors,
 * and the relative links of a page. Fenced code is not Markdown (a `# comment` in a sh block is no
 * heading), nor is a code span (`[x](y)` inside backticks is no link).
 */

/** The text outside fenced code blocks, line for line (fenced lines become empty). */
export function outsideCode(md: string): string[] {
  let fence: string | null = null;
  return md.split('\n').map((line) => {
    const m = /^ {0,3}(`{3,}|~{3,})/.exec(line);
    if (fence === null && m) {
      fence = m[1]!;
      return '';
    }
    if (fence !== null) {
      if (m && m[1]![0] === fence[0] && m[1]!.length >= fence.length && line.trim() === m[1]) fence = null;
      return '';
    }
    return line;
  });
}

/**
 * GitHub's anchor for a heading (github-slugger): lower case, punctuation dropped, each space a
 * dash; `Drift (\`upperLayer\`, \`--drift\`)` is `drift-upperlayer---drift`.
 */
export function slug(heading: string): string {
  return heading
    .replace(/`/g, '')
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
    .replace(/ /g, '-');
}

/** Every anchor of a page: one per ATX heading, repeated ones numbered as GitHub does (`x`, `x-1`). */
export function anchors(md: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const line of outsideCode(md)) {
    const m = /^ {0,3}#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!m) continue;
    const base = slug(m[1]!);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  return out;
}

export interface Link {
  line: number;
  target: string;
}

/** The links of a page that point into the repository (not `https:`, `mailto:` and the like). */
export function relativeLinks(md: string): Link[] {
  const links: Link[] = [];
  outsideCode(md).forEach((text, i) => {
    const prose = text.replace(/(`+)[\s\S]*?\1/g, '');
    for (const m of prose.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
      const target = m[1]!;
      if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue;
      links.push({ line: i + 1, target });
    }
  });
  return links;
}
