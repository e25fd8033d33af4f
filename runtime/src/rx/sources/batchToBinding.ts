import { array } from "@vireo/core";
import type { DataBinding } from "../../engine/bind.js";
import type { Minibatch } from "./types.js";

/**
 * A batch as a data binding with explicit shapes: a width-1 field stays a flat Float64Array ([rows]),
 * a wider field becomes a [rows, width] ndarray over the same buffer (no copy).
 */
export function batchToBinding(batch: Minibatch): DataBinding {
  const out: Record<string, DataBinding[string]> = Object.create(null);
  for (const [name, data] of Object.entries(batch.data)) {
    const w = batch.widths[name]!;
    out[name] = w === 1 ? data : array(data, [batch.rows, w]);
  }
  return out;
}
