/**
 * A Bayesian neural network as a graph model: the layers are random variables of the ModelBuilder
 * graph (one plated Normal per layer, (inputs + 1) × outputs values, fitted by a mean-field
 * Gaussian q through the dense-network node's moment form: the local reparameterisation trick;
 * or, for a network with weights: "point", by a point-mass q: the MAP network, with a point τ),
 * with a Gaussian prior whose precision is fixed (1/priorSd²) or learnt (a Gamma per layer, in
 * closed form), and, for regression, a learnt observation precision τ ~ Gamma (fitted by gradients
 * on the log scale). `cavi`, `svi()` and `SviEngine` fit it like any other graph model;
 * `bnnFitFromGraph` turns the fitted posteriors into the kit's `BnnFit`, so `predictBnn` and the
 * calibration tables serve both.
 *
 *   const graph = bnnModel(bnn({ inputs: 8, hidden: [16], likelihood: "gaussian" }));
 *   const data = standardiseBnnData(graph.network, { x, y });
 *   const fit = cavi(graph.model, { data: data.binding, gradient: { samples: 2 } });
 *   const pred = predictBnn(bnnFitFromGraph(graph, fit.posteriors, data.scales), xTest);
 */
import { VireoError, Generator, Normal, Gamma, Bernoulli, meanFieldGaussian, pointMass, initialiseWeights, fmt } from "@vireo/core";
import { NormalNode, GammaNode, denseNetworkNode } from "@vireo/nodes";
import { ModelBuilder } from "../model/builder.js";
import type { Model } from "../model/spec.js";
import type { Posterior } from "../engine/posterior.js";
import type { BnnNetwork } from "./network.js";
import type { BnnData, BnnFit, BnnScales } from "./trainer.js";
import { checkInputs, checkTargets, columnScales } from "./data.js";
import { checkOptions } from "../engine/options.js";

export interface BnnGraphOptions {
  /** Observation noise of a regression: "learnt" (a Gamma precision τ, default) or a known sd in standardised units. */
  readonly noise?: "learnt" | number;
  /** Gamma(shape, rate) prior of τ (default { shape: 1, rate: 0.1 }: weak, standardised responses). */
  readonly noisePrior?: { readonly shape: number; readonly rate: number };
  /** Prior precision of each layer's values: "fixed" at 1/priorSd² (default) or "learnt" (a Gamma per layer). */
  readonly priorPrecision?: "fixed" | "learnt";
  /** Gamma(shape, rate) prior of a learnt layer precision (default { shape: 1, rate: 1 }). */
  readonly precisionPrior?: { readonly shape: number; readonly rate: number };
  /** Seed of the initial weight means (default 0). */
  readonly seed?: number;
}

/** The graph of a network and the names of its parts. */
export interface BnnGraph {
  readonly model: Model;
  readonly network: BnnNetwork;
  /** Layer variables, input to output ("layer0", ...). */
  readonly layers: readonly string[];
  /** The observation precision variable ("noisePrecision"), or null (classifier, or known noise). */
  readonly noise: string | null;
  /** The known noise sd (standardised units) when `noise` was given as a number. */
  readonly knownNoiseSd: number | null;
}

const GRAPH_OPTIONS: Record<string, (v: unknown, fail: (m: string) => never) => void> = {
  noise: (v, fail) => {
    if (v !== "learnt" && !(typeof v === "number" && v > 0 && Number.isFinite(v))) fail(`must be "learnt" or a known noise sd > 0, got ${JSON.stringify(v)}.`);
  },
  noisePrior: (v, fail) => gammaPrior(v, fail),
  priorPrecision: (v, fail) => {
    if (v !== "fixed" && v !== "learnt") fail(`must be "fixed" or "learnt", got ${JSON.stringify(v)}.`);
  },
  precisionPrior: (v, fail) => gammaPrior(v, fail),
  seed: (v, fail) => {
    if (typeof v !== "number" || !Number.isSafeInteger(v)) fail(`must be an integer, got ${JSON.stringify(v)}.`);
  },
};

