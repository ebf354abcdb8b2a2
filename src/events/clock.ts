/**
 * The tracer's clock reference: records carry the kernel's monotonic clock, and the clock record
 * (B, printed once when bpftrace starts) pairs one with the wall time it was received at.
 */
export class TracerClock {
  private ref: { monoNs: bigint; wallMs: number } | null = null;

  /** The clock record: the tracer's monotonic time `monoNs`, received at wall time `wallMs`. */
  set(monoNs: bigint, wallMs: number): void {
    this.ref = { monoNs, wallMs };
  }

  /** The wall time of a kernel monotonic time; `fallback` before the clock record came. */
  wallMs(monoNs: bigint, fallback: number): number {
    return this.ref ? this.ref.wallMs + Number(monoNs - this.ref.monoNs) / 1e6 : fallback;
  }
}
