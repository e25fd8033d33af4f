/**
 * Symmetric positive-definite matrices through their Cholesky factor: z ∈ R^{d(d+1)/2} fills the
 * lower triangle of L row by row, with the diagonal through exp (so L is always a valid factor),
 * and X = L Lᵀ (d × d, row-major). The Jacobian of L ↦ LLᵀ on the lower triangle is
 * 2^d Π_i L_ii^{d−i} (i = 0..d−1) and the exp adds Π_i L_ii, so
 *   log|det ∂X/∂z| = d log 2 + Σ_i (d − i + 1) z_ii.
 */
import { VireoError } from "../errors.js";
import { type TNode, describe } from "../autodiff/tape.js";
import { lowerFromPacked } from "../autodiff/triangular.js";
import { gather, reshape } from "../autodiff/indexing.js";
import { mul, shift } from "../autodiff/arith.js";
import { sum } from "../autodiff/reduce.js";
import type { Transform } from "./transform.js";

/** X = L Lᵀ on the tape for a lower-triangular [d, d] L. */
function gram(L: TNode): TNode {
  if (L.rank !== 2 || L.d0 !== L.d1) throw new VireoError("DIMENSION_MISMATCH", `gram: expected a square matrix, got ${describe(L)}.`);
  const d = L.d0, n = L.tape.node("gram", 2, d, d);
  n.a = L;
  n.needsGrad = L.needsGrad;
  const l = L.value, x = n.value;
  for (let i = 0; i < d; i++) {
    for (let j = 0; j <= i; j++) {
      let s = 0;
      for (let k = 0; k <= j; k++) s += l[i * d + k]! * l[j * d + k]!;
      x[i * d + j] = s;
      x[j * d + i] = s;
    }
  }
  n.backward = gramBackward;
  return n;
}
/** ∂/∂L = (G + Gᵀ) L for X = LLᵀ. */
function gramBackward(n: TNode): void {
  const d = n.d0, g = n.grad, l = n.a!.value, gl = n.a!.grad;
  for (let i = 0; i < d; i++) {
    for (let k = 0; k < d; k++) {
      let s = 0;
      for (let j = 0; j < d; j++) s += (g[i * d + j]! + g[j * d + i]!) * l[j * d + k]!;
      gl[i * d + k] += s;
    }
  }
}

/** The Cholesky bijector onto d × d SPD matrices (the Wishart family's support bijector). */
export function choleskyTransform(d: number): Transform {
  if (!Number.isInteger(d) || d < 1) throw new VireoError("INVALID_PARAMETER", `choleskyTransform: d must be a positive integer, got ${d}.`);
  const m = (d * (d + 1)) / 2;
  const diag = new Int32Array(d), weights = new Float64Array(d);
  for (let i = 0; i < d; i++) {
    diag[i] = ((i + 1) * (i + 2)) / 2 - 1;
    weights[i] = d - i + 1;
  }
  const check = (z: { length?: number; size?: number }) => {
    const n = z.size ?? z.length;
    if (n !== m) throw new VireoError("DIMENSION_MISMATCH", `choleskyTransform(${d}): expected ${m} unconstrained values, got ${n}.`);
  };
  return {
    name: `cholesky(${d})`,
    outputSize: () => d * d,
    inputSize: () => m,
    forward(z) {
      check(z);
      // A flat d·d vector, like every value of a vector family.
      return reshape(gram(lowerFromPacked(z, d)), [d * d]);
    },
    logDetJacobian(z) {
      check(z);
      return shift(sum(mul(gather(z, diag), z.tape.constant(weights))), d * Math.LN2);
    },
    forwardValue(z, x) {
      check(z);
      let ld = d * Math.LN2;
      for (let i = 0; i < d; i++) ld += weights[i]! * z[diag[i]!]!;
      for (let i = 0; i < d; i++) {
        for (let j = 0; j <= i; j++) {
          let s = 0;
          for (let k = 0; k <= j; k++) {
            const pi = ((i * (i + 1)) / 2) + k, pj = ((j * (j + 1)) / 2) + k;
            const li = k === i ? Math.exp(z[pi]!) : z[pi]!, lj = k === j ? Math.exp(z[pj]!) : z[pj]!;
            s += li * lj;
          }
          x[i * d + j] = s;
          x[j * d + i] = s;
        }
      }
      return ld;
    },
  };
}
