/**
 * The contract of a variational family q(z; λ) for black-box VI. λ is one flat Float64Array of
 * unconstrained parameters, so every optimiser sees a plain vector. A family supplies:
 * - tape forms (prepare / reparam / entropy) for the reparameterization estimator and the
 *   closed-form entropy term of the ELBO;
 * - numeric forms (sample / logDensity / score) for the score-function estimator.
 */
import { VireoError } from "../errors.js";
import type { Generator } from "../random/generator.js";
import type { TNode } from "../autodiff/tape.js";

export interface VariationalFamily {
  /** e.g. "MeanFieldGaussian(3)". */
  readonly name: string;
  /** Length of one draw z (one-hot length K for a categorical). */
  readonly dim: number;
  /** Length of λ. */
  readonly nParams: number;
  /** Length of the noise vector ε of one reparameterised draw (0 when not reparameterizable). */
  readonly noiseSize: number;
  /** True when z = T(λ, ε) with ε independent of λ. */
  readonly reparameterizable: boolean;
  /** True for discrete latents (score-function estimator only). */
  readonly discrete: boolean;
  /** Writes the initial λ into `out`. */
  init(out: Float64Array): void;
  /** Expands λ on the tape once per step (e.g. [μ, L]); the parts feed reparam and entropy. */
  prepare(lambda: TNode): TNode[];
  /** Draws the noise of one reparameterised sample into `eps` (length noiseSize). */
  drawNoise(rng: Generator, eps: Float64Array): void;
  /** z = T(λ, ε) on the tape. */
  reparam(parts: TNode[], eps: TNode): TNode;
  /** H[q(·; λ)] on the tape, in closed form. */
  entropy(parts: TNode[]): TNode;
  /** A draw z ~ q(·; λ) into `out` (length dim). */
  sample(lambda: Float64Array, rng: Generator, out: Float64Array): void;
  /** log q(z; λ). */
  logDensity(lambda: Float64Array, z: Float64Array): number;
  /** ∇_λ log q(z; λ) into `out` (length nParams). */
  score(lambda: Float64Array, z: Float64Array, out: Float64Array): void;
  /** E_q[z] into `out` (length dim). */
  mean(lambda: Float64Array, out: Float64Array): void;
  /** Var_q[z_i] into `out` (length dim). */
  variance(lambda: Float64Array, out: Float64Array): void;

  // ---- Optional members for families beyond the Gaussian ones (flows, mixtures, point masses). ----
  /**
   * False when H[q] has no closed form (flows, mixtures): `entropy` must not be called, and the
   * objective uses −log q(z) per draw from `reparamWithLogDensity` instead. Default true.
   */
  readonly closedFormEntropy?: boolean;
  /**
   * The draw and its exact log density together on the tape: z = T(λ, ε) and log q(z; λ), both
   * differentiable in λ. Required when `closedFormEntropy` is false; used by the IWAE and Rényi
   * bounds for every family.
   */
  reparamWithLogDensity?(parts: TNode[], eps: TNode): DrawWithLogDensity;
  /**
   * Number of strata (mixture components). A stratified family is drawn once per stratum k with
   * `reparamStratum`, and the draws are weighted by `stratumWeights` (π on the tape), so the
   * objective sees Σ_k π_k E_{q_k}[·] exactly instead of a non-differentiable component choice.
   */
  readonly strata?: number;
  /** π_k on the tape, a vector of length `strata` summing to 1. */
  stratumWeights?(parts: TNode[]): TNode;
  /** A draw of stratum k and the log density of the whole q (not of q_k) at it. */
  reparamStratum?(parts: TNode[], k: number, eps: TNode): DrawWithLogDensity;
  /** A draw z ~ q into `out`, returning log q(z); cheaper than sample + logDensity for flows. */
  sampleWithLogDensity?(lambda: Float64Array, rng: Generator, out: Float64Array): number;
  /** True for a point mass (MAP / EM): q has no density, and density-ratio diagnostics do not apply. */
  readonly degenerate?: boolean;
  /**
   * True when λ is network weights shared by every row and minibatch (an amortised q): the graph
   * keeps λ when a plate-local variable starts a new minibatch instead of resetting it.
   */
  readonly amortised?: boolean;
  /**
   * Optional, for Gaussian families: a factor C (dim × m, row-major, written into `out` of at
   * least 2·dim·dim numbers; m ≤ 2·dim) with Cov_q[z] = C Cᵀ; returns m. Lets the graph take E_q[T(x)]
   * exactly (sigma points) where T is quadratic, instead of from draws.
   */
  covarianceFactor?(lambda: Float64Array, out: Float64Array): number;
}

