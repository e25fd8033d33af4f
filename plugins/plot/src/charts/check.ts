/** Validation shared by the chart builders: errors name the chart and the field. */
import { VireoError } from "@vireo/core";

export function fail(chart: string, message: string): never {
  throw new VireoError("INVALID_DATA", `${chart}: ${message}`);
}

export function finiteArray(chart: string, field: string, v: unknown, length?: number): readonly number[] {
  if (!(Array.isArray(v) || ArrayBuffer.isView(v))) fail(chart, `${field} must be an array of numbers.`);
  const a = v as ArrayLike<number>;
  if (length !== undefined && a.length !== length) fail(chart, `${field} has ${a.length} entries, expected ${length}.`);
  for (let i = 0; i < a.length; i++) {
    if (typeof a[i] !== "number" || !Number.isFinite(a[i])) fail(chart, `${field}[${i}] is ${String(a[i])}, expected a finite number.`);
  }
  return Array.from(a);
}
