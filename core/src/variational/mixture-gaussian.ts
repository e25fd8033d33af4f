/**
 * Mixture-of-Gaussians q(z) = Σ_k π_k N(z; μ_k, Σ_k), K components with full (Cholesky) or
 * diagonal covariances. The ELBO is Σ_k π_k E_{q_k}[log p(z) − log q(z)]: each component is drawn
 * with its own reparameterised noise (a stratified draw, `reparamStratum`) and weighted by π_k on
 * the tape, so both the components and the weights get exact pathwise gradients. The entropy is
 * not the sum of the components' entropies: −log q(z) uses the whole mixture density
 * log Σ_k π_k N(z; μ_k, Σ_k) at every draw.
 *
 * λ = [logits (K), then per component: μ_k (d) and either the packed lower triangle of L_k
 * (log-diagonal, row by row; "full") or log σ_k (d; "diagonal")].
 */
import { VireoError } from "../errors.js";
import { LOG_2PI } from "../special/functions.js";
import { Generator } from "../random/generator.js";
import { sampleStandardNormal, sampleCategorical } from "../random/samplers.js";
import { Tape, type TNode } from "../autodiff/tape.js";
import { add, sub, mul, div, scale, shift, square } from "../autodiff/arith.js";
import { exp, softplus } from "../autodiff/unary.js";
import { slice, gather } from "../autodiff/indexing.js";
import { sum, logsumexp } from "../autodiff/reduce.js";
import { matmul } from "../autodiff/matmul.js";
import { lowerFromPacked, triSolve } from "../autodiff/triangular.js";
import { type VariationalFamily, type VariationalFamilyFactory, type DrawWithLogDensity, requireDim } from "./family.js";

export interface MixtureGaussianOptions {
  /** "full" (default) or "diagonal" component covariances. */
  readonly covariance?: "full" | "diagonal";
  /** Initial component means, K×d row-major (default: K draws from N(0, spread²)). */
  readonly means?: ArrayLike<number>;
  /** Spread of the default random initial means (default 1). */
  readonly spread?: number;
  /** Initial standard deviation of every component (default 1). */
  readonly sd?: number;
  /** Seed of the default initial means (default 1). */
  readonly seed?: number;
}

/** log(e^a + e^b) on the tape, stable for any a, b. */
export function logAddExp(a: TNode, b: TNode): TNode {
  return add(a, softplus(sub(b, a)));
}

export class MixtureGaussianQ implements VariationalFamily {
  readonly name: string;
  readonly nParams: number;
  readonly noiseSize: number;
  readonly reparameterizable = true;
  readonly discrete = false;
  readonly closedFormEntropy = false;
  readonly strata: number;
  readonly full: boolean;
  /** Parameters of one component (μ and scale). */
  readonly componentSize: number;
  /** Positions of the log-diagonal entries within a component's full-covariance block. */
  private readonly diagIndex: Int32Array;
  private readonly scoreTape = new Tape();
  private readonly eps: Float64Array;
  private readonly weights: Float64Array;

  constructor(readonly dim: number, readonly components: number, private readonly options: MixtureGaussianOptions = {}) {
    requireDim(dim, "mixtureGaussian");
    requireDim(components, "mixtureGaussian components");
    const cov = options.covariance ?? "full";
    if (cov !== "full" && cov !== "diagonal") {
      throw new VireoError("INVALID_PARAMETER", `mixtureGaussian: covariance must be 'full' or 'diagonal', got '${String(cov)}'.`, { parameter: "covariance" });
    }
    if (options.means !== undefined && options.means.length !== components * dim) {
      throw new VireoError("DIMENSION_MISMATCH", `mixtureGaussian: option 'means' must hold K×d = ${components * dim} values (row k is component k), got ${options.means.length}.`, { parameter: "means" });
    }
    this.full = cov === "full";
    this.strata = components;
    this.componentSize = dim + (this.full ? (dim * (dim + 1)) / 2 : dim);
    this.nParams = components + components * this.componentSize;
    this.noiseSize = dim;
    this.name = `MixtureGaussian(${dim}, K=${components}, ${cov})`;
    this.diagIndex = new Int32Array(dim);
    for (let i = 0; i < dim; i++) this.diagIndex[i] = dim + ((i + 1) * (i + 2)) / 2 - 1;
    this.eps = new Float64Array(dim);
    this.weights = new Float64Array(components);
  }

