/**
 * Data-seeded start for mixtures: each component's location starts at a k-means centre of the
 * data, keeping the spread of its starting q. Soft random responsibilities alone put every
 * component mean at the global mean, from where well-separated clusters part only slowly (or
 * settle in a poor optimum); seeded means give the first responsibilities a real partition.
 *
 * The centres: greedy k-means++ (Arthur & Vassilvitskii 2007; 2 + ⌊ln K⌋ candidates per step, the
 * one lowering the potential most kept, as scikit-learn does) on a random subsample of at most
 * SEED_SAMPLE rows, refined by Lloyd iterations; SEED_TRIALS such starts, the lowest within-cluster
 * sum of squares kept. Its cost does not grow with N beyond drawing the subsample. Which edge seeds
 * which is the node's claim (NodeType.seeds); how a value becomes a location is the family's
 * (ExponentialFamily.seedAt).
 */
import type { Generator } from "@vireo/core";
import { SELECTOR_EDGE } from "@vireo/nodes";
import type { CompiledState, VariableState } from "./state.js";

/** One mixture to seed: its data, the per-component parameter located by it, and its selector. */
interface SeedTarget {
  readonly out: VariableState;
  readonly param: VariableState;
  readonly selector: VariableState;
}

/**
 * The mixtures whose node declares a seeding rule, whose data edge is observed and whose
 * parameter has the data's dimension, unless the user gave a start for the parameter or the selector.
 */
function seedTargets(state: CompiledState, userInitialised: ReadonlySet<string>): SeedTarget[] {
  const targets: SeedTarget[] = [];
  for (const f of state.factors) {
    const seeds = f.spec.type.seeds;
    const selectorBinding = f.spec.edges[SELECTOR_EDGE];
    if (seeds === undefined || selectorBinding === undefined) continue;
    for (const [name, dataEdge] of Object.entries(seeds)) {
      if (!f.spec.componentEdges.includes(name) || !f.spec.edges[dataEdge]) continue;
      const out = state.variables.get(f.spec.edges[dataEdge]!.variable)!, param = state.variables.get(f.spec.edges[name]!.variable)!;
      const selector = state.variables.get(selectorBinding.variable)!;
      // The data must have the parameter's dimension (a NormalWishart(d) component is located by an MvNormal(d) row).
      if (!out.known || param.known || selector.known || out.family === null || out.family.dim !== param.family?.dim || out.count < param.count) continue;
      if (userInitialised.has(param.name) || userInitialised.has(selector.name)) continue;
      targets.push({ out, param, selector });
      break;
    }
  }
  return targets;
}

/**
 * Seeds the per-component parameters of every mixture that allows it (see seedTargets) at
 * k-means++ centres of its data. Returns the selectors of the seeded mixtures (to be updated
 * before the first sweep).
 */
export function seedMixtureComponents(state: CompiledState, rng: Generator, userInitialised: ReadonlySet<string> = new Set()): VariableState[] {
  return seedTargets(state, userInitialised).map(({ out, param, selector }) => {
    const dim = out.spec.valueSize, K = param.count;
    const centres = kmeansCentres(rng, out.values, dim, out.count, K);
    for (let k = 0; k < K; k++) seedInstance(param, k, centres, k * dim);
    return selector;
  });
}

/**
 * The selectors that seedMixtureComponents would seed (nothing changed): their random start is
 * wasted work, as their first update comes from the seeded components.
 */
export function seededSelectors(state: CompiledState, userInitialised: ReadonlySet<string> = new Set()): Set<string> {
  return new Set(seedTargets(state, userInitialised).map((t) => t.selector.name));
}

/**
 * Rows of the subsample the centres are computed on: ≥ 80 rows per centre up to K = 50, which
 * places k-means++ centres in every cluster of non-negligible weight; the seeding runs once per
 * fit on cold code, where every row costs (10 000 took about a third more of an N = 1M set-up).
 */
export const SEED_SAMPLE = 4096;
/** Independent k-means++ starts (each refined by Lloyd iterations); the best is kept. */
export const SEED_TRIALS = 3;
/** Lloyd iterations per start, at most. */
const LLOYD_ITERATIONS = 30;

