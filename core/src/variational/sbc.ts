/**
 * Simulation-based calibration (Talts, Betancourt, Simpson, Vehtari & Gelman 2018): for n = 1..N,
 * draw θ̃ from the prior, simulate data from θ̃, fit, take L posterior draws, and record the rank of
 * θ̃ among them (the number of draws below it, 0..L). An inference setup that returns the true
 * posterior gives ranks uniform on {0, …, L}; too-narrow posteriors give ∪-shaped histograms, biased
 * ones slanted histograms. Uniformity is checked per parameter with a χ² test over equal-width bins
 * of ranks (Bonferroni over parameters).
 */
import { VireoError } from "../errors.js";
import { gammaQ } from "../special/incomplete.js";
import { Generator } from "../random/generator.js";

export interface SbcOptions<Data> {
  /** Prior-simulate-fit replications N (default 200). */
  readonly simulations?: number;
  /** Posterior draws L per fit (default 99, so ranks take 100 values). */
  readonly posteriorDraws?: number;
  /** Histogram bins; must divide L + 1 (default: the largest divisor of L + 1 that is ≤ min(20, N/5)). */
  readonly bins?: number;
  /** Significance level of the uniformity test, before the Bonferroni split over parameters (default 0.01). */
  readonly level?: number;
  readonly seed?: number;
  /** Names of the scalar parameters, in the order `prior` and `fit` lay them out. */
  readonly parameters: readonly string[];
  /** θ̃ ~ prior (length P). */
  prior(rng: Generator): ArrayLike<number>;
  /** Data simulated from θ̃. */
  simulate(theta: ArrayLike<number>, rng: Generator): Data;
  /** L posterior draws of the P parameters given the data, row-major L×P. */
  fit(data: Data, rng: Generator, draws: number, replication: number): ArrayLike<number>;
}

export interface SbcParameterResult {
  readonly name: string;
  /** Rank of θ̃ in each replication (0..L). */
  readonly ranks: Int32Array;
  /** Counts per bin. */
  readonly histogram: Int32Array;
  readonly chiSquare: number;
  readonly pValue: number;
}

export interface SbcResult {
  readonly simulations: number;
  readonly posteriorDraws: number;
  readonly bins: number;
  readonly parameters: readonly SbcParameterResult[];
  /** Every parameter's p-value is above level / P. */
  readonly pass: boolean;
  readonly level: number;
}


/** P(χ²_df ≥ x). */
export function chiSquareSurvival(x: number, df: number): number {
  return gammaQ(df / 2, x / 2);
}

export function sbc<Data>(options: SbcOptions<Data>): SbcResult {
  const N = options.simulations ?? 200, L = options.posteriorDraws ?? 99, level = options.level ?? 0.01;
  const names = options.parameters, P = names?.length ?? 0;
  if (!Number.isInteger(N) || N < 10) throw new VireoError("INVALID_OPTION", `sbc: 'simulations' must be an integer ≥ 10, got ${N}.`, { parameter: "simulations" });
  if (!Number.isInteger(L) || L < 1) throw new VireoError("INVALID_OPTION", `sbc: 'posteriorDraws' must be a positive integer, got ${L}.`, { parameter: "posteriorDraws" });
  if (P === 0) throw new VireoError("INVALID_OPTION", "sbc: list the scalar parameters to check in 'parameters'.", { parameter: "parameters" });
  if (!(level > 0 && level < 1)) throw new VireoError("INVALID_OPTION", `sbc: 'level' must be in (0, 1), got ${level}.`, { parameter: "level" });
  let B = options.bins ?? 0;
  if (options.bins === undefined) {
    const cap = Math.max(2, Math.min(20, Math.floor(N / 5)));
    for (let b = cap; b >= 2; b--) if ((L + 1) % b === 0) { B = b; break; }
    if (B === 0) throw new VireoError("INVALID_OPTION", `sbc: no bin count ≤ ${cap} divides L + 1 = ${L + 1}; choose posteriorDraws so that L + 1 has a small divisor (e.g. 99) or give 'bins'.`, { parameter: "bins" });
  } else if (!Number.isInteger(B) || B < 2 || (L + 1) % B !== 0) {
    throw new VireoError("INVALID_OPTION", `sbc: 'bins' must be an integer ≥ 2 dividing L + 1 = ${L + 1}, got ${B}.`, { parameter: "bins" });
  }
  const rng = new Generator(options.seed ?? 0);
  const ranks = names.map(() => new Int32Array(N));
  for (let n = 0; n < N; n++) {
    const theta = Float64Array.from(options.prior(rng));
    if (theta.length !== P) throw new VireoError("DIMENSION_MISMATCH", `sbc: prior returned ${theta.length} values for ${P} parameters (${names.join(", ")}).`, { row: n });
    const data = options.simulate(theta, rng);
    const draws = options.fit(data, rng, L, n);
    if (draws.length !== L * P) {
      throw new VireoError("DIMENSION_MISMATCH", `sbc: fit returned ${draws.length} values in replication ${n}; expected L×P = ${L}×${P} (row-major: draw by draw).`, { row: n });
    }
    for (let p = 0; p < P; p++) {
      let r = 0;
      for (let l = 0; l < L; l++) if (draws[l * P + p]! < theta[p]!) r++;
      ranks[p]![n] = r;
    }
  }
  const width = (L + 1) / B, expected = N / B;
  const parameters = names.map((name, p) => {
    const histogram = new Int32Array(B);
    for (const r of ranks[p]!) histogram[Math.floor(r / width)]++;
    let chi = 0;
    for (const c of histogram) chi += (c - expected) ** 2 / expected;
    return { name, ranks: ranks[p]!, histogram, chiSquare: chi, pValue: chiSquareSurvival(chi, B - 1) };
  });
  return { simulations: N, posteriorDraws: L, bins: B, parameters, pass: parameters.every((r) => r.pValue > level / P), level };
}
