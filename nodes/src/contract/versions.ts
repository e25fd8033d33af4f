/**
 * Change tracking for statistics buffers, so a node may cache what it derives from an edge
 * (e.g. weighted sums over a plate) across messages within a sweep. Whoever writes a stats or
 * values buffer in place calls markChanged on it; a node compares versionOf before reusing a
 * cached result. A buffer never marked has version 0; a new buffer is a new key.
 *
 * One tracker belongs to one compiled state (an engine) and reaches nodes through their
 * NodeContext: two engines in one process never share it.
 */
export class ChangeTracker {
  private readonly versions = new WeakMap<Float64Array, number>();
  private readonly derived = new WeakMap<Float64Array, Map<object, unknown>>();

  /**
   * A state-wide cache entry derived from `buffer` (e.g. plate sums over it), under `key`, made
   * by `make` the first time; every context of the state sees the same entry. The entry checks
   * versionOf itself before reuse.
   */
  cached<T>(buffer: Float64Array, key: object, make: () => T): T {
    let m = this.derived.get(buffer);
    if (m === undefined) this.derived.set(buffer, (m = new Map()));
    let v = m.get(key) as T | undefined;
    if (v === undefined) m.set(key, (v = make()));
    return v;
  }

  markChanged(buffer: Float64Array): void {
    this.versions.set(buffer, (this.versions.get(buffer) ?? 0) + 1);
  }

  versionOf(buffer: Float64Array): number {
    return this.versions.get(buffer) ?? 0;
  }
}

/**
 * A node's scratch space in one context (buffers and caches reused across updates). Each node
 * type keeps its entries under its own key object; the context, and so the engine, owns them.
 */
export class NodeScratch {
  private readonly entries = new Map<object, unknown>();

  /** The entry under `key`, made by `make` the first time. */
  get<T>(key: object, make: () => T): T {
    let v = this.entries.get(key) as T | undefined;
    if (v === undefined) this.entries.set(key, (v = make()));
    return v;
  }
}
