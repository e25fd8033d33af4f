/**
 * The kernel contract. A kernel owns positive hyperparameters (variances, lengthscales, periods)
 * and evaluates covariance blocks between two sets of row-major inputs, plus the gradient of
 * Σ_ij G_ij K_ij with respect to its hyperparameters and its first inputs, for any "upstream"
 * matrix G. Models compute G = ∂objective/∂K block by block and never form ∂K/∂θ matrices, so a
 * kernel's gradient costs one more pass over the block (the dL/dK approach GPflow and GPy take).
 *
 * Learnt hyperparameters are optimised unconstrained through the log bijector
 * (core/src/variational/log-transform.ts): θ = e^z.
 */
import { VireoError, fmt } from "../errors.js";

export interface Kernel {
  /** e.g. "squaredExponential", "sum". */
  readonly name: string;
  /** Number of input columns. */
  readonly dim: number;
  /** Number of positive hyperparameters. */
  readonly size: number;
  /** One name per hyperparameter, e.g. "variance", "lengthscale[1]", "terms[0].period". */
  readonly parameterNames: readonly string[];
  /** Copies the hyperparameters into out[offset..offset+size). */
  getParams(out: Float64Array, offset: number): void;
  /** Sets the hyperparameters from src[offset..offset+size) (validated by callers at the edge). */
  setParams(src: Float64Array, offset: number): void;
  /**
   * out (n1×n2) ← K(X1, X2). `same` says X2 is X1 (the same points, not merely equal values): a
   * white-noise term adds its variance to the diagonal only then.
   */
  matrix(X1: Float64Array, n1: number, X2: Float64Array, n2: number, same: boolean, out: Float64Array): void;
  /** out (n) ← diag K(X, X). */
  diag(X: Float64Array, n: number, out: Float64Array): void;
  /** grad[offset + k] += Σ_ij G_ij ∂K(X1, X2)_ij / ∂θ_k. */
  gradient(X1: Float64Array, n1: number, X2: Float64Array, n2: number, same: boolean, G: Float64Array, grad: Float64Array, offset: number): void;
  /** grad[offset + k] += Σ_i g_i ∂K(x_i, x_i) / ∂θ_k. */
  diagGradient(X: Float64Array, n: number, g: Float64Array, grad: Float64Array, offset: number): void;
  /** gX1 (n1×dim) += Σ_j G_ij ∂K(X1, X2)_ij / ∂X1_i (X2 held fixed, `same` false). */
  inputGradient(X1: Float64Array, n1: number, X2: Float64Array, n2: number, G: Float64Array, gX1: Float64Array): void;
}

/** The hyperparameters of a kernel as one named record (for reports and snapshots). */
export function kernelParams(k: Kernel): Record<string, number> {
  const v = new Float64Array(k.size);
  k.getParams(v, 0);
  const out: Record<string, number> = {};
  k.parameterNames.forEach((name, i) => (out[name] = v[i]!));
  return out;
}

/** Throws INVALID_PARAMETER unless x is a finite number > 0. */
export function requirePositiveHyper(x: unknown, parameter: string, kernel: string): number {
  if (typeof x !== "number" || !(x > 0) || !Number.isFinite(x)) {
    throw new VireoError(
      "INVALID_PARAMETER",
      `${kernel}: hyperparameter '${parameter}' must be a finite number > 0, got ${typeof x === "number" ? fmt(x) : typeof x}.`,
      { parameter },
    );
  }
  return x;
}

/** Throws INVALID_PARAMETER unless dim is a positive integer. */
export function requireDim(dim: unknown, kernel: string): number {
  if (!(typeof dim === "number" && Number.isInteger(dim) && dim >= 1)) {
    throw new VireoError("INVALID_PARAMETER", `${kernel}: 'dim' (the number of input columns) must be an integer ≥ 1, got ${String(dim)}.`, { parameter: "dim" });
  }
  return dim;
}

/**
 * A positive hyperparameter given as one number (shared by every input column) or one per column
 * (ARD). Returns the values; names are `name` or `name[d]`.
 */
export function positiveVector(x: number | readonly number[], dim: number, parameter: string, kernel: string): Float64Array {
  if (typeof x === "number") return Float64Array.of(requirePositiveHyper(x, parameter, kernel));
  if (!Array.isArray(x) || x.length !== dim) {
    throw new VireoError("DIMENSION_MISMATCH", `${kernel}: '${parameter}' must be one number or ${dim} numbers (one per input column), got ${Array.isArray(x) ? `${x.length} numbers` : typeof x}.`, { parameter });
  }
  return Float64Array.from(x, (v, d) => requirePositiveHyper(v, `${parameter}[${d}]`, kernel));
}

/** Names of a vector hyperparameter: "p" for one value, "p[0]", "p[1]", … for several. */
export function vectorNames(parameter: string, n: number): string[] {
  return n === 1 ? [parameter] : Array.from({ length: n }, (_, d) => `${parameter}[${d}]`);
}

/** Base for kernels that hold their hyperparameters in one Float64Array. */
export abstract class OwnParamsKernel {
  abstract readonly name: string;
  readonly params: Float64Array;
  readonly dim: number;
  readonly parameterNames: readonly string[];

  constructor(dim: number, params: Float64Array, names: readonly string[]) {
    this.dim = dim;
    this.params = params;
    this.parameterNames = Object.freeze([...names]);
  }

  get size(): number {
    return this.params.length;
  }

  getParams(out: Float64Array, offset: number): void {
    for (let i = 0; i < this.params.length; i++) out[offset + i] = this.params[i]!;
  }

  setParams(src: Float64Array, offset: number): void {
    for (let i = 0; i < this.params.length; i++) this.params[i] = src[offset + i]!;
  }
}
