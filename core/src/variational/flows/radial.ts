/**
 * Radial flow (Rezende & Mohamed 2015): f(z) = z + β h(r)(z − z₀), r = ‖z − z₀‖, h = 1/(α + r),
 * with α = softplus(α̃) > 0 and β = −α + softplus(β̃) ≥ −α so f is invertible. Then
 * log|det ∂f/∂z| = (d − 1) log(1 + βh) + log(1 + βh + βh′r) with 1 + βh + βh′r = 1 + βα/(α + r)².
 * Parameters p = [z₀ (d), α̃, β̃]. Inverse: ‖y − z₀‖ = r(1 + β/(α + r)) is a quadratic in r.
 */
import type { TNode } from "../../autodiff/tape.js";
import type { Generator } from "../../random/generator.js";
import { sampleStandardNormal } from "../../random/samplers.js";
import { softplus as softplusValue } from "../../special/functions.js";
import { add, mul, sub, div, shift, scale, square, sqrt } from "../../autodiff/arith.js";
import { log, softplus } from "../../autodiff/unary.js";
import { slice } from "../../autodiff/indexing.js";
import { sum } from "../../autodiff/reduce.js";
import type { Bijector, BijectorSpec, FlowStep } from "./bijector.js";
import { requireDim } from "../family.js";

export class RadialBijector implements Bijector {
  readonly name = "Radial";
  readonly nParams: number;

  constructor(readonly dim: number) {
    requireDim(dim, "radial");
    this.nParams = dim + 2;
  }

  init(out: Float64Array, rng: Generator): void {
    const d = this.dim;
    for (let i = 0; i < d; i++) out[i] = sampleStandardNormal(rng);
    out[d] = 0; // α = log 2
    out[d + 1] = 0; // β = softplus(0) − α = 0: the identity
  }

  forward(p: TNode, z: TNode): FlowStep {
    const d = this.dim;
    const z0 = slice(p, 0, d);
    const alpha = softplus(slice(p, d, 1));
    const beta = sub(softplus(slice(p, d + 1, 1)), alpha);
    const diff = sub(z, z0);
    const r = sqrt(sum(square(diff)));
    const ar = add(alpha, r);
    const bh = div(beta, ar);
    const y = add(z, mul(bh, diff));
    let logDet = log(shift(div(mul(beta, alpha), square(ar)), 1));
    if (d > 1) logDet = add(logDet, scale(log(shift(bh, 1)), d - 1));
    return { y, logDet: sum(logDet) };
  }

  inverse(p: Float64Array, y: Float64Array, z: Float64Array): void {
    const d = this.dim;
    const alpha = softplusValue(p[d]!), beta = softplusValue(p[d + 1]!) - alpha;
    let rho2 = 0;
    for (let i = 0; i < d; i++) rho2 += (y[i]! - p[i]!) ** 2;
    const rho = Math.sqrt(rho2);
    // r² + (α + β − ρ) r − ρα = 0, the non-negative root.
    const bq = alpha + beta - rho;
    const r = 0.5 * (-bq + Math.sqrt(bq * bq + 4 * rho * alpha));
    const f = 1 + beta / (alpha + r);
    for (let i = 0; i < d; i++) z[i] = p[i]! + (y[i]! - p[i]!) / f;
  }
}

/** A radial layer (for `flowQ`'s layer list). */
export const radial = (): BijectorSpec => (dim) => new RadialBijector(dim);
