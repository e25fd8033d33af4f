/**
 * Data-seeded start for mixtures (the k-means++ idea without the weighting): each component's
 * location starts at a different randomly chosen data row, keeping the spread of its starting q.
 * Soft random responsibilities alone put every component mean at the global mean, from where
 * well-separated clusters part only slowly; seeded means give the first responsibilities a real
 * partition of the data. Which edge seeds which is the node's claim (NodeType.seeds); how a
 * value becomes a location is the family's (ExponentialFamily.seedAt).
 */
import type { Generator } from "@vireo/core";
import { SELECTOR_EDGE } from "@vireo/nodes";
import type { CompiledState, VariableState } from "./state.js";

/**
 * Seeds the per-component parameters of every mixture whose node declares a seeding rule, whose
 * data edge is observed and whose parameter has the data's dimension, unless the user gave a start
 * for those parameters or the selector. Returns the selectors of the seeded mixtures (to be
 * updated before the first sweep).
 */
export function seedMixtureComponents(state: CompiledState, rng: Generator, userInitialised: ReadonlySet<string> = new Set()): VariableState[] {
  const selectors: VariableState[] = [];
  for (const f of state.factors) {
    const seeds = f.spec.type.seeds;
    const selectorBinding = f.spec.edges[SELECTOR_EDGE];
    if (seeds === undefined || selectorBinding === undefined) continue;
    for (const [param, dataEdge] of Object.entries(seeds)) {
      if (!f.spec.componentEdges.includes(param) || !f.spec.edges[dataEdge]) continue;
      const out = state.variables.get(f.spec.edges[dataEdge]!.variable)!, mean = state.variables.get(f.spec.edges[param]!.variable)!;
      const selector = state.variables.get(selectorBinding.variable)!;
      // The data must have the parameter's dimension (a NormalWishart(d) component is located by an MvNormal(d) row).
      if (!out.known || mean.known || selector.known || out.family === null || out.family.dim !== mean.family?.dim || out.count < mean.count) continue;
      if (userInitialised.has(mean.name) || userInitialised.has(selector.name)) continue;
      const rows = pickDistinct(rng, out.count, mean.count);
      rows.forEach((r, k) => seedInstance(mean, k, out.values, r * out.spec.valueSize));
      selectors.push(selector);
      break;
    }
  }
  return selectors;
}

function pickDistinct(rng: Generator, n: number, k: number): number[] {
  const chosen = new Set<number>();
  while (chosen.size < k) chosen.add(rng.integer(n));
  return [...chosen];
}

/** Moves instance k of `v` to the data value at values[offset ..), keeping its spread. */
function seedInstance(v: VariableState, k: number, values: Float64Array, offset: number): void {
  const f = v.family!, o = k * v.size;
  const eta = v.eta.subarray(o, o + v.size);
  if (!f.seedAt(eta, values, offset)) return;
  f.expectedStats(eta, v.stats.subarray(o, o + v.size));
  v.changes.markChanged(v.stats);
}
