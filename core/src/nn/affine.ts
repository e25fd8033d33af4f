/**
 * Affine maps on the tape over a whole minibatch: X [m, k] ↦ X·W + 1bᵀ [m, n].
 * - `addBias(X, b)`: adds the vector b to every row of X.
 * - `affine(X, W, b)`: the composition with separate W [k, n] and b [n] nodes (e.g. sampled weights).
 * - `denseAffine(theta, offset, X, n)`: one fused node reading W and b from a flat parameter vector
 *   θ at `offset` (W row-major k × n, then b), so a whole network is one parameter vector and
 *   its gradient lands in θ's gradient buffer without copies. All three run on the packed GEMM
 *   kernel (linalg/gemm.ts).
 */
import { VireoError } from "../errors.js";
import { type TNode, sameTape, describe } from "../autodiff/tape.js";
import { matmul } from "../autodiff/matmul.js";
import { gemmStrided } from "../linalg/gemm.js";

/** X + 1bᵀ: b [n] added to every row of X [m, n]. */
export function addBias(X: TNode, b: TNode): TNode {
  const t = sameTape("addBias", X, b);
  if (X.rank !== 2 || b.size !== X.d1) {
    throw new VireoError("DIMENSION_MISMATCH", `addBias: expected X of shape [m, n] and b of n values, got X ${describe(X)} and b ${describe(b)}.`);
  }
  const n = t.node("addBias", 2, X.d0, X.d1);
  n.a = X;
  n.b = b;
  n.needsGrad = X.needsGrad || b.needsGrad;
  const x = X.value, bv = b.value, out = n.value, cols = X.d1;
  for (let i = 0, o = 0; i < X.d0; i++) for (let j = 0; j < cols; j++, o++) out[o] = x[o]! + bv[j]!;
  n.backward = addBiasBackward;
  return n;
}
function addBiasBackward(n: TNode): void {
  const X = n.a!, b = n.b!, g = n.grad, cols = n.d1;
  if (X.needsGrad) { const gx = X.grad; for (let i = 0; i < n.size; i++) gx[i] += g[i]!; }
  if (b.needsGrad) columnSums(g, n.d0, cols, b.grad, 0);
}

/** out[off + j] += Σ_i g[i, j]. */
function columnSums(g: Float64Array, rows: number, cols: number, out: Float64Array, off: number): void {
  for (let i = 0, o = 0; i < rows; i++) for (let j = 0; j < cols; j++, o++) out[off + j] += g[o]!;
}

/** X·W + 1bᵀ for X [m, k], W [k, n], b [n]. */
export function affine(X: TNode, W: TNode, b: TNode): TNode {
  if (X.rank !== 2 || W.rank !== 2) {
    throw new VireoError("DIMENSION_MISMATCH", `affine: expected X [m, k] and W [k, n] matrices, got X ${describe(X)} and W ${describe(W)}.`);
  }
  return addBias(matmul(X, W), b);
}

/** Number of parameters of a dense map from k to n values (weights and biases). */
export function denseParamCount(k: number, n: number): number {
  return k * n + n;
}

/**
 * X·W + 1bᵀ with W (k × n, row-major) at theta[offset …] and b at theta[offset + k·n …]; X is
 * [m, k] and the result [m, n]. One node: its backward accumulates dX = G Wᵀ, dW = Xᵀ G and
 * db = column sums of G straight into the gradients of X and θ.
 */
export function denseAffine(theta: TNode, offset: number, X: TNode, n: number): TNode {
  const t = sameTape("denseAffine", theta, X);
  if (X.rank !== 2) {
    throw new VireoError("DIMENSION_MISMATCH", `denseAffine: the input must be a matrix [rows, inputs] (one row per example), got ${describe(X)}.`);
  }
  const k = X.d1, m = X.d0;
  if (!Number.isInteger(offset) || offset < 0 || offset + denseParamCount(k, n) > theta.size) {
    throw new VireoError(
      "DIMENSION_MISMATCH",
      `denseAffine: a ${k}→${n} layer needs ${denseParamCount(k, n)} parameters from offset ${offset}, but the parameter vector ${describe(theta)} holds ${theta.size}.`,
    );
  }
  const out = t.node("denseAffine", 2, m, n);
  out.a = X;
  out.b = theta;
  out.int = offset;
  out.needsGrad = X.needsGrad || theta.needsGrad;
  const th = theta.value, c = out.value, bOff = offset + k * n;
  for (let i = 0, o = 0; i < m; i++) for (let j = 0; j < n; j++, o++) c[o] = th[bOff + j]!;
  gemmStrided(m, n, k, X.value, 0, k, 1, th, offset, n, 1, c, 0, n, true);
  out.backward = denseAffineBackward;
  return out;
}
function denseAffineBackward(out: TNode): void {
  const X = out.a!, theta = out.b!, g = out.grad, m = out.d0, n = out.d1, k = X.d1, off = out.int;
  if (X.needsGrad) gemmStrided(m, k, n, g, 0, n, 1, theta.value, off, 1, n, X.grad, 0, k, true); // dX += G Wᵀ
  if (theta.needsGrad) {
    const gt = theta.grad;
    gemmStrided(k, n, m, X.value, 0, 1, k, g, 0, n, 1, gt, off, n, true); // dW += Xᵀ G
    columnSums(g, m, n, gt, off + k * n);
  }
}
