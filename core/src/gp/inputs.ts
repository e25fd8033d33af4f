/**
 * GP inputs at the edge: a user's inputs (number[] for 1-D, number[][] rows, a row-major
 * Float64Array, or an ndarray [n, d]) become one row-major Float64Array of n×d, checked once for
 * shape and finiteness so the kernels' hot loops never test.
 */
import { VireoError, fmt } from "../errors.js";

export type GpInput = Float64Array | readonly number[] | readonly (readonly number[])[] | { readonly data: ArrayLike<number>; readonly shape: readonly number[]; readonly stride?: readonly number[]; readonly offset?: number };

/** Row-major n×d inputs. */
export interface InputRows {
  readonly data: Float64Array;
  readonly n: number;
  readonly d: number;
}

/**
 * Validates and flattens inputs with `dim` columns. `what` names them in messages (e.g.
 * "svgp: inputs 'x'"). Throws DIMENSION_MISMATCH for a wrong width and INVALID_DATA naming the row
 * and column of a NaN or infinite entry.
 */
export function inputRows(x: GpInput, dim: number, what: string): InputRows {
  let data: Float64Array, n: number;
  if (x instanceof Float64Array) {
    if (x.length % dim !== 0) {
      throw new VireoError("DIMENSION_MISMATCH", `${what}: a flat Float64Array of length ${x.length} is not a whole number of rows of ${dim} inputs; pass n×${dim} values row by row.`);
    }
    data = x;
    n = x.length / dim;
  } else if (Array.isArray(x)) {
    n = x.length;
    data = new Float64Array(n * dim);
    for (let i = 0; i < n; i++) {
      const row = x[i] as number | readonly number[];
      if (typeof row === "number") {
        if (dim !== 1) throw new VireoError("DIMENSION_MISMATCH", `${what}: row ${i} is a single number but the kernel takes ${dim} inputs per row; pass rows of ${dim} numbers.`, { row: i });
        data[i] = row;
      } else if (Array.isArray(row)) {
        if (row.length !== dim) throw new VireoError("DIMENSION_MISMATCH", `${what}: row ${i} has ${row.length} inputs but the kernel takes ${dim}.`, { row: i });
        for (let j = 0; j < dim; j++) data[i * dim + j] = row[j]!;
      } else {
        throw new VireoError("INVALID_DATA", `${what}: row ${i} is ${typeof row}; expected a number or an array of ${dim} numbers.`, { row: i });
      }
    }
  } else if (x !== null && typeof x === "object" && "shape" in x && "data" in x) {
    const shape = x.shape;
    const cols = shape.length === 1 ? 1 : shape[1]!;
    if (shape.length > 2 || cols !== dim) {
      throw new VireoError("DIMENSION_MISMATCH", `${what}: an array of shape [${shape.join(", ")}] does not hold rows of ${dim} inputs; expected shape [n, ${dim}]${dim === 1 ? " or [n]" : ""}.`);
    }
    n = shape[0]!;
    const stride = x.stride ?? (shape.length === 1 ? [1] : [cols, 1]);
    const off = x.offset ?? 0;
    data = new Float64Array(n * dim);
    for (let i = 0; i < n; i++) for (let j = 0; j < dim; j++) data[i * dim + j] = x.data[off + i * stride[0]! + (shape.length === 1 ? 0 : j * stride[1]!)]!;
  } else {
    throw new VireoError("INVALID_DATA", `${what}: expected number[] (1-D), number[][] rows, a row-major Float64Array or an ndarray [n, ${dim}], got ${x === null ? "null" : typeof x}.`);
  }
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i]!)) {
      const row = Math.floor(i / dim), column = i % dim;
      throw new VireoError("INVALID_DATA", `${what}: row ${row}, column ${column} is ${fmt(data[i]!)}; GP inputs must be finite numbers (drop or impute the row).`, { row, column });
    }
  }
  return { data, n, d: dim };
}

/** Validates targets: n finite numbers (plus the likelihood's own support check, done by the caller). */
export function targetValues(y: Float64Array | readonly number[], n: number, what: string): Float64Array {
  const out = y instanceof Float64Array ? y : Float64Array.from(y as readonly number[]);
  if (out.length !== n) throw new VireoError("DIMENSION_MISMATCH", `${what}: ${out.length} targets for ${n} input rows; give one target per row.`);
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(out[i]!)) throw new VireoError("INVALID_DATA", `${what}: target at row ${i} is ${fmt(out[i]!)}; targets must be finite.`, { row: i });
  }
  return out;
}