function gammaPrior(v: unknown, fail: (m: string) => never): void {
  const p = v as { shape?: unknown; rate?: unknown } | null;
  const ok = (x: unknown) => typeof x === "number" && x > 0 && Number.isFinite(x);
  if (p === null || typeof p !== "object" || !ok(p.shape) || !ok(p.rate)) fail(`must be { shape > 0, rate > 0 }, got ${JSON.stringify(v)}.`);
}

/** The graph model of `net` (see the file comment); data names: x (rows × inputs), y. */
export function bnnModel(net: BnnNetwork, options: BnnGraphOptions = {}): BnnGraph {
  const where = "bnnModel";
  checkOptions(where, options, GRAPH_OPTIONS, "{ noise: \"learnt\", priorPrecision: \"fixed\" }");
  if (net === null || typeof net !== "object" || !Array.isArray(net.layers)) {
    throw new VireoError("INVALID_OPTION", `${where}: expected a network from bnn({ inputs, hidden, likelihood }).`);
  }
  // Point weights: a point-mass q per layer (MAP under the same prior), read by the node as its
  // value with zero variance (the network's plain forward map).
  const point = net.weights === "point";
  const gaussian = net.likelihood === "gaussian";
  const rng = new Generator(options.seed ?? 0);
  const m = new ModelBuilder();
  const rows = m.plate("rows");
  const x = m.input("x", { plate: rows, size: net.inputs });
  const y = m.observed("y", gaussian ? Normal : Bernoulli, { plate: rows });
  const layers: string[] = [];
  const edges: Record<string, unknown> = { x, y };
  net.layers.forEach((l, i) => {
    const name = `layer${i}`;
    // The network's own initialiser for the weight means (He / Glorot), biases 0.
    const mean = new Float64Array(l.weights);
    initialiseWeights(net.init, l.inputs, l.outputs, rng, mean, 0);
    mean.fill(0, l.inputs * l.outputs);
    const w = m.random(name, Normal, { plate: m.plate(`${name}Values`, l.weights), q: point ? pointMass({ value: mean }) : meanFieldGaussian({ mean, sd: net.initialSd }) });
    const precision = options.priorPrecision === "learnt"
      ? m.random(`${name}Precision`, Gamma)
      : 1 / (net.priorSd * net.priorSd);
    if (typeof precision !== "number") {
      const p = options.precisionPrior ?? { shape: 1, rate: 1 };
      m.factor(GammaNode, { out: precision, shape: p.shape, rate: p.rate }, { name: `${name}PrecisionPrior` });
    }
    m.factor(NormalNode, { out: w, mean: 0, precision }, { name: `${name}Prior` });
    edges[name] = w;
    layers.push(name);
  });
  let noise: string | null = null, knownNoiseSd: number | null = null;
  if (gaussian) {
    if (typeof options.noise === "number") {
      knownNoiseSd = options.noise;
      edges.precision = m.constant("noisePrecision", 1 / (options.noise * options.noise), Gamma);
    } else {
      // A MAP network takes a point τ too (on the log scale, through Gamma's bijector).
      const tau = point ? m.random("noisePrecision", Gamma, { q: pointMass() }) : m.random("noisePrecision", Gamma);
      const p = options.noisePrior ?? { shape: 1, rate: 0.1 };
      m.factor(GammaNode, { out: tau, shape: p.shape, rate: p.rate }, { name: "noisePrior" });
      edges.precision = tau;
      noise = "noisePrecision";
    }
  }
  const node = denseNetworkNode({ inputs: net.inputs, hidden: net.hidden, activation: net.activation, likelihood: net.likelihood });
  m.factor(node, edges as Parameters<ModelBuilder["factor"]>[1], { name: "likelihood" });
  return Object.freeze({ model: m.build(), network: net, layers: Object.freeze(layers), noise, knownNoiseSd });
}

