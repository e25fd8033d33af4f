/**
 * Change tracking for statistics buffers, so a node may cache what it derives from an edge
 * (e.g. weighted sums over a plate) across messages within a sweep. Whoever writes a stats or
 * values buffer in place calls markChanged on it; a node compares versionOf before reusing a
 * cached result. A buffer never marked has version 0; a new buffer is a new key.
 */
const versions = new WeakMap<Float64Array, number>();

export function markChanged(buffer: Float64Array): void {
  versions.set(buffer, (versions.get(buffer) ?? 0) + 1);
}

export function versionOf(buffer: Float64Array): number {
  return versions.get(buffer) ?? 0;
}
