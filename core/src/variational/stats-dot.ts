/**
 * The expected log factor of a conjugate neighbour as a function of a draw: E_q[log f] is linear
 * in T(x) with the neighbour's message c as coefficient, so a gradient-fitted variable sees it as
 * ⟨c, T(x)⟩ per draw. This op records that scalar on the tape for `count` values stored back to
 * back in x (count × valueSize), writes T(x) of every value into `statsOut`, and carries the
 * gradient Σ_i ∂⟨c_i, T(x_i)⟩/∂x_i (the family's statsGradient), computed once in the forward pass.
 */
import { VireoError } from "../errors.js";
import type { ExponentialFamily } from "../families/family.js";
import { type TNode, describe } from "../autodiff/tape.js";

/** Whether the family's values are plain numbers (Normal, Gamma, Beta) rather than arrays. */
export function scalarValued(family: ExponentialFamily): boolean {
  return family.valueSize === 1 && family.key === family.name;
}

/** T(x_i) for `count` values stored back to back into `out` (count × size). */
export function statsOfValues(family: ExponentialFamily, x: Float64Array, count: number, out: Float64Array): void {
  const k = family.size, v = family.valueSize, fam = family as ExponentialFamily<number | Float64Array>;
  if (scalarValued(family)) {
    // Scalar values (a plate of network weights can hold 10⁵–10⁶): one scratch, no view per value.
    const t = scratchOf(k);
    for (let i = 0; i < count; i++) {
      fam.sufficientStats(x[i]!, t);
      for (let j = 0; j < k; j++) out[i * k + j] = t[j]!;
    }
    return;
  }
  for (let i = 0; i < count; i++) fam.sufficientStats(x.subarray(i * v, (i + 1) * v), out.subarray(i * k, (i + 1) * k));
}
const scratches: Float64Array[] = [];
function scratchOf(k: number): Float64Array {
  return (scratches[k] ??= new Float64Array(k));
}

/** Σ_i ⟨coef_i, T(x_i)⟩ on the tape (see the file comment); `coef` and `statsOut` are count × size. */
export function statsDot(x: TNode, family: ExponentialFamily, count: number, coef: Float64Array, statsOut: Float64Array): TNode {
  const k = family.size, v = family.valueSize;
  if (x.size !== count * v || coef.length !== count * k || statsOut.length !== count * k) {
    throw new VireoError(
      "DIMENSION_MISMATCH",
      `statsDot: ${count} values of ${family.key} need x of ${count * v} numbers and coefficients of ${count * k}; got x ${describe(x)} and ${coef.length} coefficients.`,
    );
  }
  const n = x.tape.node("statsDot", 0, 1, 1);
  n.a = x;
  n.needsGrad = x.needsGrad;
  statsOfValues(family, x.value, count, statsOut);
  let s = 0;
  for (let i = 0; i < statsOut.length; i++) s += coef[i]! * statsOut[i]!;
  n.value[0] = s;
  if (x.needsGrad) {
    const g = n.scratch(x.size);
    g.fill(0);
    for (let i = 0; i < count; i++) family.statsGradient(x.value.subarray(i * v, (i + 1) * v), coef.subarray(i * k, (i + 1) * k), g.subarray(i * v, (i + 1) * v));
    n.backward = statsDotBackward;
  }
  return n;
}
function statsDotBackward(n: TNode): void {
  const g = n.grad[0]!, d = n.aux, gx = n.a!.grad;
  for (let i = 0; i < d.length; i++) gx[i] += g * d[i]!;
}
