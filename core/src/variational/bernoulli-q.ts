/**
 * Independent Bernoullis q(z) = Π p_i^{z_i} (1 − p_i)^{1 − z_i} with logits λ = θ (p = σ(θ)).
 * Discrete: the score-function estimator only. ∇_θ log q = z − σ(θ); H = Σ softplus(θ) − θσ(θ).
 */
import { sigmoid as sigmoidScalar, softplus as softplusScalar } from "../special/functions.js";
import type { Generator } from "../random/generator.js";
import type { TNode } from "../autodiff/tape.js";
import { sub, mul } from "../autodiff/arith.js";
import { softplus, sigmoid } from "../autodiff/unary.js";
import { sum } from "../autodiff/reduce.js";
import { type VariationalFamily, requireDim, requireLength, DiscreteFamily } from "./family.js";

export interface BernoulliQOptions {
  /** Initial probabilities (default 0.5). */
  readonly p?: ArrayLike<number>;
}

export class BernoulliQ extends DiscreteFamily implements VariationalFamily {
  readonly name: string;
  readonly nParams: number;

  constructor(readonly dim: number, private readonly options: BernoulliQOptions = {}) {
    super();
    requireDim(dim, "BernoulliQ");
    requireLength(options.p, dim, "BernoulliQ", "p");
    this.name = `Bernoulli(${dim})`;
    this.nParams = dim;
  }

  init(out: Float64Array): void {
    for (let i = 0; i < this.dim; i++) {
      const p = this.options.p?.[i] ?? 0.5;
      out[i] = Math.log(p) - Math.log1p(-p);
    }
  }

  entropy(parts: TNode[]): TNode {
    const th = parts[0]!;
    return sum(sub(softplus(th), mul(th, sigmoid(th))));
  }

  sample(lambda: Float64Array, rng: Generator, out: Float64Array): void {
    for (let i = 0; i < this.dim; i++) out[i] = rng.uniform() < sigmoidScalar(lambda[i]!) ? 1 : 0;
  }

  logDensity(lambda: Float64Array, z: Float64Array): number {
    let s = 0;
    for (let i = 0; i < this.dim; i++) s += z[i]! * lambda[i]! - softplusScalar(lambda[i]!);
    return s;
  }

  score(lambda: Float64Array, z: Float64Array, out: Float64Array): void {
    for (let i = 0; i < this.dim; i++) out[i] = z[i]! - sigmoidScalar(lambda[i]!);
  }

  mean(lambda: Float64Array, out: Float64Array): void {
    for (let i = 0; i < this.dim; i++) out[i] = sigmoidScalar(lambda[i]!);
  }

  variance(lambda: Float64Array, out: Float64Array): void {
    for (let i = 0; i < this.dim; i++) {
      const p = sigmoidScalar(lambda[i]!);
      out[i] = p * (1 - p);
    }
  }
}

/** d independent Bernoulli latents (values 0/1), logit-parameterised. */
export function bernoulliQ(d = 1, options?: BernoulliQOptions): BernoulliQ {
  return new BernoulliQ(d, options);
}
