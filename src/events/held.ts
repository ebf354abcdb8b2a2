/**
 * Records held until the record they belong to arrives: each CPU has its own buffer, so a record
 * printed after another on one CPU may arrive before it from another. Held no longer than holdMs.
 */
export class Held<K, V> {
  private readonly items = new Map<K, { value: V; since: number }>();

  constructor(private readonly holdMs: number) {}

  /** Holds `value` under `key` from `nowMs` (a later one for the same key replaces it). */
  hold(key: K, value: V, nowMs: number): void {
    this.items.set(key, { value, since: nowMs });
  }

  get(key: K): V | undefined {
    return this.items.get(key)?.value;
  }

  /** The value held under `key`, no longer held. */
  take(key: K): V | undefined {
    const item = this.items.get(key);
    if (item) this.items.delete(key);
    return item?.value;
  }

  /** Drops what waited holdMs (everything with force); returns how many. */
  expire(nowMs: number, force: boolean): number {
    let dropped = 0;
    for (const [key, item] of this.items) {
      if (force || nowMs - item.since >= this.holdMs) {
        this.items.delete(key);
        dropped++;
      }
    }
    return dropped;
  }

  get size(): number {
    return this.items.size;
  }
}
