/**
 * Simplex variables by stick-breaking (the Stan construction): z ∈ R^{K−1} → x on the K-simplex.
 *   u_k = σ(z_k − log(K−1−k)),  x_k = s_k u_k,  s_{k+1} = s_k (1 − u_k),  s_0 = 1,  x_{K−1} = s_{K−1}.
 * The offset log(K−1−k) maps z = 0 to the uniform point. The Jacobian of z ↦ x_{0..K−2} is
 * triangular, so log|det J| = Σ_k [log u_k + log(1 − u_k) + log s_k] = Σ_k [log u_k + (K−1−k) log(1 − u_k)].
 */
import { sigmoid as sigmoidScalar, softplus as softplusScalar } from "../special/functions.js";
import { VireoError } from "../errors.js";
import { type TNode, describe } from "../autodiff/tape.js";
import type { Transform } from "./transform.js";

function checkInput(op: string, z: TNode): void {
  if (z.rank > 1 || z.size < 1) {
    throw new VireoError("DIMENSION_MISMATCH", `${op}: expected a vector of K−1 ≥ 1 unconstrained values, got ${describe(z)}.`);
  }
}

/** u_k into `u` for the K−1 values of z. */
function breaks(z: Float64Array, u: Float64Array): void {
  const m = z.length;
  for (let k = 0; k < m; k++) u[k] = sigmoidScalar(z[k]! - Math.log(m - k));
}

function stickForward(z: TNode): TNode {
  checkInput("stickBreaking", z);
  const m = z.size;
  const n = z.tape.node("stickBreaking", 1, m + 1, 1);
  n.a = z;
  n.needsGrad = z.needsGrad;
  // Scratch holds u_k then s_k: the backward sweep needs both.
  const u = n.scratch(2 * m), x = n.value;
  breaks(z.value, u);
  let s = 1;
  for (let k = 0; k < m; k++) {
    u[m + k] = s;
    x[k] = s * u[k]!;
    s -= x[k]!;
  }
  x[m] = s;
  n.backward = stickForwardBackward;
  return n;
}
function stickForwardBackward(n: TNode): void {
  const m = n.size - 1, u = n.aux, gx = n.grad, gz = n.a!.grad;
  // Reverse sweep over the sticks: gs carries d/ds_{k+1}.
  let gs = gx[m]!;
  for (let k = m - 1; k >= 0; k--) {
    const uk = u[k]!, sk = u[m + k]!;
    const gu = (gx[k]! - gs) * sk;
    gs = gx[k]! * uk + gs * (1 - uk);
    gz[k] += gu * uk * (1 - uk);
  }
}

function stickLogDet(z: TNode): TNode {
  checkInput("stickBreaking.logDetJacobian", z);
  const m = z.size, zv = z.value;
  const n = z.tape.node("stickBreakingLogDet", 0, 1, 1);
  n.a = z;
  n.needsGrad = z.needsGrad;
  const u = n.scratch(m);
  breaks(zv, u);
  let s = 0;
  for (let k = 0; k < m; k++) {
    const t = zv[k]! - Math.log(m - k);
    // log σ(t) = −softplus(−t), log(1 − σ(t)) = −softplus(t): stable for large |t|.
    s -= softplusScalar(-t) + (m - k) * softplusScalar(t);
  }
  n.value[0] = s;
  n.backward = stickLogDetBackward;
  return n;
}
function stickLogDetBackward(n: TNode): void {
  const m = n.a!.size, u = n.aux, g = n.grad[0]!, gz = n.a!.grad;
  for (let k = 0; k < m; k++) gz[k] += g * (1 - u[k]! - (m - k) * u[k]!);
}

export const stickBreaking: Transform = {
  name: "stickBreaking",
  outputSize: (dim) => dim + 1,
  inputSize: (size) => size - 1,
  forward: stickForward,
  logDetJacobian: stickLogDet,
  forwardValue(z, x) {
    const m = z.length;
    let s = 1, ld = 0;
    for (let k = 0; k < m; k++) {
      const t = z[k]! - Math.log(m - k), u = sigmoidScalar(t);
      x[k] = s * u;
      s -= x[k]!;
      ld -= softplusScalar(-t) + (m - k) * softplusScalar(t);
    }
    x[m] = s;
    return ld;
  },
  inverseValue(x, z) {
    const m = x.length - 1;
    let s = 1;
    for (let k = 0; k < m; k++) {
      const u = x[k]! / s;
      z[k] = Math.log(u) - Math.log1p(-u) + Math.log(m - k);
      s -= x[k]!;
    }
  },
};