  private offset(k: number): number {
    return this.components + k * this.componentSize;
  }

  init(out: Float64Array): void {
    const { dim: d, components: K } = this, logSd = Math.log(this.options.sd ?? 1);
    const rng = new Generator(this.options.seed ?? 1), spread = this.options.spread ?? 1;
    out.fill(0, 0, this.nParams);
    for (let k = 0; k < K; k++) {
      const o = this.offset(k);
      for (let i = 0; i < d; i++) out[o + i] = this.options.means?.[k * d + i] ?? spread * sampleStandardNormal(rng);
      if (this.full) for (let i = 0; i < d; i++) out[o + this.diagIndex[i]!] = logSd;
      else for (let i = 0; i < d; i++) out[o + d + i] = logSd;
    }
  }

  /** parts = [log π (K), π (K), then per component: μ_k, scale_k (L_k or σ_k), log-diagonal_k]. */
  prepare(lambda: TNode): TNode[] {
    const { dim: d, components: K } = this;
    const logits = slice(lambda, 0, K);
    const logPi = sub(logits, logsumexp(logits));
    const parts = [logPi, exp(logPi)];
    for (let k = 0; k < K; k++) {
      const o = this.offset(k), mu = slice(lambda, o, d);
      if (this.full) {
        const block = slice(lambda, o, this.componentSize);
        parts.push(mu, lowerFromPacked(block, d, d), gather(block, this.diagIndex));
      } else {
        const logSd = slice(lambda, o + d, d);
        parts.push(mu, exp(logSd), logSd);
      }
    }
    return parts;
  }

  drawNoise(rng: Generator, eps: Float64Array): void {
    for (let i = 0; i < this.dim; i++) eps[i] = sampleStandardNormal(rng);
  }

  stratumWeights(parts: TNode[]): TNode {
    return parts[1]!;
  }

  /** log N(z; μ_k, Σ_k) on the tape. */
  private componentLogDensity(parts: TNode[], k: number, z: TNode): TNode {
    const mu = parts[2 + 3 * k]!, sc = parts[3 + 3 * k]!, logDiag = parts[4 + 3 * k]!;
    const r = this.full ? triSolve(sc, sub(z, mu)) : div(sub(z, mu), sc);
    return shift(sub(scale(sum(square(r)), -0.5), sum(logDiag)), -0.5 * this.dim * LOG_2PI);
  }

  /** log q(z) = log Σ_k π_k N(z; μ_k, Σ_k) on the tape. */
  logDensityOnTape(parts: TNode[], z: TNode): TNode {
    const logPi = parts[0]!;
    let acc: TNode | null = null;
    for (let k = 0; k < this.components; k++) {
      const term = add(slice(logPi, k, 1), this.componentLogDensity(parts, k, z));
      acc = acc === null ? term : logAddExp(acc, term);
    }
    return sum(acc!);
  }

  reparamStratum(parts: TNode[], k: number, eps: TNode): DrawWithLogDensity {
    const mu = parts[2 + 3 * k]!, sc = parts[3 + 3 * k]!;
    const z = add(mu, this.full ? matmul(sc, eps) : mul(sc, eps));
    return { z, logq: this.logDensityOnTape(parts, z) };
  }

  reparam(): TNode {
    throw new VireoError(
      "INVALID_OPTION",
      `${this.name}: a mixture is drawn one component at a time (reparamStratum, weighted by stratumWeights); a single reparameterised draw would need a non-differentiable component choice.`,
    );
  }

  entropy(): TNode {
    throw new VireoError(
      "INVALID_OPTION",
      `${this.name}: a mixture's entropy has no closed form (it is not the sum of the components' entropies); the objective uses −log q(z) per stratified draw.`,
    );
  }

  private piValues(lambda: Float64Array): Float64Array {
    const K = this.components, w = this.weights;
    let m = -Infinity;
    for (let k = 0; k < K; k++) m = Math.max(m, lambda[k]!);
    let s = 0;
    for (let k = 0; k < K; k++) s += (w[k] = Math.exp(lambda[k]! - m));
    for (let k = 0; k < K; k++) w[k] = w[k]! / s;
    return w;
  }

