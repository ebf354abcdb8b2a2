/**
 * Durations as kubectl users write them: 30s, 2m, 1m30s, 1h, 500ms; a bare number is seconds.
 * Returns milliseconds, or throws with a message that names the flag.
 */
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

export function parseDuration(text: string, flag: string): number {
  const t = text.trim();
  if (/^\d+(\.\d+)?$/.test(t)) return positive(Number(t) * 1000, text, flag);
  const parts = /^(?:(\d+(?:\.\d+)?)(ms|h|m|s))+$/.test(t) ? t.match(/(\d+(?:\.\d+)?)(ms|h|m|s)/g) : null;
  if (!parts) {
    throw new Error(`${flag} "${text}" is not a duration: use a number of seconds or units like 30s, 2m, 1m30s, 500ms, 1h`);
  }
  let ms = 0;
  for (const p of parts) {
    const m = /^(\d+(?:\.\d+)?)(ms|h|m|s)$/.exec(p)!;
    ms += Number(m[1]) * UNIT_MS[m[2]!]!;
  }
  return positive(ms, text, flag);
}

function positive(ms: number, text: string, flag: string): number {
  if (!(ms > 0) || !Number.isFinite(ms)) throw new Error(`${flag} "${text}" must be longer than zero`);
  return Math.round(ms);
}
