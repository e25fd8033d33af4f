/**
 * The array type and layout checks, without the ndarray module itself: code that only reads views
 * (data binding, linear algebra) imports this file, so a bundle that never builds a view leaves
 * ndarray out (the core package is side-effect free).
 */
import type { NdArray } from "ndarray";

/** A strided view over a Float64Array: the numeric container of the whole library. */
export type Arr = NdArray<Float64Array>;

/** True when the view is dense row-major from offset 0 (so `.data` can be read directly). */
export function isDenseRowMajor(a: Arr): boolean {
  let expect = 1;
  for (let k = a.shape.length - 1; k >= 0; k--) {
    if (a.shape[k]! > 1 && a.stride[k] !== expect) return false;
    expect *= a.shape[k]!;
  }
  return a.offset === 0 && a.data.length === expect;
}
