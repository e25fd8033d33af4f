/**
 * Planar flow (Rezende & Mohamed 2015): f(z) = z + û tanh(wᵀz + b), with û = u + (m(wᵀu) − wᵀu) w/‖w‖²
 * and m(x) = −1 + softplus(x), so wᵀû = m(wᵀu) > −1 and f is invertible. Then
 * log|det ∂f/∂z| = log(1 + (1 − tanh²(wᵀz + b)) wᵀû). Parameters p = [u (d), w (d), b].
 * Inverse: wᵀy = a + m·tanh(a + b) with a = wᵀz is strictly increasing in a, so a is found by a
 * safeguarded Newton iteration and z = y − û tanh(a + b).
 */
import type { TNode } from "../../autodiff/tape.js";
import type { Generator } from "../../random/generator.js";
import { sampleStandardNormal } from "../../random/samplers.js";
import { softplus as softplusValue } from "../../special/functions.js";
import { add, mul, sub, div, shift, scale, square } from "../../autodiff/arith.js";
import { log, softplus, tanh } from "../../autodiff/unary.js";
import { slice } from "../../autodiff/indexing.js";
import { sum } from "../../autodiff/reduce.js";
import type { Bijector, BijectorSpec, FlowStep } from "./bijector.js";
import { requireDim } from "../family.js";

export class PlanarBijector implements Bijector {
  readonly name = "Planar";
  readonly nParams: number;

  constructor(readonly dim: number) {
    requireDim(dim, "planar");
    this.nParams = 2 * dim + 1;
  }

  init(out: Float64Array, rng: Generator): void {
    const d = this.dim;
    // u small (f starts near the identity); w at unit scale, since û divides by ‖w‖².
    for (let i = 0; i < d; i++) out[i] = 0.1 * sampleStandardNormal(rng);
    for (let i = d; i < 2 * d; i++) out[i] = sampleStandardNormal(rng);
    out[2 * d] = 0;
  }

  /** û and m = wᵀû on the tape. */
  private uHat(p: TNode): { uh: TNode; w: TNode; b: TNode; m: TNode } {
    const d = this.dim;
    const u = slice(p, 0, d), w = slice(p, d, d), b = slice(p, 2 * d, 1);
    const wu = sum(mul(w, u));
    const m = shift(softplus(wu), -1);
    const uh = add(u, mul(w, div(sub(m, wu), sum(square(w)))));
    return { uh, w, b, m };
  }

  forward(p: TNode, z: TNode): FlowStep {
    const { uh, w, b, m } = this.uHat(p);
    const h = tanh(add(sum(mul(w, z)), b));
    const y = add(z, mul(uh, h));
    const logDet = log(shift(mul(shift(scale(square(h), -1), 1), m), 1));
    return { y, logDet: sum(logDet) };
  }

  inverse(p: Float64Array, y: Float64Array, z: Float64Array): void {
    const d = this.dim;
    let wu = 0, ww = 0, wy = 0;
    for (let i = 0; i < d; i++) {
      wu += p[d + i]! * p[i]!;
      ww += p[d + i]! * p[d + i]!;
      wy += p[d + i]! * y[i]!;
    }
    const m = softplusValue(wu) - 1, b = p[2 * d]!, c = (m - wu) / ww;
    // Solve g(a) = a + m tanh(a + b) − wᵀy = 0; g' = 1 + m(1 − tanh²) > 0. The root lies within |m| of wᵀy.
    let lo = wy - Math.abs(m) - 1, hi = wy + Math.abs(m) + 1, a = wy;
    for (let it = 0; it < 100; it++) {
      const t = Math.tanh(a + b), g = a + m * t - wy;
      if (g > 0) hi = a; else lo = a;
      const step = g / (1 + m * (1 - t * t));
      let next = a - step;
      if (!(next > lo && next < hi)) next = 0.5 * (lo + hi);
      if (Math.abs(next - a) < 1e-15 * (1 + Math.abs(a))) { a = next; break; }
      a = next;
    }
    const t = Math.tanh(a + b);
    for (let i = 0; i < d; i++) z[i] = y[i]! - (p[i]! + c * p[d + i]!) * t;
  }
}

/** A planar layer (for `flowQ`'s layer list). */
export const planar = (): BijectorSpec => (dim) => new PlanarBijector(dim);
