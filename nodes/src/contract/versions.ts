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
  /**
   * The last HOT buffers marked, with their versions, found by identity before the WeakMap: a
   * streaming step marks and reads the same few buffers every batch, and scanning eight slots
   * costs about half a WeakMap lookup. An evicted slot's version moves to the WeakMap, so versions
   * only grow; at most HOT buffers are held strongly.
   */
  private readonly hot: (Float64Array | null)[] = [null, null, null, null, null, null, null, null];
  private readonly hotVersions = new Float64Array(HOT);
  private nextSlot = 0;

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
    const hot = this.hot;
    for (let i = 0; i < HOT; i++) {
      if (hot[i] === buffer) {
        this.hotVersions[i]!++;
        return;
      }
    }
    const slot = this.nextSlot, old = hot[slot]!;
    this.nextSlot = (slot + 1) % HOT;
    if (old !== null) this.versions.set(old, this.hotVersions[slot]!);
    hot[slot] = buffer;
    this.hotVersions[slot] = (this.versions.get(buffer) ?? 0) + 1;
  }

  versionOf(buffer: Float64Array): number {
    const hot = this.hot;
    for (let i = 0; i < HOT; i++) if (hot[i] === buffer) return this.hotVersions[i]!;
    return this.versions.get(buffer) ?? 0;
  }
}

/** Buffers kept in a ChangeTracker's identity cache (the length of its `hot` literal). */
const HOT = 8;

/**
 * A node's scratch space in one context (buffers and caches reused across updates). Each node
 * type keeps its entries under its own key object; the context, and so the engine, owns them.
 */
export class NodeScratch {
  private readonly entries = new Map<object, unknown>();

  /** The entry under `key`, made by `make(key)` the first time (a module-level `make` allocates no closure per call). */
  get<T, K extends object = object>(key: K, make: (key: K) => T): T {
    let v = this.entries.get(key) as T | undefined;
    if (v === undefined) this.entries.set(key, (v = make(key)));
    return v;
  }
}