  /** Mixture weights π (a new array). */
  mixtureWeights(lambda: Float64Array): Float64Array {
    return Float64Array.from(this.piValues(lambda));
  }

  sample(lambda: Float64Array, rng: Generator, out: Float64Array): void {
    const d = this.dim, k = sampleCategorical(rng, this.piValues(lambda)), o = this.offset(k), eps = this.eps;
    this.drawNoise(rng, eps);
    if (this.full) {
      for (let i = 0, p = o + d; i < d; i++) {
        let s = lambda[o + i]!;
        for (let j = 0; j < i; j++) s += lambda[p++]! * eps[j]!;
        out[i] = s + Math.exp(lambda[p++]!) * eps[i]!;
      }
    } else {
      for (let i = 0; i < d; i++) out[i] = lambda[o + i]! + Math.exp(lambda[o + d + i]!) * eps[i]!;
    }
  }

  logDensity(lambda: Float64Array, z: Float64Array): number {
    this.scoreTape.reset();
    const t = this.scoreTape;
    return this.logDensityOnTape(this.prepare(t.constant(lambda)), t.constant(z)).value[0]!;
  }

  sampleWithLogDensity(lambda: Float64Array, rng: Generator, out: Float64Array): number {
    this.sample(lambda, rng, out);
    return this.logDensity(lambda, out);
  }

  score(lambda: Float64Array, z: Float64Array, out: Float64Array): void {
    this.scoreTape.reset();
    const t = this.scoreTape;
    this.scoreTape.backward(this.logDensityOnTape(this.prepare(t.param(lambda, undefined, out)), t.constant(z)));
  }

  /** Σ_k π_k μ_k. */
  mean(lambda: Float64Array, out: Float64Array): void {
    const d = this.dim, pi = this.piValues(lambda);
    out.fill(0, 0, d);
    for (let k = 0; k < this.components; k++) for (let i = 0; i < d; i++) out[i] += pi[k]! * lambda[this.offset(k) + i]!;
  }

  /** Σ_k π_k (Σ_k,ii + μ_k,i²) − mean_i². */
  variance(lambda: Float64Array, out: Float64Array): void {
    const d = this.dim, pi = this.piValues(lambda), m = new Float64Array(d);
    this.mean(lambda, m);
    out.fill(0, 0, d);
    for (let k = 0; k < this.components; k++) {
      const o = this.offset(k);
      for (let i = 0; i < d; i++) {
        let v = 0;
        if (this.full) {
          const row = o + d + (i * (i + 1)) / 2;
          for (let j = 0; j < i; j++) v += lambda[row + j]! ** 2;
          v += Math.exp(2 * lambda[row + i]!);
        } else v = Math.exp(2 * lambda[o + d + i]!);
        out[i] += pi[k]! * (v + lambda[o + i]! ** 2);
      }
    }
    for (let i = 0; i < d; i++) out[i] = out[i]! - m[i]! ** 2;
  }
}

/**
 * A K-component Gaussian mixture family: `mixtureGaussian(d, K)` of dimension d, or
 * `mixtureGaussian({ components: K, ... })` unsized, for a variable of the model graph to size
 * (one mixture over the variable's whole value: it does not factorise over plate rows).
 */
export function mixtureGaussian(options: MixtureGaussianOptions & { readonly components: number }): VariationalFamilyFactory;
export function mixtureGaussian(d: number, K: number, options?: MixtureGaussianOptions): MixtureGaussianQ;
export function mixtureGaussian(d: number | (MixtureGaussianOptions & { readonly components: number }), K?: number, options?: MixtureGaussianOptions): MixtureGaussianQ | VariationalFamilyFactory {
  if (typeof d === "number") return new MixtureGaussianQ(d, K!, options);
  const { components, ...rest } = d;
  requireDim(components, "mixtureGaussian components");
  return {
    kind: "variational-family-factory", name: "MixtureGaussian", factorises: false,
    create: (dim) => new MixtureGaussianQ(dim, components, rest),
  };
}
