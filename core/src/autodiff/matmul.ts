/**
 * Matrix products on the tape: [m,k]·[k,n] → [m,n] and [m,k]·[k] → [m]. A whole design-matrix
 * product is one node, so a regression's linear predictor costs one forward and one backward pass.
 * Matrix–matrix products and both their gradients run on the packed, register-tiled kernel
 * (linalg/gemm.ts); matrix–vector products are single dot-product loops.
 */
import { VireoError } from "../errors.js";
import { type TNode, sameTape, describe } from "./tape.js";
import { gemmNN, gemmNT, gemmTN } from "../linalg/gemm.js";

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
    // Matrix–vector: four rows at a time, so each b_p is read once per four products and the
    // four sums stay in registers (a short k, such as a regression's covariates, leaves the
    // one-row loop dominated by its own overhead).
    let i = 0;
    for (; i + 4 <= m; i += 4) {
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      for (let p = 0, r = i * k; p < k; p++, r++) {
        const bp = b[p]!;
        s0 += a[r]! * bp; s1 += a[r + k]! * bp; s2 += a[r + 2 * k]! * bp; s3 += a[r + 3 * k]! * bp;
      }
      c[i] = s0; c[i + 1] = s1; c[i + 2] = s2; c[i + 3] = s3;
    }
    for (; i < m; i++) {
      let s = 0;
      const row = i * k;
      for (let p = 0; p < k; p++) s += a[row + p]! * b[p]!;
      c[i] = s;
    }
  } else {
    gemmNN(m, n, k, a, b, c, false);
  }
  out.backward = matmulBackward;
  return out;
}

function matmulBackward(out: TNode): void {
  const A = out.a!, B = out.b!, g = out.grad, k = out.int, m = out.d0, n = out.size / m;
  const a = A.value, b = B.value;
  if (n === 1) {
    // Matrix–vector: dA = g bᵀ (an outer product), db = Aᵀ g.
    if (A.needsGrad) {
      const ga = A.grad;
      for (let i = 0; i < m; i++) {
        const gi = g[i]!, row = i * k;
        for (let p = 0; p < k; p++) ga[row + p] += gi * b[p]!;
      }
    }
    if (B.needsGrad) {
      // db_p = Σ_i a_ip g_i, four columns at a time with the sums in registers (one pass over
      // A per four columns, reading adjacent elements of each row).
      const gb = B.grad;
      let p = 0;
      for (; p + 4 <= k; p += 4) {
        let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        for (let i = 0, q = p; i < m; i++, q += k) {
          const gi = g[i]!;
          s0 += a[q]! * gi; s1 += a[q + 1]! * gi; s2 += a[q + 2]! * gi; s3 += a[q + 3]! * gi;
        }
        gb[p] += s0; gb[p + 1] += s1; gb[p + 2] += s2; gb[p + 3] += s3;
      }
      for (; p < k; p++) {
        let s = 0;
        for (let i = 0, q = p; i < m; i++, q += k) s += a[q]! * g[i]!;
        gb[p] += s;
      }
    }
    return;
  }
  if (A.needsGrad) gemmNT(m, n, k, g, b, A.grad, true); // dA += G Bᵀ
  if (B.needsGrad) gemmTN(m, n, k, a, g, B.grad, true); // dB += Aᵀ G
}
