/**
 * Training a Bayesian network: stochastic steps on the ELBO over shuffled minibatches,
 *
 *   ELBO ≈ (N/|B|) Σ_{n∈B} log p(y_n | a_n) − Σ_layers KL(q(θ_l) ‖ N(0, s²)) + (noise terms),
 *
 * where each row's output a_n is drawn by the local reparameterisation trick, layer by layer, and
 * the KL is exact. A point-estimate network maximises the same expression with the KL replaced by
 * −log p(θ) (MAP). Inputs (and the responses of a regression) are standardised with the training
 * data's column means and sds, so the prior N(0, s²) is on the scale of standardised data;
 * predictions are mapped back.
 *
 * The kit is sugar over the graph: the trainer builds `bnnModel(network)` (layers as graph
 * variables on the dense-network moment node, a Gamma noise precision τ with a weak Gamma(1, 0.1)
 * prior, fitted by a mean-field q on log τ, or a point τ for a MAP network) and steps it with
 * `SviEngine` (one local-noise draw per step, N/|B| scaling), one step per shuffled minibatch; the
 * layers and τ take one joint step per batch (engine/moment-group.ts). The fit's log σ_y is
 * −½ log E_q[τ]. The trainer is driven one step at a time (the bench and `fitBnn` loop over it).
 */
import { VireoError, Generator, adam, initialiseWeights, fmt, type Optimizer, type Schedule } from "@vireo/core";
import type { BnnNetwork } from "./network.js";
import { checkInputs, checkTargets, type BnnInputs, type BnnTargets } from "./data.js";
import { bnnModel, standardiseBnnData, bnnFitFromGraph, type BnnGraph } from "./graph.js";
import { SviEngine } from "../svi/svi-engine.js";
import { checkOptions } from "../engine/options.js";

type Check = (v: unknown, fail: (message: string) => never) => void;
const show = (v: unknown): string => (typeof v === "number" ? fmt(v) : typeof v === "function" ? "a function" : JSON.stringify(v) ?? String(v));
const count = (min: number): Check => (v, fail) => {
  if (typeof v !== "number" || !Number.isInteger(v) || v < min) fail(`must be an integer ≥ ${min}, got ${show(v)}.`);
};
const TRAIN_OPTIONS: Record<string, Check> = {
  batchSize: count(1),
  optimizer: (v, fail) => {
    if (v === null || typeof v !== "object" || typeof (v as { init?: unknown }).init !== "function") fail(`must be an optimiser such as adam({ lr: 0.01 }), got ${show(v)}.`);
  },
  schedule: (v, fail) => {
    if (v === null || typeof v !== "object" || typeof (v as { rate?: unknown }).rate !== "function") fail(`must be a learning-rate schedule such as cosineDecay(0.01, steps), got ${show(v)}.`);
  },
  klWarmup: count(0),
  seed: (v, fail) => {
    if (typeof v !== "number" || !Number.isSafeInteger(v)) fail(`must be an integer, got ${show(v)}.`);
  },
};
const FIT_OPTIONS: Record<string, Check> = {
  ...TRAIN_OPTIONS,
  epochs: count(1),
  onEpoch: (v, fail) => {
    if (typeof v !== "function") fail(`must be a function (epoch, objective) => void, got ${show(v)}.`);
  },
};

export interface BnnData {
  readonly x: BnnInputs;
  readonly y: BnnTargets;
}

export interface BnnTrainOptions {
  /** Rows per minibatch (default min(N, 128)). */
  readonly batchSize?: number;
  /** Default adam({ lr: 0.01 }). */
  readonly optimizer?: Optimizer;
  /** Learning rate by step (default: the optimiser's own rate; e.g. cosineDecay(0.01, steps) settles the last iterates). */
  readonly schedule?: Schedule;
  /**
   * Steps over which the prior's weight (the KL, or −log p(θ) for point weights) rises linearly
   * from 0 to 1 (default 0: the ELBO from the first step; the engine's gradient.klWeight). A
   * warm-up lets the network fit the data before the KL prunes hidden units (Sønderby et al.
   * 2016); the objective reported is the unweighted ELBO throughout.
   */
  readonly klWarmup?: number;
  /** Seed of the initial weights and the shuffles (the engine's noise is seeded seed + 1) (default 0). */
  readonly seed?: number;
}

