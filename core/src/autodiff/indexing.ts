/**
 * Indexing on the tape: gather by flat indices, contiguous slices and reshapes. Backward rules
 * scatter-add, so repeated indices accumulate their gradients correctly.
 */
import { VireoError } from "../errors.js";
import { type TNode, describe } from "./tape.js";

/** out[k] = a[idx[k]] over the flat (row-major) elements of a; a vector of idx.length. */
export function gather(a: TNode, idx: Int32Array): TNode {
  if (!(idx instanceof Int32Array)) {
    throw new VireoError("INVALID_PARAMETER", `gather: indices must be an Int32Array, got ${typeof idx}.`);
  }
  const av = a.value;
  for (let k = 0; k < idx.length; k++) {
    const i = idx[k]!;
    if (i < 0 || i >= a.size) {
      throw new VireoError("INVALID_PARAMETER", `gather: index ${i} at position ${k} is outside node ${describe(a)} (valid 0..${a.size - 1}).`);
    }
  }
  const n = a.tape.node("gather", 1, idx.length, 1);
  n.a = a;
  n.ints = idx;
  n.needsGrad = a.needsGrad;
  const out = n.value;
  for (let k = 0; k < idx.length; k++) out[k] = av[idx[k]!]!;
  n.backward = gatherBackward;
  return n;
}
function gatherBackward(n: TNode): void {
  const idx = n.ints!, g = n.grad, ga = n.a!.grad;
  for (let k = 0; k < idx.length; k++) ga[idx[k]!] += g[k]!;
}

/** The `length` flat elements of a from `start`, as a vector (or `shape` when given). */
export function slice(a: TNode, start: number, length: number, shape?: readonly number[]): TNode {
  if (!Number.isInteger(start) || !Number.isInteger(length) || start < 0 || length < 0 || start + length > a.size) {
    throw new VireoError("INVALID_PARAMETER", `slice: elements [${start}, ${start + length}) are outside node ${describe(a)} of ${a.size} elements.`);
  }
  const [rank, d0, d1] = dims("slice", shape, length);
  const n = a.tape.node("slice", rank, d0, d1);
  n.a = a;
  n.int = start;
  n.needsGrad = a.needsGrad;
  n.value.set(a.value.subarray(start, start + length));
  n.backward = sliceBackward;
  return n;
}
function sliceBackward(n: TNode): void {
  const g = n.grad, ga = n.a!.grad, s = n.int;
  for (let k = 0; k < n.size; k++) ga[s + k] += g[k]!;
}

/** The same elements viewed with a new shape of equal size (values are copied). */
export function reshape(a: TNode, shape: readonly number[]): TNode {
  const [rank, d0, d1] = dims("reshape", shape, a.size);
  const n = a.tape.node("reshape", rank, d0, d1);
  n.a = a;
  n.int = 0;
  n.needsGrad = a.needsGrad;
  n.value.set(a.value);
  n.backward = sliceBackward;
  return n;
}

function dims(op: string, shape: readonly number[] | undefined, size: number): [number, number, number] {
  if (shape === undefined) return [1, size, 1];
  const r: [number, number, number] = shape.length === 0 ? [0, 1, 1] : shape.length === 1 ? [1, shape[0]!, 1] : [2, shape[0]!, shape[1] ?? 1];
  if (shape.length > 2 || r[1] * r[2] !== size) {
    throw new VireoError("DIMENSION_MISMATCH", `${op}: shape [${shape.join(", ")}] does not hold exactly ${size} elements; use [], [n] or [rows, cols].`);
  }
  return r;
}
