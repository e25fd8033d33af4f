/**
 * Row and column plumbing on the tape for minibatch matrices: a block of columns (an encoder's
 * output split into a mean and a scale), S stacked copies of a matrix (one per Monte Carlo draw, so
 * a whole set of draws runs through a network as one matrix product) and the mean of stacked
 * copies back again.
 */
import { VireoError } from "../errors.js";
import { type TNode, describe } from "../autodiff/tape.js";

/** Columns [start, start + count) of the matrix X [m, n], as an [m, count] matrix. */
export function columns(X: TNode, start: number, count: number): TNode {
  if (X.rank !== 2 || !Number.isInteger(start) || !Number.isInteger(count) || start < 0 || count < 1 || start + count > X.d1) {
    throw new VireoError("DIMENSION_MISMATCH", `columns: columns [${start}, ${start + count}) are not inside the matrix ${describe(X)}.`);
  }
  const n = X.tape.node("columns", 2, X.d0, count);
  n.a = X;
  n.int = start;
  n.needsGrad = X.needsGrad;
  const x = X.value, out = n.value, w = X.d1;
  for (let i = 0, o = 0; i < X.d0; i++) for (let j = 0, s = i * w + start; j < count; j++, o++, s++) out[o] = x[s]!;
  n.backward = columnsBackward;
  return n;
}
function columnsBackward(n: TNode): void {
  const X = n.a!, g = n.grad, gx = X.grad, w = X.d1, count = n.d1;
  for (let i = 0, o = 0; i < n.d0; i++) for (let j = 0, s = i * w + n.int; j < count; j++, o++, s++) gx[s] += g[o]!;
}

/** S copies of X [m, n] stacked row-wise: [S·m, n], copy s in rows s·m … s·m + m − 1. */
export function repeatRows(X: TNode, times: number): TNode {
  if (!Number.isInteger(times) || times < 1) {
    throw new VireoError("INVALID_PARAMETER", `repeatRows: times must be a positive integer, got ${times}.`, { parameter: "times" });
  }
  const rows = X.rank === 2 ? X.d0 : X.size, cols = X.rank === 2 ? X.d1 : 1;
  const n = X.rank === 2 ? X.tape.node("repeatRows", 2, rows * times, cols) : X.tape.node("repeatRows", 1, rows * times, 1);
  n.a = X;
  n.int = times;
  n.needsGrad = X.needsGrad;
  const x = X.value, out = n.value, block = X.size;
  for (let s = 0; s < times; s++) out.set(x, s * block);
  n.backward = repeatRowsBackward;
  return n;
}
function repeatRowsBackward(n: TNode): void {
  const gx = n.a!.grad, g = n.grad, block = n.a!.size;
  for (let s = 0, o = 0; s < n.int; s++) for (let i = 0; i < block; i++, o++) gx[i] += g[o]!;
}
