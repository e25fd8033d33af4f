/**
 * Categorical q(z) over K classes with logits λ = θ (p = softmax θ). A draw is a one-hot vector
 * of length K, so factors can use it on the tape with mul/sum. Discrete: score-function only.
 * ∇_θ log q = onehot − p; H = logsumexp θ − Σ p_k θ_k.
 */
import { sampleCategorical } from "../random/samplers.js";
import type { Generator } from "../random/generator.js";
import type { TNode } from "../autodiff/tape.js";
import { sub, mul } from "../autodiff/arith.js";
import { exp } from "../autodiff/unary.js";
import { sum, logsumexp } from "../autodiff/reduce.js";
import { type VariationalFamily, requireDim, requireLength, DiscreteFamily } from "./family.js";

export interface CategoricalQOptions {
  /** Initial probabilities (default uniform). */
  readonly p?: ArrayLike<number>;
}

function lse(x: Float64Array, n: number): number {
  let m = -Infinity;
  for (let k = 0; k < n; k++) if (x[k]! > m) m = x[k]!;
  let s = 0;
  for (let k = 0; k < n; k++) s += Math.exp(x[k]! - m);
  return m + Math.log(s);
}

export class CategoricalQ extends DiscreteFamily implements VariationalFamily {
  readonly name: string;
  readonly nParams: number;
  private readonly probs: Float64Array;

  constructor(readonly dim: number, private readonly options: CategoricalQOptions = {}) {
    super();
    requireDim(dim, "CategoricalQ");
    requireLength(options.p, dim, "CategoricalQ", "p");
    this.name = `Categorical(${dim})`;
    this.nParams = dim;
    this.probs = new Float64Array(dim);
  }

  init(out: Float64Array): void {
    for (let k = 0; k < this.dim; k++) out[k] = Math.log(this.options.p?.[k] ?? 1);
  }

  entropy(parts: TNode[]): TNode {
    const th = parts[0]!, l = logsumexp(th);
    return sub(l, sum(mul(exp(sub(th, l)), th)));
  }

  private softmax(lambda: Float64Array): Float64Array {
    const l = lse(lambda, this.dim);
    for (let k = 0; k < this.dim; k++) this.probs[k] = Math.exp(lambda[k]! - l);
    return this.probs;
  }

  sample(lambda: Float64Array, rng: Generator, out: Float64Array): void {
    const k = sampleCategorical(rng, this.softmax(lambda), 0, this.dim);
    out.fill(0, 0, this.dim);
    out[k] = 1;
  }

  logDensity(lambda: Float64Array, z: Float64Array): number {
    let s = 0;
    for (let k = 0; k < this.dim; k++) s += z[k]! * lambda[k]!;
    return s - lse(lambda, this.dim);
  }

  score(lambda: Float64Array, z: Float64Array, out: Float64Array): void {
    const p = this.softmax(lambda);
    for (let k = 0; k < this.dim; k++) out[k] = z[k]! - p[k]!;
  }

  mean(lambda: Float64Array, out: Float64Array): void {
    out.set(this.softmax(lambda));
  }

  variance(lambda: Float64Array, out: Float64Array): void {
    const p = this.softmax(lambda);
    for (let k = 0; k < this.dim; k++) out[k] = p[k]! * (1 - p[k]!);
  }
}

/** A categorical latent over K classes (one-hot draws), logit-parameterised. */
export function categoricalQ(K: number, options?: CategoricalQOptions): CategoricalQ {
  return new CategoricalQ(K, options);
}
