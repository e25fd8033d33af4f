/**
 * Full-rank Gaussian q(z) = N(μ, L Lᵀ) with λ = [μ (d), packed lower triangle of L (d(d+1)/2,
 * row by row)], the diagonal of L stored as its log so L is always a valid Cholesky factor.
 * z = μ + L ε; H = Σ log L_ii + d/2 (1 + log 2π). The score ∇_λ log q is taken on a private tape.
 */
import { LOG_2PI } from "../special/functions.js";
import { sampleStandardNormal } from "../random/samplers.js";
import type { Generator } from "../random/generator.js";
import { Tape, type TNode } from "../autodiff/tape.js";
import { add, sub, shift, square, scale } from "../autodiff/arith.js";
import { slice, gather } from "../autodiff/indexing.js";
import { sum } from "../autodiff/reduce.js";
import { matmul } from "../autodiff/matmul.js";
import { lowerFromPacked, triSolve } from "../autodiff/triangular.js";
import { type VariationalFamily, type VariationalFamilyFactory, requireDim, requireLength } from "./family.js";

export interface FullRankGaussianOptions {
  /** Initial means (default 0). */
  readonly mean?: ArrayLike<number>;
  /** Initial standard deviation: L starts as sd·I (default 1). */
  readonly sd?: number;
}

export class FullRankGaussianQ implements VariationalFamily {
  readonly name: string;
  readonly nParams: number;
  readonly noiseSize: number;
  readonly reparameterizable = true;
  readonly discrete = false;
  /** Positions in λ of the log-diagonal entries of L. */
  readonly diagIndex: Int32Array;
  private readonly scoreTape = new Tape();

  constructor(readonly dim: number, private readonly options: FullRankGaussianOptions = {}) {
    requireDim(dim, "FullRankGaussian");
    requireLength(options.mean, dim, "FullRankGaussian", "mean");
    this.name = `FullRankGaussian(${dim})`;
    this.nParams = dim + (dim * (dim + 1)) / 2;
    this.noiseSize = dim;
    this.diagIndex = new Int32Array(dim);
    for (let i = 0; i < dim; i++) this.diagIndex[i] = dim + ((i + 1) * (i + 2)) / 2 - 1;
  }

  init(out: Float64Array): void {
    const d = this.dim, logSd = Math.log(this.options.sd ?? 1);
    out.fill(0, 0, this.nParams);
    for (let i = 0; i < d; i++) out[i] = this.options.mean?.[i] ?? 0;
    for (let i = 0; i < d; i++) out[this.diagIndex[i]!] = logSd;
  }

  prepare(lambda: TNode): TNode[] {
    const d = this.dim;
    return [slice(lambda, 0, d), lowerFromPacked(lambda, d, d), gather(lambda, this.diagIndex)];
  }

  drawNoise(rng: Generator, eps: Float64Array): void {
    for (let i = 0; i < this.dim; i++) eps[i] = sampleStandardNormal(rng);
  }

  reparam(parts: TNode[], eps: TNode): TNode {
    return add(parts[0]!, matmul(parts[1]!, eps));
  }

  entropy(parts: TNode[]): TNode {
    return shift(sum(parts[2]!), 0.5 * this.dim * (1 + LOG_2PI));
  }

  /** L as a dense row-major d×d matrix (a new array when `out` is omitted). */
  factor(lambda: Float64Array, out = new Float64Array(this.dim * this.dim)): Float64Array {
    const d = this.dim;
    out.fill(0);
    for (let i = 0, k = d; i < d; i++) {
      for (let j = 0; j < i; j++) out[i * d + j] = lambda[k++]!;
      out[i * d + i] = Math.exp(lambda[k++]!);
    }
    return out;
  }

  /** L (d × d): Cov = L Lᵀ. */
  covarianceFactor(lambda: Float64Array, out: Float64Array): number {
    this.factor(lambda, out.subarray(0, this.dim * this.dim) as Float64Array<ArrayBuffer>);
    return this.dim;
  }

  /** Σ = L Lᵀ as a dense row-major d×d matrix. */
  covariance(lambda: Float64Array, out = new Float64Array(this.dim * this.dim)): Float64Array {
    const d = this.dim, L = this.factor(lambda);
    for (let i = 0; i < d; i++) {
      for (let j = 0; j <= i; j++) {
        let s = 0;
        for (let k = 0; k <= j; k++) s += L[i * d + k]! * L[j * d + k]!;
        out[i * d + j] = s;
        out[j * d + i] = s;
      }
    }
    return out;
  }

  sample(lambda: Float64Array, rng: Generator, out: Float64Array): void {
    const d = this.dim;
    const eps = new Float64Array(d);
    this.drawNoise(rng, eps);
    for (let i = 0, k = d; i < d; i++) {
      let s = lambda[i]!;
      for (let j = 0; j < i; j++) s += lambda[k++]! * eps[j]!;
      out[i] = s + Math.exp(lambda[k++]!) * eps[i]!;
    }
  }

  logDensity(lambda: Float64Array, z: Float64Array): number {
    this.scoreTape.reset();
    return this.logDensityOnTape(this.scoreTape.constant(lambda), z).value[0]!;
  }

  score(lambda: Float64Array, z: Float64Array, out: Float64Array): void {
    this.scoreTape.reset();
    const lp = this.logDensityOnTape(this.scoreTape.param(lambda, undefined, out), z);
    this.scoreTape.backward(lp);
  }

  /** log q(z) = −½‖L⁻¹(z − μ)‖² − Σ log L_ii − d/2 log 2π, on the tape. */
  private logDensityOnTape(lambda: TNode, z: Float64Array): TNode {
    const [mu, L, logDiag] = this.prepare(lambda);
    const r = triSolve(L!, sub(lambda.tape.constant(z), mu!));
    const quad = scale(sum(square(r)), -0.5);
    return shift(sub(quad, sum(logDiag!)), -0.5 * this.dim * LOG_2PI);
  }

  mean(lambda: Float64Array, out: Float64Array): void {
    for (let i = 0; i < this.dim; i++) out[i] = lambda[i]!;
  }

  variance(lambda: Float64Array, out: Float64Array): void {
    const d = this.dim;
    for (let i = 0, k = d; i < d; i++) {
      let s = 0;
      for (let j = 0; j < i; j++) s += lambda[k]! * lambda[k++]!;
      const l = Math.exp(lambda[k++]!);
      out[i] = s + l * l;
    }
  }
}

/**
 * A full-rank Gaussian family of dimension d (Cholesky-factor parameterisation); without d, a
 * family the model graph sizes from the variable (`m.random("w", MvNormal(5), { q: fullRankGaussian() })`).
 */
export function fullRankGaussian(options?: FullRankGaussianOptions): VariationalFamilyFactory;
export function fullRankGaussian(d: number, options?: FullRankGaussianOptions): FullRankGaussianQ;
export function fullRankGaussian(d?: number | FullRankGaussianOptions, options?: FullRankGaussianOptions): FullRankGaussianQ | VariationalFamilyFactory {
  if (typeof d === "number") return new FullRankGaussianQ(d, options);
  const opts = d ?? {};
  return { kind: "variational-family-factory", name: "FullRankGaussian", factorises: false, create: (dim) => new FullRankGaussianQ(dim, opts) };
}
