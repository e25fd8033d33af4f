/**
 * The user-facing description of a hidden Markov model for VbHmm, its validation, the default
 * priors and the deterministic symmetry-breaking initialisation of the emission posteriors.
 */
import { VireoError, fmt, Generator, Normal, Gamma, sampleGamma } from "@vireo/core";
import { CategoricalEmission } from "@vireo/nodes";

export type HmmEmissionSpec =
  | { readonly kind: "categorical"; readonly symbols: number; readonly prior?: number | ArrayLike<number> }
  | {
      readonly kind: "gaussian";
      /** Prior μ_k ~ N(mean, variance), τ_k ~ Gamma(shape, rate); defaults scale to the data. */
      readonly prior?: { readonly mean?: number; readonly variance?: number; readonly shape?: number; readonly rate?: number };
    };

export interface HmmSpec {
  readonly states: number;
  /** Dirichlet concentration of π (a number for symmetric, or K values); default 1. */
  readonly initialPrior?: number | ArrayLike<number>;
  /** Dirichlet concentrations of the transition rows (a number, or K×K values); default 1. */
  readonly transitionPrior?: number | ArrayLike<number>;
  readonly emission: HmmEmissionSpec;
  /** Seed of the symmetry-breaking initialisation (categorical emissions); default 0. */
  readonly seed?: number;
}

export interface ResolvedHmm {
  readonly K: number;
  readonly T: number;
  readonly y: Float64Array;
  readonly emission: "categorical" | "gaussian";
  readonly symbols: number;
  readonly initialPrior: Float64Array;
  readonly transitionPrior: Float64Array;
  /** Categorical: K×M Dirichlet η. Gaussian: K×2 Normal η of μ_k. */
  readonly emissionPrior: Float64Array;
  /** Gaussian: K×2 Gamma η of τ_k (empty for categorical). */
  readonly precisionPrior: Float64Array;
  /** The starting q of the emission means / rows (breaks the symmetry between states). */
  readonly emissionInit: Float64Array;
}

function concentrations(x: number | ArrayLike<number> | undefined, n: number, name: string, where: string): Float64Array {
  const out = typeof x === "number" || x === undefined ? new Float64Array(n).fill(x ?? 1) : Float64Array.from(x);
  if (out.length !== n) {
    throw new VireoError("DIMENSION_MISMATCH", `${where}: '${name}' has ${out.length} concentrations; expected ${n} (or one number for a symmetric prior).`, { parameter: name });
  }
  for (let i = 0; i < n; i++) {
    if (!(out[i]! > 0 && Number.isFinite(out[i]!))) {
      throw new VireoError("INVALID_MODEL", `${where}: '${name}'[${i}] = ${fmt(out[i]!)}; Dirichlet concentrations must be finite and > 0.`, { parameter: name });
    }
    out[i] = out[i]! - 1; // natural parameter α − 1
  }
  return out;
}

export function resolveHmm(spec: HmmSpec, observations: ArrayLike<number>, where = "VbHmm"): ResolvedHmm {
  const K = spec.states;
  if (!(Number.isInteger(K) && K >= 2)) {
    throw new VireoError("INVALID_MODEL", `${where}: 'states' must be an integer ≥ 2, got ${K}.`, { parameter: "states" });
  }
  const T = observations.length;
  if (!(T >= 1)) throw new VireoError("INVALID_DATA", `${where}: expected at least one observation, got ${T}.`, { field: "y" });
  const y = new Float64Array(T);
  for (let t = 0; t < T; t++) {
    const v = observations[t]!;
    if (typeof v !== "number" || !Number.isFinite(v)) {
      throw new VireoError("INVALID_DATA", `${where}: observation ${t} is ${typeof v === "number" ? fmt(v) : typeof v}; expected a finite number. Remove or impute missing values first.`, { row: t, field: "y" });
    }
    y[t] = v;
  }
  const initialPrior = concentrations(spec.initialPrior, K, "initialPrior", where);
  const transitionPrior = concentrations(spec.transitionPrior, K * K, "transitionPrior", where);
  const em = spec.emission;
  if (em?.kind === "categorical") {
    const M = em.symbols;
    if (!(Number.isInteger(M) && M >= 2)) {
      throw new VireoError("INVALID_MODEL", `${where}: emission.symbols must be an integer ≥ 2, got ${M}.`, { parameter: "emission.symbols" });
    }
    CategoricalEmission.checkSymbols(y, M);
    const emissionPrior = concentrations(em.prior, K * M, "emission.prior", where);
    // Seeded random pseudo-counts of total ~T/K per state so the states start apart.
    const rng = new Generator(spec.seed ?? 0);
    const emissionInit = emissionPrior.map((e) => e + (sampleGamma(rng, 1) * T) / (K * M));
    return { K, T, y, emission: "categorical", symbols: M, initialPrior, transitionPrior, emissionPrior, precisionPrior: new Float64Array(0), emissionInit };
  }
  if (em?.kind !== "gaussian") {
    throw new VireoError("INVALID_MODEL", `${where}: emission must be { kind: "categorical", symbols } or { kind: "gaussian" }, got ${JSON.stringify(em)}.`, { parameter: "emission" });
  }
  let mean = 0, sq = 0;
  for (let t = 0; t < T; t++) mean += y[t]! / T;
  for (let t = 0; t < T; t++) sq += (y[t]! - mean) ** 2 / T;
  const v = sq > 0 ? sq : 1;
  const pr = em.prior ?? {};
  let mu: Float64Array, tau: Float64Array;
  try {
    mu = Normal.toNatural({ mean: pr.mean ?? mean, variance: pr.variance ?? 100 * v });
    tau = Gamma.toNatural({ shape: pr.shape ?? 1, rate: pr.rate ?? v });
  } catch (e) {
    throw new VireoError("INVALID_MODEL", `${where}: emission.prior: ${(e as Error).message}`, { parameter: "emission.prior" });
  }
  const emissionPrior = new Float64Array(2 * K), precisionPrior = new Float64Array(2 * K), emissionInit = new Float64Array(2 * K);
  // Start the state means at the data's K quantiles: a deterministic, order-breaking start.
  const sorted = Float64Array.from(y).sort();
  for (let k = 0; k < K; k++) {
    emissionPrior.set(mu, 2 * k);
    precisionPrior.set(tau, 2 * k);
    emissionInit.set(Normal.toNatural({ mean: sorted[Math.min(T - 1, Math.floor(((k + 0.5) / K) * T))]!, variance: v / (K * K) }), 2 * k);
  }
  return { K, T, y, emission: "gaussian", symbols: 0, initialPrior, transitionPrior, emissionPrior, precisionPrior, emissionInit };
}
