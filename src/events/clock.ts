/**
 * The tracer's clock reference: records carry the kernel's monotonic clock, and the clock record
 * (B, printed once when bpftrace starts) pairs one with the wall time it was received at.
 */
export class TracerClock {
  private ref: { monoNs: bigint; wallMs: number } | null = null;
  /** The reference's seconds and nanoseconds, as Numbers (exact: a monotonic clock has < 2^53 s). */
  private refS = 0;
  private refNs = 0;

  /** The clock record: the tracer's monotonic time `monoNs`, received at wall time `wallMs`. */
  set(monoNs: bigint, wallMs: number): void {
    this.ref = { monoNs, wallMs };
    this.refS = Number(monoNs / 1_000_000_000n);
    this.refNs = Number(monoNs % 1_000_000_000n);
  }

  /** The wall time of a kernel monotonic time; `fallback` before the clock record came. */
  wallMs(monoNs: bigint, fallback: number): number {
    return this.ref ? this.ref.wallMs + Number(monoNs - this.ref.monoNs) / 1e6 : fallback;
  }

  /**
   * wallMs() of a monotonic time as printed (decimal digits), to the bit, without a BigInt per
   * exec: seconds and nanoseconds apart are exact Numbers, and so is their difference to the
   * reference's as long as it is below 2^53 ns (104 days); beyond, or for odd text, through BigInt.
   */
  wallMsOf(mono: string, fallback: number): number {
    const ref = this.ref;
    if (!ref) return fallback;
    const len = mono.length;
    if (len > 24 || len === 0 || mono.charCodeAt(0) === 45) return this.wallMs(BigInt(mono), fallback);
    const split = len > 9 ? len - 9 : 0;
    let s = 0;
    for (let i = 0; i < split; i++) s = s * 10 + (mono.charCodeAt(i) - 48);
    let ns = 0;
    for (let i = split; i < len; i++) ns = ns * 10 + (mono.charCodeAt(i) - 48);
    const ds = (s - this.refS) * 1e9;
    if (!(Math.abs(ds) < 2 ** 53 - 2e9)) return this.wallMs(BigInt(mono), fallback);
    return ref.wallMs + (ds + (ns - this.refNs)) / 1e6;
  }
}