/** K centres (K × dim) of the rows of `values` (count × dim), see the file's doc. */
export function kmeansCentres(rng: Generator, values: Float64Array, dim: number, count: number, K: number): Float64Array {
  // The subsample: every row when there are few, else SEED_SAMPLE rows drawn uniformly.
  const M = Math.min(count, SEED_SAMPLE);
  const x = new Float64Array(M * dim);
  for (let m = 0; m < M; m++) {
    const r = count <= SEED_SAMPLE ? m : rng.integer(count);
    for (let i = 0; i < dim; i++) x[m * dim + i] = values[r * dim + i]!;
  }
  let best: Float64Array | null = null, bestCost = Infinity;
  for (let trial = 0; trial < SEED_TRIALS; trial++) {
    const centres = greedyPlusPlus(rng, x, dim, M, K);
    const cost = lloyd(x, dim, M, K, centres);
    if (cost < bestCost || best === null) {
      best = centres;
      bestCost = cost;
    }
  }
  return best!;
}

function distance2(x: Float64Array, xo: number, c: Float64Array, co: number, dim: number): number {
  let s = 0;
  for (let i = 0; i < dim; i++) {
    const t = x[xo + i]! - c[co + i]!;
    s += t * t;
  }
  return s;
}

/** Greedy k-means++: each new centre the best of 2 + ⌊ln K⌋ draws ∝ D², by the potential it leaves. */
function greedyPlusPlus(rng: Generator, x: Float64Array, dim: number, M: number, K: number): Float64Array {
  const centres = new Float64Array(K * dim), d2 = new Float64Array(M), trialD2 = new Float64Array(M), bestD2 = new Float64Array(M);
  const candidates = 2 + Math.floor(Math.log(K));
  const first = rng.integer(M);
  centres.set(x.subarray(first * dim, (first + 1) * dim), 0);
  let potential = 0;
  for (let m = 0; m < M; m++) potential += d2[m] = distance2(x, m * dim, centres, 0, dim);
  for (let k = 1; k < K; k++) {
    let bestRow = -1, bestPotential = Infinity;
    for (let c = 0; c < candidates; c++) {
      // A row drawn with probability ∝ D² (uniformly if every row sits on a centre).
      let u = rng.uniform() * potential, row = M - 1;
      if (potential > 0) {
        for (let m = 0; m < M; m++) if ((u -= d2[m]!) < 0) { row = m; break; }
      } else row = rng.integer(M);
      let p = 0;
      for (let m = 0; m < M; m++) p += trialD2[m] = Math.min(d2[m]!, distance2(x, m * dim, x, row * dim, dim));
      if (p < bestPotential) {
        bestPotential = p;
        bestRow = row;
        bestD2.set(trialD2);
      }
    }
    centres.set(x.subarray(bestRow * dim, (bestRow + 1) * dim), k * dim);
    d2.set(bestD2);
    potential = bestPotential;
  }
  return centres;
}

/** Lloyd iterations in place until no row changes cluster; returns the final sum of squares. */
function lloyd(x: Float64Array, dim: number, M: number, K: number, centres: Float64Array): number {
  const assign = new Int32Array(M).fill(-1), sums = new Float64Array(K * dim), counts = new Float64Array(K);
  let cost = Infinity;
  for (let it = 0; it < LLOYD_ITERATIONS; it++) {
    let changed = 0;
    cost = 0;
    for (let m = 0; m < M; m++) {
      let bk = 0, bd = Infinity;
      for (let k = 0; k < K; k++) {
        const d = distance2(x, m * dim, centres, k * dim, dim);
        if (d < bd) {
          bd = d;
          bk = k;
        }
      }
      cost += bd;
      if (assign[m] !== bk) {
        assign[m] = bk;
        changed++;
      }
    }
    if (changed === 0) break;
    sums.fill(0);
    counts.fill(0);
    for (let m = 0; m < M; m++) {
      const k = assign[m]!;
      counts[k]++;
      for (let i = 0; i < dim; i++) sums[k * dim + i] += x[m * dim + i]!;
    }
    // An emptied cluster keeps its centre.
    for (let k = 0; k < K; k++) if (counts[k]! > 0) for (let i = 0; i < dim; i++) centres[k * dim + i] = sums[k * dim + i]! / counts[k]!;
  }
  return cost;
}

/** Moves instance k of `v` to the data value at values[offset ..), keeping its spread. */
function seedInstance(v: VariableState, k: number, values: Float64Array, offset: number): void {
  const f = v.family!, o = k * v.size;
  const eta = v.eta.subarray(o, o + v.size);
  if (!f.seedAt(eta, values, offset)) return;
  f.expectedStats(eta, v.stats.subarray(o, o + v.size));
  v.changes.markChanged(v.stats);
}
