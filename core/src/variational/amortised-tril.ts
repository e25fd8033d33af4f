/**
 * Per-row lower-triangular factors on the tape, for a full-covariance amortised Gaussian: row i of
 * a [m, K(K+1)/2] matrix holds L_i packed row by row (entry (a, b), b ≤ a, at a(a+1)/2 + b) with
 * the diagonal stored as log L_aa, so any network output is a valid Cholesky factor.
 */
import { VireoError } from "../errors.js";
import { type TNode, describe } from "../autodiff/tape.js";

/** Number of packed entries of a K × K lower triangle. */
export const trilSize = (K: number): number => (K * (K + 1)) / 2;

function checkPacked(op: string, packed: TNode, K: number): void {
  if (packed.rank !== 2 || packed.d1 !== trilSize(K)) {
    throw new VireoError("DIMENSION_MISMATCH", `${op}: expected packed factors [rows, ${trilSize(K)}] for K = ${K}, got ${describe(packed)}.`);
  }
}

/** z_r = L_{r mod m} ε_r for ε [S·m, K]: one triangular matrix–vector product per row. */
export function trilTimesRows(packed: TNode, eps: TNode, K: number): TNode {
  checkPacked("trilTimesRows", packed, K);
  if (eps.rank !== 2 || eps.d1 !== K || eps.d0 % packed.d0 !== 0) {
    throw new VireoError("DIMENSION_MISMATCH", `trilTimesRows: the noise must be [S·${packed.d0}, ${K}], got ${describe(eps)}.`);
  }
  const n = packed.tape.node("trilTimesRows", 2, eps.d0, K);
  n.a = packed;
  n.b = eps;
  n.int = K;
  n.needsGrad = packed.needsGrad || eps.needsGrad;
  const P = packed.d1, m = packed.d0, l = packed.value, e = eps.value, out = n.value;
  for (let r = 0; r < eps.d0; r++) {
    const lo = (r % m) * P, eo = r * K;
    for (let a = 0, q = lo; a < K; a++) {
      let s = 0;
      for (let b = 0; b < a; b++, q++) s += l[q]! * e[eo + b]!;
      s += Math.exp(l[q++]!) * e[eo + a]!;
      out[eo + a] = s;
    }
  }
  n.backward = trilTimesRowsBackward;
  return n;
}
function trilTimesRowsBackward(n: TNode): void {
  const packed = n.a!, eps = n.b!, K = n.int, P = packed.d1, m = packed.d0, l = packed.value, e = eps.value, g = n.grad;
  for (let r = 0; r < eps.d0; r++) {
    const lo = (r % m) * P, eo = r * K;
    for (let a = 0, q = lo; a < K; a++) {
      const ga = g[eo + a]!;
      for (let b = 0; b < a; b++, q++) {
        if (packed.needsGrad) packed.grad[q] += ga * e[eo + b]!;
        if (eps.needsGrad) eps.grad[eo + b] += ga * l[q]!;
      }
      const d = Math.exp(l[q]!);
      if (packed.needsGrad) packed.grad[q] += ga * d * e[eo + a]!;
      if (eps.needsGrad) eps.grad[eo + a] += ga * d;
      q++;
    }
  }
}

/**
 * Per row: [Σ_a log L_aa, ‖L‖²_F] as an [m, 2] matrix (the log-determinant half and the trace of
 * LLᵀ, which is all the entropy and the KL to N(0, I) need).
 */
export function trilLogDetAndTrace(packed: TNode, K: number): TNode {
  checkPacked("trilLogDetAndTrace", packed, K);
  const n = packed.tape.node("trilLogDetAndTrace", 2, packed.d0, 2);
  n.a = packed;
  n.int = K;
  n.needsGrad = packed.needsGrad;
  const P = packed.d1, l = packed.value, out = n.value;
  for (let i = 0; i < packed.d0; i++) {
    let logDet = 0, trace = 0;
    for (let a = 0, q = i * P; a < K; a++) {
      for (let b = 0; b < a; b++, q++) trace += l[q]! * l[q]!;
      logDet += l[q]!;
      trace += Math.exp(2 * l[q++]!);
    }
    out[2 * i] = logDet;
    out[2 * i + 1] = trace;
  }
  n.backward = trilLogDetAndTraceBackward;
  return n;
}
function trilLogDetAndTraceBackward(n: TNode): void {
  const packed = n.a!, K = n.int, P = packed.d1, l = packed.value, g = n.grad, gl = packed.grad;
  for (let i = 0; i < packed.d0; i++) {
    const gd = g[2 * i]!, gt = g[2 * i + 1]!;
    for (let a = 0, q = i * P; a < K; a++) {
      for (let b = 0; b < a; b++, q++) gl[q] += 2 * gt * l[q]!;
      gl[q] += gd + 2 * gt * Math.exp(2 * l[q]!);
      q++;
    }
  }
}