/** A reparameterised draw and log q at it, both on the tape. */
export interface DrawWithLogDensity {
  readonly z: TNode;
  readonly logq: TNode;
}

/** How many strata a family has (1 unless it is a mixture). */
export function strataOf(family: VariationalFamily): number {
  return family.strata ?? 1;
}

/** True when the family's entropy term must be estimated from −log q(z) per draw. */
export function needsLogDensityEntropy(family: VariationalFamily): boolean {
  return family.closedFormEntropy === false || strataOf(family) > 1;
}

/** log q(z) of one numeric draw z ~ q, for the importance-sampling diagnostics. */
export function sampleWithLogDensity(family: VariationalFamily, lambda: Float64Array, rng: Generator, out: Float64Array): number {
  if (typeof family.sampleWithLogDensity === "function") return family.sampleWithLogDensity(lambda, rng, out);
  family.sample(lambda, rng, out);
  return family.logDensity(lambda, out);
}

/**
 * A variational family chosen without its dimension (e.g. `fullRankGaussian()`): the model graph
 * sizes it from the variable it fits. `factorises` says that q is a product over components, so
 * one q over a whole plate of rows is the same family at rows × dim (one vectorised parameter).
 */
export interface VariationalFamilyFactory {
  readonly kind: "variational-family-factory";
  /** e.g. "FullRankGaussian". */
  readonly name: string;
  readonly factorises: boolean;
  create(dim: number): VariationalFamily;
}

/** A family, or a family to be sized by the graph. */
export type VariationalChoice = VariationalFamily | VariationalFamilyFactory;

export function isVariationalFactory(x: unknown): x is VariationalFamilyFactory {
  return typeof x === "object" && x !== null && (x as { kind?: unknown }).kind === "variational-family-factory";
}

/** Initial means for `dim` values from an option of that length, or of a length that divides it (one row, tiled over a plate). */
export function tileMean(mean: ArrayLike<number> | undefined, dim: number): ArrayLike<number> | undefined {
  if (mean === undefined || mean.length === dim || mean.length === 0 || dim % mean.length !== 0) return mean;
  return Float64Array.from({ length: dim }, (_, i) => mean[i % mean.length]!);
}

/** Throws INVALID_PARAMETER unless `d` is a positive integer. */
export function requireDim(d: number, what: string): void {
  if (!Number.isInteger(d) || d < 1) {
    throw new VireoError("INVALID_PARAMETER", `${what}: dimension must be a positive integer, got ${d}.`, { parameter: "dim" });
  }
}

/** Throws DIMENSION_MISMATCH unless an initial value array has the expected length. */
export function requireLength(x: ArrayLike<number> | undefined, n: number, what: string, parameter: string): void {
  if (x !== undefined && x.length !== n) {
    throw new VireoError("DIMENSION_MISMATCH", `${what}: option '${parameter}' must have length ${n}, got ${x.length}.`, { parameter });
  }
}

/** Error for numeric-only families asked for a reparameterised draw. */
export function notReparameterizable(name: string): never {
  throw new VireoError(
    "INVALID_OPTION",
    `${name} is discrete and has no reparameterised draw; use the score-function estimator ('score' or 'auto') for this variable.`,
  );
}

/**
 * What every discrete family shares: no reparameterised draw (the score-function estimator
 * only), and λ used on the tape as it is.
 */
export abstract class DiscreteFamily {
  abstract readonly name: string;
  readonly noiseSize = 0;
  readonly reparameterizable = false;
  readonly discrete = true;

  prepare(lambda: TNode): TNode[] {
    return [lambda];
  }

  drawNoise(): void {
    notReparameterizable(this.name);
  }

  reparam(): TNode {
    return notReparameterizable(this.name);
  }
}
