/**
 * cgroup ids → paths, from the program's cgroupName records (P): one per path component, leaf
 * first, printed once per cgroup by whichever exec saw it first. A path is known once every level
 * up to the hierarchy's root ('') came, or the program's depth ran out (then it starts with '…/').
 */
export class CgroupPaths {
  /** "hier:id" → path components, leaf first ('' marks the hierarchy root). */
  private readonly components = new Map<string, string[]>();
  /** Per hierarchy (index 1 and 2): cgroup id → path. */
  private readonly paths = [new Map<string, string>(), new Map<string, string>(), new Map<string, string>()] as const;

  /**
   * @param levels how many path components (leaf first) the program prints before it stops climbing
   * @param max upper bound on remembered paths per hierarchy (one per cgroup seen); oldest go first
   */
  constructor(
    private readonly levels: number,
    private readonly max: number,
  ) {}

  /** Records one path component; true when it completed the path. */
  add(hier: 1 | 2, id: string, level: number, name: string): boolean {
    const key = `${hier}:${id}`;
    let parts = this.components.get(key);
    if (!parts) {
      parts = [];
      this.components.set(key, parts);
    }
    parts[level] = name;
    const rootAt = parts.indexOf('');
    const top = rootAt >= 0 ? rootAt : this.levels;
    for (let i = 0; i < top; i++) if (parts[i] === undefined) return false;
    const names = parts.slice(0, top).reverse();
    const paths = this.paths[hier];
    paths.set(id, (rootAt >= 0 ? '/' : '…/') + names.join('/'));
    this.components.delete(key);
    if (paths.size > this.max) {
      const oldest = paths.keys().next().value;
      if (oldest !== undefined) paths.delete(oldest);
    }
    return true;
  }

  /** Whether the path of `id` is known; id 0 means the program did not read that hierarchy. */
  known(hier: 1 | 2, id: string): boolean {
    return id === '0' || this.paths[hier].has(id);
  }

  /** The path of `id`; null when the program did not read that hierarchy or the path never completed. */
  path(hier: 1 | 2, id: string): string | null {
    return id === '0' ? null : (this.paths[hier].get(id) ?? null);
  }
}
