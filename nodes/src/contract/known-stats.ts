/**
 * Sufficient statistics of known values (observed data, constants), computed once when data is
 * bound. The family decides the layout (ExponentialFamily.knownStatsRows): a scalar family reads
 * one number per value, a vector family (MvNormal(d) for every d, including 1) a vector, and
 * families with implicit known statistics (Categorical) leave them empty.
 */
import type { ExponentialFamily } from "@vireo/core";

/** T(value_i) for `count` values stored back to back (count × valueSize) → count × size. */
export function knownStats(family: ExponentialFamily | null, values: Float64Array, count: number): Float64Array {
  if (family === null) return new Float64Array(0);
  return family.knownStatsRows(values, count, new Float64Array(family.knownStatsLength(count)));
}

/** knownStats into an existing buffer of count × size (no-op for families whose stats stay implicit). */
export function knownStatsInto(family: ExponentialFamily | null, values: Float64Array, count: number, out: Float64Array): Float64Array {
  return family === null ? out : family.knownStatsRows(values, count, out);
}
