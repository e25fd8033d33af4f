/**
 * Minibatch rows for networks: a data value (flat typed array, [rows, D] ndarray, or an array of
 * rows) read into a row-major Float64Array of rows × D, checked at the edge: width, finiteness
 * and an optional value range, with the field, row and column in every message.
 */
import { VireoError, fmt } from "@vireo/core";
import type { DataValue } from "../engine/bind.js";

interface NdLike {
  readonly data: ArrayLike<number>;
  readonly shape: readonly number[];
  readonly stride: readonly number[];
  readonly offset: number;
}

function isNd(v: unknown): v is NdLike {
  const x = v as NdLike;
  return typeof v === "object" && v !== null && Array.isArray(x.shape) && Array.isArray(x.stride) && typeof x.offset === "number" && x.data !== undefined;
}

/**
 * Reads `value` as rows of `width` numbers into `out` (grown when too short; the returned array
 * is the one holding the data) and returns it with the row count.
 */
export function readRows(
  value: DataValue | undefined,
  width: number,
  field: string,
  range: readonly [number, number] | null,
  out: Float64Array,
): { data: Float64Array; rows: number } {
  if (value === undefined || value === null) {
    throw new VireoError("INVALID_DATA", `Field '${field}' is missing from the batch; give it as rows of ${width} numbers.`, { variable: field });
  }
  let rows: number;
  let get: (i: number, j: number) => number;
  if (isNd(value)) {
    const { shape, stride, offset, data } = value;
    if (shape.length !== 2 || shape[1] !== width) {
      throw new VireoError("DIMENSION_MISMATCH", `Field '${field}': expected an array of shape [rows, ${width}], got [${shape.join(", ")}].`, { variable: field });
    }
    rows = shape[0]!;
    get = (i, j) => data[offset + i * stride[0]! + j * stride[1]!]!;
  } else if (ArrayBuffer.isView(value)) {
    const flat = value as unknown as ArrayLike<number>;
    if (flat.length % width !== 0) {
      throw new VireoError("DIMENSION_MISMATCH", `Field '${field}': ${flat.length} values are not whole rows of ${width}; pass rows × ${width} values (row-major) or a [rows, ${width}] ndarray.`, { variable: field });
    }
    rows = flat.length / width;
    get = (i, j) => flat[i * width + j]!;
  } else if (Array.isArray(value)) {
    const arr = value as readonly (number | readonly number[])[];
    if (arr.length > 0 && Array.isArray(arr[0])) {
      rows = arr.length;
      for (let i = 0; i < rows; i++) {
        const r = arr[i];
        if (!Array.isArray(r) || r.length !== width) {
          throw new VireoError("DIMENSION_MISMATCH", `Field '${field}', row ${i}: expected ${width} numbers, got ${Array.isArray(r) ? r.length : typeof r}.`, { variable: field, row: i });
        }
      }
      get = (i, j) => (arr[i] as readonly number[])[j]!;
    } else {
      if (arr.length % width !== 0) {
        throw new VireoError("DIMENSION_MISMATCH", `Field '${field}': ${arr.length} values are not whole rows of ${width}.`, { variable: field });
      }
      rows = arr.length / width;
      get = (i, j) => arr[i * width + j] as number;
    }
  } else {
    throw new VireoError("INVALID_DATA", `Field '${field}': expected rows of ${width} numbers (a typed array, a [rows, ${width}] ndarray or an array of rows), got ${typeof value}.`, { variable: field });
  }
  if (rows === 0) throw new VireoError("INVALID_DATA", `Field '${field}' has no rows.`, { variable: field });
  const data = out.length >= rows * width ? out : new Float64Array(rows * width);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < width; j++) {
      const x = get(i, j);
      if (typeof x !== "number" || !Number.isFinite(x)) {
        throw new VireoError("INVALID_DATA", `Field '${field}': row ${i}, column ${j} is ${typeof x === "number" ? fmt(x) : String(x)}; data must be finite numbers.`, { variable: field, row: i });
      }
      if (range !== null && (x < range[0] || x > range[1])) {
        throw new VireoError("INVALID_DATA", `Field '${field}': row ${i}, column ${j} is ${fmt(x)}, outside [${range[0]}, ${range[1]}] (a Bernoulli decoder models values in [0, 1]; scale grey levels to [0, 1]).`, { variable: field, row: i });
      }
      data[i * width + j] = x;
    }
  }
  return { data, rows };
}
