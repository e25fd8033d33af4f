/**
 * Matrix products on the tape: [m,k]·[k,n] → [m,n] and [m,k]·[k] → [m]. A whole design-matrix
 * product is one node, so a regression's linear predictor costs one forward and one backward pass.
 */
import { VireoError } from "../errors.js";
import { type TNode, sameTape, describe } from "./tape.js";

/** A·B for a matrix A and a matrix or vector B. */
export function matmul(A: TNode, B: TNode): TNode {
  const t = sameTape("matmul", A, B);
  if (A.rank !== 2 || B.rank === 0 || B.d0 !== A.d1) {
    throw new VireoError(
      "DIMENSION_MISMATCH",
      `matmul: expected A of shape [m, k] and B of shape [k] or [k, n], got A ${describe(A)} and B ${describe(B)}.`,
    );
  }
  const m = A.d0, k = A.d1, n = B.rank === 1 ? 1 : B.d1;
  const out = B.rank === 1 ? t.node("matmul", 1, m, 1) : t.node("matmul", 2, m, n);
  out.a = A;
  out.b = B;
  out.int = k;
  out.needsGrad = A.needsGrad || B.needsGrad;
  const a = A.value, b = B.value, c = out.value;
  if (n === 1) {
    for (let i = 0; i < m; i++) {
      let s = 0;
      const row = i * k;
      for (let p = 0; p < k; p++) s += a[row + p]! * b[p]!;
      c[i] = s;
    }
  } else {
    c.fill(0);
    // i-p-j order streams rows of B and C.
    for (let i = 0; i < m; i++) {
      for (let p = 0; p < k; p++) {
        const aip = a[i * k + p]!;
        if (aip === 0) continue;
        for (let j = 0, bi = p * n, ci = i * n; j < n; j++) c[ci + j] += aip * b[bi + j]!;
      }
    }
  }
  out.backward = matmulBackward;
  return out;
}

function matmulBackward(out: TNode): void {
  const A = out.a!, B = out.b!, g = out.grad, k = out.int, m = out.d0, n = out.size / m;
  const a = A.value, b = B.value;
  if (A.needsGrad) {
    // dA = G Bᵀ
    const ga = A.grad;
    for (let i = 0; i < m; i++) {
      for (let p = 0; p < k; p++) {
        let s = 0;
        for (let j = 0; j < n; j++) s += g[i * n + j]! * b[p * n + j]!;
        ga[i * k + p] += s;
      }
    }
  }
  if (B.needsGrad) {
    // dB = Aᵀ G, accumulated row by row of A so memory is streamed.
    const gb = B.grad;
    for (let i = 0; i < m; i++) {
      for (let p = 0; p < k; p++) {
        const aip = a[i * k + p]!;
        for (let j = 0; j < n; j++) gb[p * n + j] += aip * g[i * n + j]!;
      }
    }
  }
}
