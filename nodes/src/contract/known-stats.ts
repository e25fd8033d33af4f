/**
 * Sufficient statistics of known values (observed data, constants), computed once when data is
 * bound. Categorical values stay indices: their one-hot statistics are never materialised.
 */
import type { ExponentialFamily } from "@vireo/core";

/** T(value_i) for `count` values stored back to back (count × valueSize) → count × size. */
export function knownStats(family: ExponentialFamily | null, values: Float64Array, count: number): Float64Array {
  if (family === null || family.name === "Categorical") return new Float64Array(0);
  return knownStatsInto(family, values, count, new Float64Array(count * family.size));
}

/** knownStats into an existing buffer of count × size (no-op for families whose stats stay implicit). */
export function knownStatsInto(family: ExponentialFamily | null, values: Float64Array, count: number, out: Float64Array): Float64Array {
  if (family === null || family.name === "Categorical") return out;
  const k = family.size, v = family.valueSize;
  const fam = family as ExponentialFamily<number | Float64Array>;
  for (let i = 0; i < count; i++) {
    const x = v === 1 ? values[i]! : values.subarray(i * v, (i + 1) * v);
    fam.sufficientStats(x, out.subarray(i * k, (i + 1) * k));
  }
  return out;
}
