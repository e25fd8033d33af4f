/**
 * Inverse autoregressive flow layer (Kingma et al. 2016) with a MADE conditioner (Germain et al.
 * 2015): y = z⊙exp(s(z)) + μ(z), where s_i and μ_i depend only on the z_j earlier than i in the
 * layer's order (masked weights enforce it). The Jacobian is triangular, so
 * log|det ∂y/∂z| = Σ s; sampling is one pass, and the inverse takes d passes (coordinate i is
 * exact after pass i). Consecutive layers reverse the order.
 */
import type { TNode } from "../../autodiff/tape.js";
import type { Generator } from "../../random/generator.js";
import { add, mul } from "../../autodiff/arith.js";
import { exp } from "../../autodiff/unary.js";
import { sum } from "../../autodiff/reduce.js";
import type { Bijector, BijectorSpec, FlowStep } from "./bijector.js";
import { Conditioner } from "./mlp.js";
import { requireDim } from "../family.js";

export interface IafOptions {
  /** Hidden units of the MADE conditioner (default 16). */
  readonly hidden?: number;
}

export class IafBijector implements Bijector {
  readonly name: string;
  readonly nParams: number;
  private readonly net: Conditioner;
  private readonly h: Float64Array;
  private readonly heads: Float64Array[];

  constructor(readonly dim: number, reversed: boolean, options: IafOptions = {}) {
    requireDim(dim, "iaf");
    const H = options.hidden ?? 16;
    requireDim(H, "iaf hidden units");
    this.name = `IAF(MADE, hidden ${H})`;
    const d = dim;
    // MADE degrees: input i has its position in the order (1..d); hidden units cycle over 1..d−1.
    const order = new Int32Array(d);
    for (let i = 0; i < d; i++) order[i] = reversed ? d - i : i + 1;
    const deg = new Int32Array(H);
    for (let k = 0; k < H; k++) deg[k] = d > 1 ? 1 + (k % (d - 1)) : 1;
    const inMask = new Float64Array(H * d), outMask = new Float64Array(d * H);
    for (let k = 0; k < H; k++) for (let i = 0; i < d; i++) inMask[k * d + i] = deg[k]! >= order[i]! ? 1 : 0;
    for (let i = 0; i < d; i++) for (let k = 0; k < H; k++) outMask[i * H + k] = order[i]! > deg[k]! ? 1 : 0;
    this.net = new Conditioner(d, H, 2, inMask, outMask);
    this.nParams = this.net.nParams;
    this.h = new Float64Array(H);
    this.heads = [new Float64Array(d), new Float64Array(d)];
  }

  init(out: Float64Array, rng: Generator): void {
    this.net.init(out, rng);
  }

  forward(p: TNode, z: TNode): FlowStep {
    const [s, mu] = this.net.forward(p, z);
    return { y: add(mul(z, exp(s!)), mu!), logDet: sum(s!) };
  }

  inverse(p: Float64Array, y: Float64Array, z: Float64Array): void {
    const d = this.dim, s = this.heads[0]!, mu = this.heads[1]!;
    z.fill(0, 0, d);
    for (let pass = 0; pass < d; pass++) {
      this.net.forwardValue(p, z, this.h, this.heads);
      for (let i = 0; i < d; i++) z[i] = (y[i]! - mu[i]!) * Math.exp(-s[i]!);
    }
  }
}

/** An IAF layer with a MADE conditioner; consecutive layers in a stack reverse the order. */
export const iaf = (options: IafOptions = {}): BijectorSpec => (dim, index) => new IafBijector(dim, index % 2 === 1, options);
