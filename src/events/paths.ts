/**
 * Path ids → paths (cwd, exe), from the program's pathName records (D): one per component, leaf
 * first, printed once per id by whichever exec saw it first; then '' (the top: the process's root
 * or its mount tree's) or '/' (the walk's steps ran out: the path is cut, its start missing).
 */
export interface KnownPath {
  path: string;
  /** The path was cut: deeper than the program walks, or a component filled the string buffer. */
  cut: boolean;
}

export class PathNames {
  /** id → components, leaf first, until the path completes. */
  private readonly components = new Map<string, string[]>();
  private readonly paths = new Map<string, KnownPath>();

  /**
   * @param strlen the program's string size: a component of strlen - 1 bytes may have been cut
   * @param max upper bound on remembered paths; oldest go first
   */
  constructor(
    private readonly strlen: number,
    private readonly max: number,
  ) {}

  /** Records one component; true when it completed the path. */
  add(id: string, level: number, name: string): boolean {
    let parts = this.components.get(id);
    if (!parts) {
      parts = [];
      this.components.set(id, parts);
    }
    parts[level] = name;
    const top = parts.findIndex((p) => p === '' || p === '/');
    if (top < 0) return false;
    for (let i = 0; i < top; i++) if (parts[i] === undefined) return false;
    const names = parts.slice(0, top).reverse();
    const cutShort = parts[top] === '/';
    const cutName = names.some((n) => n.length * 3 >= this.strlen - 1 && Buffer.byteLength(n) >= this.strlen - 1);
    this.paths.set(id, { path: (cutShort ? '…/' : '/') + names.join('/'), cut: cutShort || cutName });
    this.components.delete(id);
    if (this.paths.size > this.max) {
      const oldest = this.paths.keys().next().value;
      if (oldest !== undefined) this.paths.delete(oldest);
    }
    return true;
  }

  /** Whether the path of `id` is known; id '0' means there is none (a failed exec's exe). */
  known(id: string): boolean {
    return id === '0' || this.paths.has(id);
  }

  get(id: string): KnownPath | null {
    return this.paths.get(id) ?? null;
  }
}
