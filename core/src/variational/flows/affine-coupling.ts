/**
 * Affine coupling layer (RealNVP, Dinh et al. 2017): with a binary mask m, the masked coordinates
 * pass through and condition an affine map of the others:
 *   y = m⊙z + (1 − m)⊙(z⊙exp(s) + t),  (s, t) = NN(m⊙z) masked by (1 − m),
 * so log|det ∂y/∂z| = Σ s and the inverse is z = m⊙y + (1 − m)⊙(y − t)⊙exp(−s). Consecutive layers
 * alternate the mask (even/odd coordinates) so every coordinate is transformed.
 */
import type { TNode } from "../../autodiff/tape.js";
import type { Generator } from "../../random/generator.js";
import { VireoError } from "../../errors.js";
import { add, mul } from "../../autodiff/arith.js";
import { exp } from "../../autodiff/unary.js";
import { sum } from "../../autodiff/reduce.js";
import type { Bijector, BijectorSpec, FlowStep } from "./bijector.js";
import { Conditioner } from "./mlp.js";
import { requireDim } from "../family.js";

export interface CouplingOptions {
  /** Hidden units of the conditioner (default 16). */
  readonly hidden?: number;
}

export class AffineCouplingBijector implements Bijector {
  readonly name: string;
  readonly nParams: number;
  private readonly net: Conditioner;
  private readonly mask: Float64Array;
  private readonly free: Float64Array;
  private readonly h: Float64Array;
  private readonly heads: Float64Array[];
  private readonly xm: Float64Array;

  constructor(readonly dim: number, parity: number, options: CouplingOptions = {}) {
    requireDim(dim, "affineCoupling");
    if (dim < 2) {
      throw new VireoError("INVALID_PARAMETER", "affineCoupling: a coupling layer splits the variable in two, so it needs dimension ≥ 2; use planar(), radial() or iaf() for a scalar.", { parameter: "dim" });
    }
    const H = options.hidden ?? 16;
    requireDim(H, "affineCoupling hidden units");
    this.name = `AffineCoupling(hidden ${H})`;
    this.mask = new Float64Array(dim);
    this.free = new Float64Array(dim);
    for (let i = 0; i < dim; i++) {
      this.mask[i] = (i + parity) % 2 === 0 ? 1 : 0;
      this.free[i] = 1 - this.mask[i]!;
    }
    this.net = new Conditioner(dim, H, 2, null, null);
    this.nParams = this.net.nParams;
    this.h = new Float64Array(H);
    this.heads = [new Float64Array(dim), new Float64Array(dim)];
    this.xm = new Float64Array(dim);
  }

  init(out: Float64Array, rng: Generator): void {
    this.net.init(out, rng);
  }

  forward(p: TNode, z: TNode): FlowStep {
    const tape = p.tape, m = tape.constant(this.mask), free = tape.constant(this.free);
    const [sRaw, tRaw] = this.net.forward(p, mul(m, z));
    const s = mul(free, sRaw!), t = mul(free, tRaw!);
    const y = add(mul(z, exp(s)), t);
    return { y, logDet: sum(s) };
  }

  inverse(p: Float64Array, y: Float64Array, z: Float64Array): void {
    const d = this.dim, xm = this.xm;
    for (let i = 0; i < d; i++) xm[i] = this.mask[i]! * y[i]!;
    this.net.forwardValue(p, xm, this.h, this.heads);
    const s = this.heads[0]!, t = this.heads[1]!;
    for (let i = 0; i < d; i++) z[i] = this.mask[i]! === 1 ? y[i]! : (y[i]! - t[i]!) * Math.exp(-s[i]!);
  }
}

/** An affine coupling layer; consecutive layers in a stack alternate which half is transformed. */
export const affineCoupling = (options: CouplingOptions = {}): BijectorSpec => (dim, index) => new AffineCouplingBijector(dim, index, options);
