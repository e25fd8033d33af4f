/**
 * The only file that imports ndarray (CommonJS). Everything in Vireo holds Float64 data, so one
 * array type keeps call sites monomorphic. ndarray compiles its view classes with `new Function`
 * on first use of a (dtype, dimension), never at load; ndarray-ops compiles at load, so it is not
 * used here: bundles of the main entries load under a strict `script-src 'self'` CSP.
 */
import ndarray from "ndarray";
import { VireoError } from "../errors.js";

import type { Arr } from "./layout.js";

/** Wraps `data` (not copied) as an array of `shape`, row-major unless `stride` is given. */
export function array(data: Float64Array | ArrayLike<number>, shape?: number[], stride?: number[], offset = 0): Arr {
  const buf = data instanceof Float64Array ? data : Float64Array.from(data as ArrayLike<number>);
  const sh = shape ?? [buf.length];
  let n = 1;
  for (const s of sh) n *= s;
  if (stride === undefined && offset + n > buf.length) {
    throw new VireoError(
      "DIMENSION_MISMATCH",
      `array: shape [${sh.join(", ")}] needs ${n} values but the buffer holds ${buf.length - offset}.`,
    );
  }
  return ndarray(buf, sh, stride, offset);
}

/** A new zero-filled array of `shape`. */
export function zeros(shape: number[]): Arr {
  let n = 1;
  for (const s of shape) n *= s;
  return ndarray(new Float64Array(n), shape);
}

/** A new n×n identity matrix. */
export function eye(n: number): Arr {
  const a = zeros([n, n]);
  for (let i = 0; i < n; i++) a.data[i * n + i] = 1;
  return a;
}

/** Builds a row-major matrix from nested rows; every row must have the same length. */
export function matrix(rows: ArrayLike<ArrayLike<number>>): Arr {
  const m = rows.length;
  const n = m === 0 ? 0 : rows[0]!.length;
  const out = zeros([m, n]);
  for (let i = 0; i < m; i++) {
    const r = rows[i]!;
    if (r.length !== n) {
      throw new VireoError("DIMENSION_MISMATCH", `matrix: row ${i} has ${r.length} entries, expected ${n} like row 0.`, { row: i });
    }
    for (let j = 0; j < n; j++) out.data[i * n + j] = r[j]!;
  }
  return out;
}

/** A dense row-major copy of any view (strides of any sign, any offset). */
export function copy(a: Arr): Arr {
  const shape = a.shape.slice();
  const out = zeros(shape);
  const d = shape.length;
  let n = 1;
  for (const s of shape) n *= s;
  if (n === 0) return out;
  const idx = new Array<number>(d).fill(0);
  const src = a.data;
  const dst = out.data;
  let at = a.offset;
  for (let k = 0; k < n; k++) {
    dst[k] = src[at]!;
    // Odometer over the index, last axis fastest, moving the source position by its strides.
    for (let ax = d - 1; ax >= 0; ax--) {
      if (++idx[ax]! < shape[ax]!) {
        at += a.stride[ax]!;
        break;
      }
      at -= a.stride[ax]! * (shape[ax]! - 1);
      idx[ax] = 0;
    }
  }
  return out;
}
