/**
 * Posterior predictive simulation: draw the latent variables from q (independently, as the
 * mean-field posterior says), hand them to the user's simulator of new data, repeat.
 */
import { VireoError, type Generator } from "@vireo/core";
import type { Posterior } from "./posterior.js";

/** One draw of the latents: a value per variable (an array of values for plated variables). */
export type LatentDraw = Readonly<Record<string, number | Float64Array | readonly (number | Float64Array)[]>>;

export interface PredictiveOptions {
  readonly rng: Generator;
  /** Number of posterior draws (default 1000). */
  readonly draws?: number;
  /** Variables to draw (default: every posterior given). */
  readonly variables?: readonly string[];
}

/**
 * `draws` simulated outcomes: each from `simulate(latents, rng)` with latents drawn from q.
 * E.g. `posteriorPredictive(result.posteriors, ({ mu, tau }, rng) => mu + sampleStandardNormal(rng) / Math.sqrt(tau), { rng })`.
 */
export function posteriorPredictive<T>(
  posteriors: Readonly<Record<string, Posterior>>,
  simulate: (latents: LatentDraw, rng: Generator) => T,
  options: PredictiveOptions,
): T[] {
  const draws = options.draws ?? 1000;
  if (!(Number.isInteger(draws) && draws >= 1)) throw new VireoError("INVALID_OPTION", `posteriorPredictive: draws must be a positive integer, got ${draws}.`);
  const names = options.variables ?? Object.keys(posteriors);
  for (const n of names) {
    if (!posteriors[n]) throw new VireoError("UNKNOWN_NAME", `posteriorPredictive: no posterior for '${n}'; available: ${Object.keys(posteriors).join(", ")}.`, { variable: n });
  }
  const out: T[] = [];
  for (let d = 0; d < draws; d++) {
    const latents: Record<string, number | Float64Array | (number | Float64Array)[]> = {};
    for (const n of names) {
      const q = posteriors[n]!;
      const count = q.family.coupledRows ? 1 : q.count;
      latents[n] = count === 1 ? (q.sample(options.rng) as number | Float64Array) : Array.from({ length: count }, (_, i) => q.sample(options.rng, i) as number | Float64Array);
    }
    out.push(simulate(latents, options.rng));
  }
  return out;
}