/** Training data standardised as the kit does (columns of x, and y of a regression), with the scales to map back. */
export interface StandardisedBnnData {
  readonly binding: { readonly x: Float64Array; readonly y: Float64Array };
  readonly scales: BnnScales;
  readonly rows: number;
}

/** Checks and standardises `data` for `net` (x by column, a regression's y), as fitBnn does. */
export function standardiseBnnData(net: BnnNetwork, data: BnnData, scales?: BnnScales): StandardisedBnnData {
  const where = "standardiseBnnData";
  if (data === null || typeof data !== "object") throw new VireoError("INVALID_DATA", `${where}: expected data { x, y }.`);
  const { x, rows } = checkInputs(data.x, net.inputs, where);
  const y = checkTargets(data.y, rows, net.likelihood === "bernoulli", where);
  const D = net.inputs;
  let s = scales;
  if (s === undefined) {
    const cs = columnScales(x, rows, D);
    let yMean = 0, ySd = 1;
    if (net.likelihood === "gaussian") {
      const ys = columnScales(y, rows, 1);
      yMean = ys.mean[0]!;
      ySd = ys.sd[0]!;
    }
    s = Object.freeze({ xMean: cs.mean, xSd: cs.sd, yMean, ySd });
  }
  for (let n = 0; n < rows; n++) for (let j = 0; j < D; j++) x[n * D + j] = (x[n * D + j]! - s.xMean[j]!) / s.xSd[j]!;
  for (let n = 0; n < rows; n++) y[n] = (y[n]! - s.yMean) / s.ySd;
  return { binding: { x, y }, scales: s, rows };
}

/**
 * The kit's `BnnFit` from a graph fit's posteriors: each layer's [μ, ρ = log σ] and, for a
 * regression, log σ_y = −½ log E_q[τ] (or the known sd); `predictBnn` then samples networks from q.
 */
export function bnnFitFromGraph(graph: BnnGraph, posteriors: Readonly<Record<string, Posterior>>, scales: BnnScales, progress: { steps?: number; skipped?: number; trace?: readonly number[] } = {}): BnnFit {
  const net = graph.network, params = new Float64Array(net.nParams);
  net.layers.forEach((l, i) => {
    const p = posteriors[graph.layers[i]!];
    if (p === undefined) throw new VireoError("INVALID_OPTION", `bnnFitFromGraph: no posterior for layer variable '${graph.layers[i]}'; pass the fit's posteriors (result.posteriors or engine.posteriors()).`, { variable: graph.layers[i] });
    const mean = p.mean(), variance = p.variance();
    if (mean.length !== l.weights) throw new VireoError("DIMENSION_MISMATCH", `bnnFitFromGraph: '${graph.layers[i]}' has ${mean.length} values, the network's layer ${i} ${l.weights}.`, { variable: graph.layers[i] });
    for (let k = 0; k < l.weights; k++) {
      params[l.offset + k] = mean[k]!;
      if (l.size === 2 * l.weights) params[l.offset + l.weights + k] = 0.5 * Math.log(variance[k]!);
    }
  });
  if (net.noiseIndex >= 0) {
    if (graph.noise !== null) {
      const tau = posteriors[graph.noise]?.mean()[0];
      if (!(tau !== undefined && tau > 0)) throw new VireoError("INVALID_OPTION", `bnnFitFromGraph: no usable posterior for '${graph.noise}' (E[τ] = ${fmt(tau ?? NaN)}).`, { variable: graph.noise });
      params[net.noiseIndex] = -0.5 * Math.log(tau);
    } else params[net.noiseIndex] = Math.log(graph.knownNoiseSd!);
  }
  return Object.freeze({ network: net, params, scales, steps: progress.steps ?? 0, skipped: progress.skipped ?? 0, trace: progress.trace ?? [] });
}