export interface BnnStepReport {
  readonly step: number;
  /** Noisy estimate of the ELBO (Gaussian weights) or the log joint (point weights) before the step, standardised units. */
  readonly objective: number;
  /** False when a non-finite gradient made the step be skipped. */
  readonly applied: boolean;
}

/** How standardised values map back to the data's units: value = mean + sd · standardised. */
export interface BnnScales {
  readonly xMean: Float64Array;
  readonly xSd: Float64Array;
  /** 0 and 1 for classification. */
  readonly yMean: number;
  readonly ySd: number;
}

/** A trained network: the architecture, a copy of its parameters and the data scales. */
export interface BnnFit {
  readonly network: BnnNetwork;
  readonly params: Float64Array;
  readonly scales: BnnScales;
  /** Steps taken and steps skipped for a non-finite gradient. */
  readonly steps: number;
  readonly skipped: number;
  /** Mean objective per epoch (ELBO or log joint, standardised units), when fitted by `fitBnn`. */
  readonly trace: readonly number[];
}

/** Initial parameters: weight means from the network's initialiser (seeded), biases 0, ρ = log initialSd, log σ_y = 0. */
export function initialParams(net: BnnNetwork, rng: Generator, out = new Float64Array(net.nParams)): Float64Array {
  const logSd = Math.log(net.initialSd);
  for (const l of net.layers) {
    const nW = l.inputs * l.outputs;
    initialiseWeights(net.init, l.inputs, l.outputs, rng, out, l.offset);
    out.fill(0, l.offset + nW, l.offset + l.weights);
    if (l.size === 2 * l.weights) out.fill(logSd, l.offset + l.weights, l.offset + l.size);
  }
  if (net.noiseIndex >= 0) out[net.noiseIndex] = 0;
  return out;
}

export class BnnTrainer {
  readonly network: BnnNetwork;
  readonly rows: number;
  readonly batchSize: number;
  readonly scales: BnnScales;
  /** The graph the trainer steps (bnnModel of the network): its layers, τ and their q. */
  readonly graph: BnnGraph;
  /** The engine stepping the graph, one SVI step per minibatch (N/|B| scaling). */
  readonly engine: SviEngine;
  /** Generator of the minibatch shuffles (the engine has its own, seeded seed + 1, for the noise). */
  readonly rng: Generator;
  step = 0;
  skipped = 0;
  private readonly x: Float64Array;
  private readonly y: Float64Array;
  private readonly order: Int32Array;
  private cursor: number;
  private readonly xb: Float64Array;
  private readonly yb: Float64Array;
  private readonly full: { readonly x: Float64Array; readonly y: Float64Array };

  constructor(network: BnnNetwork, data: BnnData, options: BnnTrainOptions = {}) {
    this.network = network;
    const where = "BnnTrainer";
    checkOptions(where, options, TRAIN_OPTIONS, "{ batchSize: 64, seed: 1 }");
    if (network === null || typeof network !== "object" || !Array.isArray(network.layers)) {
      throw new VireoError("INVALID_OPTION", `${where}: expected a network from bnn({ inputs, hidden, likelihood }), got ${show(network)}.`);
    }
    if (data === null || typeof data !== "object") throw new VireoError("INVALID_DATA", `${where}: expected data { x, y }.`);
    const { rows } = checkInputs(data.x, network.inputs, where);
    checkTargets(data.y, rows, network.likelihood === "bernoulli", where);
    if (rows < 1) throw new VireoError("INVALID_DATA", `${where}: the training data have no rows.`, { field: "x" });
    const B = options.batchSize ?? Math.min(rows, 128);
    this.rows = rows;
    this.batchSize = Math.min(B, rows);
    // Inputs (and a regression's responses) standardised by the training columns, as the graph kit does.
    const std = standardiseBnnData(network, data);
    this.scales = std.scales;
    this.x = std.binding.x;
    this.y = std.binding.y;
    const seed = options.seed ?? 0;
    this.rng = new Generator(seed);
    this.graph = bnnModel(network, { seed });
    const warmup = options.klWarmup ?? 0;
    this.engine = new SviEngine(this.graph.model, {
      totalRows: rows, psis: false, seed: seed + 1,
      gradient: {
        samples: 1, optimizer: options.optimizer ?? adam({ lr: 0.01 }),
        ...(options.schedule ? { schedule: options.schedule } : {}),
        // KL warm-up: β = (t + 1) / (W + 1) on the layers' prior and entropy terms for the first W steps.
        ...(warmup > 0 ? { klWeight: (t: number) => (t < warmup ? (t + 1) / (warmup + 1) : 1) } : {}),
      },
    });
    this.order = Int32Array.from({ length: rows }, (_, i) => i);
    this.cursor = rows;
    const D = network.inputs;
    this.xb = new Float64Array(this.batchSize * D);
    this.yb = new Float64Array(this.batchSize);
    this.full = { x: this.xb, y: this.yb };
  }

