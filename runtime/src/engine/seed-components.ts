/**
 * Data-seeded start for mixtures (the k-means++ idea without the weighting): each component's
 * mean starts at a different randomly chosen data row, keeping the precision of its starting q.
 * Soft random responsibilities alone put every component mean at the global mean, from where
 * well-separated clusters part only slowly; seeded means give the first responsibilities a real
 * partition of the data.
 */
import { Generator, MvNormal, type MvNormalFamily, type ExponentialFamily } from "@vireo/core";
import { markChanged } from "@vireo/nodes";
import type { CompiledState, VariableState } from "./state.js";

/**
 * Seeds the component means of every mixture whose `out` edge is observed and whose per-component
 * `mean` edge has the same family, unless the user gave a start for those means or the selector.
 * Returns the selectors of the seeded mixtures (to be updated before the first sweep).
 */
export function seedMixtureComponents(state: CompiledState, rng: Generator, userInitialised: ReadonlySet<string> = new Set()): VariableState[] {
  const selectors: VariableState[] = [];
  for (const f of state.factors) {
    if (!f.spec.componentEdges.includes("mean") || !f.spec.edges.out) continue;
    const out = state.variables.get(f.spec.edges.out.variable)!, mean = state.variables.get(f.spec.edges.mean!.variable)!;
    const selector = state.variables.get(f.spec.edges.selector!.variable)!;
    if (!out.known || mean.known || selector.known || out.family?.name !== mean.family?.name || out.count < mean.count) continue;
    if (userInitialised.has(mean.name) || userInitialised.has(selector.name)) continue;
    const rows = pickDistinct(rng, out.count, mean.count);
    rows.forEach((r, k) => seedInstance(mean, k, out.values.subarray(r * out.spec.valueSize, (r + 1) * out.spec.valueSize)));
    selectors.push(selector);
  }
  return selectors;
}

function pickDistinct(rng: Generator, n: number, k: number): number[] {
  const chosen = new Set<number>();
  while (chosen.size < k) chosen.add(rng.integer(n));
  return [...chosen];
}

/** Moves instance k of a Normal/MvNormal variable to mean `x`, keeping its precision. */
function seedInstance(v: VariableState, k: number, x: Float64Array): void {
  const f = v.family as ExponentialFamily, o = k * v.size;
  const eta = v.eta.subarray(o, o + v.size);
  if (f.name === "Normal") {
    eta[0] = -2 * eta[1]! * x[0]!;
  } else if (f.name === "MvNormal") {
    const fam = MvNormal(f.dim) as MvNormalFamily;
    eta.set(fam.fromMeanPrecision(x, fam.precision(eta)));
  } else return;
  f.expectedStats(eta, v.stats.subarray(o, o + v.size));
  markChanged(v.stats);
}
