/**
 * Mean-field Gaussian q(z) = Π N(z_i; μ_i, σ_i²) with λ = [μ (d), ρ (d)] and σ = e^ρ, so every
 * λ is valid. z = μ + σ ⊙ ε; H = Σ ρ_i + d/2 (1 + log 2π).
 */
import { LOG_2PI } from "../special/functions.js";
import { sampleStandardNormal } from "../random/samplers.js";
import type { Generator } from "../random/generator.js";
import type { TNode } from "../autodiff/tape.js";
import { add, mul, shift } from "../autodiff/arith.js";
import { exp } from "../autodiff/unary.js";
import { slice } from "../autodiff/indexing.js";
import { sum } from "../autodiff/reduce.js";
import { type VariationalFamily, type VariationalFamilyFactory, requireDim, requireLength, tileMean } from "./family.js";

export interface MeanFieldGaussianOptions {
  /** Initial means (default 0). */
  readonly mean?: ArrayLike<number>;
  /** Initial standard deviation, one for all components (default 1). */
  readonly sd?: number;
}

export class MeanFieldGaussianQ implements VariationalFamily {
  readonly name: string;
  readonly nParams: number;
  readonly noiseSize: number;
  readonly reparameterizable = true;
  readonly discrete = false;

  constructor(readonly dim: number, private readonly options: MeanFieldGaussianOptions = {}) {
    requireDim(dim, "MeanFieldGaussian");
    requireLength(options.mean, dim, "MeanFieldGaussian", "mean");
    this.name = `MeanFieldGaussian(${dim})`;
    this.nParams = 2 * dim;
    this.noiseSize = dim;
  }

  init(out: Float64Array): void {
    const d = this.dim, logSd = Math.log(this.options.sd ?? 1);
    for (let i = 0; i < d; i++) {
      out[i] = this.options.mean?.[i] ?? 0;
      out[d + i] = logSd;
    }
  }

  prepare(lambda: TNode): TNode[] {
    const rho = slice(lambda, this.dim, this.dim);
    return [slice(lambda, 0, this.dim), exp(rho), rho];
  }

  drawNoise(rng: Generator, eps: Float64Array): void {
    for (let i = 0; i < this.dim; i++) eps[i] = sampleStandardNormal(rng);
  }

  reparam(parts: TNode[], eps: TNode): TNode {
    return add(parts[0]!, mul(parts[1]!, eps));
  }

  entropy(parts: TNode[]): TNode {
    return shift(sum(parts[2]!), 0.5 * this.dim * (1 + LOG_2PI));
  }

  sample(lambda: Float64Array, rng: Generator, out: Float64Array): void {
    const d = this.dim;
    for (let i = 0; i < d; i++) out[i] = lambda[i]! + Math.exp(lambda[d + i]!) * sampleStandardNormal(rng);
  }

  logDensity(lambda: Float64Array, z: Float64Array): number {
    const d = this.dim;
    let s = -0.5 * d * LOG_2PI;
    for (let i = 0; i < d; i++) {
      const r = (z[i]! - lambda[i]!) * Math.exp(-lambda[d + i]!);
      s -= 0.5 * r * r + lambda[d + i]!;
    }
    return s;
  }

  score(lambda: Float64Array, z: Float64Array, out: Float64Array): void {
    const d = this.dim;
    for (let i = 0; i < d; i++) {
      const inv = Math.exp(-lambda[d + i]!), r = (z[i]! - lambda[i]!) * inv;
      out[i] = r * inv;
      out[d + i] = r * r - 1;
    }
  }

  mean(lambda: Float64Array, out: Float64Array): void {
    for (let i = 0; i < this.dim; i++) out[i] = lambda[i]!;
  }

  variance(lambda: Float64Array, out: Float64Array): void {
    for (let i = 0; i < this.dim; i++) out[i] = Math.exp(2 * lambda[this.dim + i]!);
  }

  /** diag(σ) (d × d): Cov = diag(σ²). */
  covarianceFactor(lambda: Float64Array, out: Float64Array): number {
    const d = this.dim;
    out.fill(0, 0, d * d);
    for (let i = 0; i < d; i++) out[i * d + i] = Math.exp(lambda[d + i]!);
    return d;
  }
}

/**
 * A mean-field Gaussian family of dimension d; without d, a family the model graph sizes from the
 * variable (`m.random("w", MvNormal(5), { q: meanFieldGaussian() })`), over a whole plate at once.
 */
export function meanFieldGaussian(options?: MeanFieldGaussianOptions): VariationalFamilyFactory;
export function meanFieldGaussian(d: number, options?: MeanFieldGaussianOptions): MeanFieldGaussianQ;
export function meanFieldGaussian(d?: number | MeanFieldGaussianOptions, options?: MeanFieldGaussianOptions): MeanFieldGaussianQ | VariationalFamilyFactory {
  if (typeof d === "number") return new MeanFieldGaussianQ(d, options);
  const opts = d ?? {};
  return {
    kind: "variational-family-factory", name: "MeanFieldGaussian", factorises: true,
    create: (dim) => new MeanFieldGaussianQ(dim, { ...opts, mean: tileMean(opts.mean, dim) }),
  };
}