  /** Minibatches per epoch. */
  get batchesPerEpoch(): number {
    return Math.ceil(this.rows / this.batchSize);
  }

  /** Copies the next minibatch into the batch buffers (reshuffling at each epoch); returns its size. */
  private nextBatch(): number {
    if (this.cursor >= this.rows) {
      const o = this.order;
      for (let i = o.length - 1; i > 0; i--) {
        const j = this.rng.integer(i + 1), t = o[i]!;
        o[i] = o[j]!;
        o[j] = t;
      }
      this.cursor = 0;
    }
    const D = this.network.inputs, size = Math.min(this.batchSize, this.rows - this.cursor);
    for (let b = 0; b < size; b++) {
      const n = this.order[this.cursor + b]!;
      this.yb[b] = this.y[n]!;
      for (let j = 0; j < D; j++) this.xb[b * D + j] = this.x[n * D + j]!;
    }
    this.cursor += size;
    return size;
  }

  /** One optimiser step of the graph on the next minibatch. */
  next(): BnnStepReport {
    const B = this.nextBatch(), D = this.network.inputs;
    const batch = B === this.batchSize ? this.full : { x: this.xb.subarray(0, B * D), y: this.yb.subarray(0, B) };
    const skippedBefore = this.skippedSteps();
    const report = this.engine.step(batch);
    this.step++;
    const applied = this.skippedSteps() === skippedBefore;
    if (!applied) this.skipped++;
    return { step: this.step, objective: report.elbo, applied };
  }

  /** Steps skipped for a non-finite gradient, summed over the layers (they step together). */
  private skippedSteps(): number {
    let n = 0;
    for (const name of this.graph.layers) n = Math.max(n, this.engine.runner.gradientFit(name)?.skipped ?? 0);
    return n;
  }

  /** The network's parameters in the kit's layout ([μ, ρ] per layer, then log σ_y), a copy. */
  get params(): Float64Array {
    return bnnFitFromGraph(this.graph, this.engine.posteriors(), this.scales).params;
  }

  /** A trained network from the current parameters (a copy). */
  fit(trace: readonly number[] = []): BnnFit {
    return bnnFitFromGraph(this.graph, this.engine.posteriors(), this.scales, { steps: this.step, skipped: this.skipped, trace: Object.freeze(trace.slice()) });
  }
}

export interface FitBnnOptions extends BnnTrainOptions {
  /** Passes over the training data (default 300). */
  readonly epochs?: number;
  /** Called after each epoch with its mean objective. */
  readonly onEpoch?: (epoch: number, objective: number) => void;
}

/** Trains `network` on `data` for `epochs` passes of minibatch steps and returns the fit. */
export function fitBnn(network: BnnNetwork, data: BnnData, options: FitBnnOptions = {}): BnnFit {
  checkOptions("fitBnn", options, FIT_OPTIONS, "{ epochs: 300, batchSize: 64, seed: 1 }");
  const epochs = options.epochs ?? 300;
  const { epochs: _e, onEpoch: _o, ...train } = options;
  const trainer = new BnnTrainer(network, data, train);
  const trace: number[] = [];
  for (let e = 0; e < epochs; e++) {
    let sum = 0;
    const k = trainer.batchesPerEpoch;
    for (let b = 0; b < k; b++) sum += trainer.next().objective;
    trace.push(sum / k);
    options.onEpoch?.(e + 1, sum / k);
  }
  return trainer.fit(trace);
}
