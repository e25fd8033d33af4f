/**
 * The user-facing description of a linear Gaussian state-space model and its validation:
 *   x_0 ~ N(m0, P0),  x_t ~ N(A x_{t−1}, Q),  y_t ~ N(C x_t, R),
 * where each noise is known (a covariance) or learnt (an isotropic precision λ I with a Gamma prior,
 * or a full precision with a Wishart prior). Validation happens here, once, not in the kernels.
 */
import { VireoError, checkGaussianChain, type GaussianChainParams } from "@vireo/core";
import { isotropicNoisePrecision, fullNoisePrecision, type NoisePrecision } from "./noise-precision.js";

export type NoiseSpec =
  | { readonly covariance: ArrayLike<number> }
  | { readonly gamma: { readonly shape: number; readonly rate: number } }
  | { readonly wishart: { readonly df: number; readonly scale: ArrayLike<number> } };

export interface LgssmSpec {
  /** d×d transition matrix A, row-major. */
  readonly transition: ArrayLike<number>;
  /** p×d observation matrix C, row-major. */
  readonly observation: ArrayLike<number>;
  readonly initialMean: ArrayLike<number>;
  readonly initialCovariance: ArrayLike<number>;
  readonly transitionNoise: NoiseSpec;
  readonly observationNoise: NoiseSpec;
}

/** A noise term after validation: a known covariance, or a learnt precision (its prior and q's operations). */
export type ResolvedNoise =
  | { readonly kind: "known"; readonly n: number; readonly covariance: Float64Array }
  | { readonly kind: "learnt"; readonly n: number; readonly precision: NoisePrecision };

export interface ResolvedLgssm {
  readonly d: number;
  readonly p: number;
  /** The chain with the known covariances, or placeholders (identity) for learnt ones. */
  readonly chain: GaussianChainParams;
  readonly transitionNoise: ResolvedNoise;
  readonly observationNoise: ResolvedNoise;
}

function vec(x: ArrayLike<number> | undefined, name: string, where: string): Float64Array {
  if (x == null || typeof x.length !== "number") {
    throw new VireoError("INVALID_MODEL", `${where}: '${name}' is missing; expected a row-major array of numbers.`, { parameter: name });
  }
  return Float64Array.from(x);
}

function sqrtSize(len: number, name: string, where: string): number {
  const n = Math.round(Math.sqrt(len));
  if (n < 1 || n * n !== len) {
    throw new VireoError("DIMENSION_MISMATCH", `${where}: '${name}' must be a square row-major matrix; its length ${len} is not a perfect square.`, { parameter: name });
  }
  return n;
}

function identity(n: number): Float64Array {
  const I = new Float64Array(n * n);
  for (let i = 0; i < n; i++) I[i * n + i] = 1;
  return I;
}

function resolveNoise(spec: NoiseSpec | undefined, n: number, name: string, where: string): ResolvedNoise {
  const ctx = `${where}: ${name}`;
  if (spec != null && "covariance" in spec) {
    const cov = vec(spec.covariance, `${name}.covariance`, where);
    if (cov.length !== n * n) {
      throw new VireoError("DIMENSION_MISMATCH", `${ctx}.covariance has length ${cov.length}; expected ${n}×${n} = ${n * n}.`, { parameter: name });
    }
    return { kind: "known", n, covariance: cov };
  }
  if (spec != null && "gamma" in spec) {
    try {
      return { kind: "learnt", n, precision: isotropicNoisePrecision(n, spec.gamma) };
    } catch (e) {
      throw new VireoError("INVALID_MODEL", `${ctx}.gamma prior: ${(e as Error).message}`, { parameter: name });
    }
  }
  if (spec != null && "wishart" in spec) {
    try {
      return { kind: "learnt", n, precision: fullNoisePrecision(n, spec.wishart) };
    } catch (e) {
      throw new VireoError("INVALID_MODEL", `${ctx}.wishart prior (a ${n}×${n} precision): ${(e as Error).message}`, { parameter: name });
    }
  }
  throw new VireoError(
    "INVALID_MODEL",
    `${ctx} must be { covariance }, { gamma: { shape, rate } } or { wishart: { df, scale } }, got ${JSON.stringify(spec)}.`,
    { parameter: name },
  );
}

/** Validates a spec and returns the resolved model; errors name the parameter and the fix. */
export function resolveLgssm(spec: LgssmSpec, where = "LGSSM"): ResolvedLgssm {
  const A = vec(spec.transition, "transition", where);
  const d = sqrtSize(A.length, "transition", where);
  const C = vec(spec.observation, "observation", where);
  if (C.length % d !== 0 || C.length === 0) {
    throw new VireoError("DIMENSION_MISMATCH", `${where}: 'observation' (C) has length ${C.length}, not a multiple of the state dimension d = ${d}; expected p×${d}.`, { parameter: "observation" });
  }
  const p = C.length / d;
  const transitionNoise = resolveNoise(spec.transitionNoise, d, "transitionNoise", where);
  const observationNoise = resolveNoise(spec.observationNoise, p, "observationNoise", where);
  const chain: GaussianChainParams = {
    d, p, transition: A, observation: C,
    transitionCovariance: transitionNoise.kind === "known" ? transitionNoise.covariance : identity(d),
    observationCovariance: observationNoise.kind === "known" ? observationNoise.covariance : identity(p),
    initialMean: vec(spec.initialMean, "initialMean", where),
    initialCovariance: vec(spec.initialCovariance, "initialCovariance", where),
  };
  checkGaussianChain(chain, where);
  return { d, p, chain, transitionNoise, observationNoise };
}

