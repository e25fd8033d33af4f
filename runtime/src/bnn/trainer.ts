/**
 * Training a Bayesian network: stochastic steps on the ELBO over shuffled minibatches,
 *
 *   ELBO ≈ (N/|B|) Σ_{n∈B} log p(y_n | a_n) − Σ_layers KL(q(θ_l) ‖ N(0, s²)),
 *
 * where each row's output a_n is drawn by the local reparameterisation trick, layer by layer
 * (one `localReparamDense` node per layer over the whole minibatch), and the KL is exact. A
 * point-estimate network maximises the same expression with the KL replaced by −log p(θ) (MAP).
 * The Gaussian likelihood's noise sd is learnt (a point estimate of log σ_y). Inputs (and the
 * responses of a regression) are standardised with the training data's column means and sds, so
 * the prior N(0, s²) is on the scale of standardised data; predictions are mapped back.
 *
 * The trainer is driven one step at a time on explicit state (the bench and `fitBnn` loop over
 * it); the tape, batch and noise buffers are pooled, so a warm step allocates nothing.
 */
import {
  VireoError, Generator, Tape, adam, guardedStep, sampleStandardNormal, localReparamDense, weightPriorPenalty, initialiseWeights, ad, fmt, LOG_2PI,
  type Optimizer, type OptimizerState, type Schedule, type TNode,
} from "@vireo/core";
import { activate, type BnnNetwork } from "./network.js";
import { checkInputs, checkTargets, columnScales, type BnnInputs, type BnnTargets } from "./data.js";
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
   * from 0 to 1 (default 0: the ELBO from the first step). A warm-up lets the network fit the data
   * before the KL prunes hidden units (Sønderby et al. 2016); the objective reported during it is
   * the warmed one, and after it the ELBO.
   */
  readonly klWarmup?: number;
  /** Seed of the generator for initial weights, shuffling and noise (default 0). */
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
  readonly params: Float64Array;
  readonly optimizerState: OptimizerState;
  readonly rng: Generator;
  step = 0;
  skipped = 0;
  private readonly optimizer: Optimizer;
  private readonly schedule: Schedule | null;
  private readonly klWarmup: number;
  private readonly x: Float64Array;
  private readonly y: Float64Array;
  private readonly order: Int32Array;
  private cursor: number;
  private readonly grad: Float64Array;
  private readonly loss: Float64Array;
  private readonly tape = new Tape();
  private readonly xb: Float64Array;
  private readonly yb: Float64Array;
  private readonly noise: Float64Array[];
  private readonly views: { readonly x: Float64Array; readonly y: Float64Array; readonly params: Float64Array[]; readonly grads: Float64Array[]; readonly noise: Float64Array[] };

  constructor(network: BnnNetwork, data: BnnData, options: BnnTrainOptions = {}) {
    this.network = network;
    const where = "BnnTrainer";
    checkOptions(where, options, TRAIN_OPTIONS, "{ batchSize: 64, seed: 1 }");
    if (network === null || typeof network !== "object" || !Array.isArray(network.layers)) {
      throw new VireoError("INVALID_OPTION", `${where}: expected a network from bnn({ inputs, hidden, likelihood }), got ${show(network)}.`);
    }
    if (data === null || typeof data !== "object") throw new VireoError("INVALID_DATA", `${where}: expected data { x, y }.`);
    const { x, rows } = checkInputs(data.x, network.inputs, where);
    const y = checkTargets(data.y, rows, network.likelihood === "bernoulli", where);
    if (rows < 1) throw new VireoError("INVALID_DATA", `${where}: the training data have no rows.`, { field: "x" });
    const B = options.batchSize ?? Math.min(rows, 128);
    this.rows = rows;
    this.batchSize = Math.min(B, rows);
    const D = network.inputs, cs = columnScales(x, rows, D);
    for (let n = 0; n < rows; n++) for (let j = 0; j < D; j++) x[n * D + j] = (x[n * D + j]! - cs.mean[j]!) / cs.sd[j]!;
    let yMean = 0, ySd = 1;
    if (network.likelihood === "gaussian") {
      const ys = columnScales(y, rows, 1);
      yMean = ys.mean[0]!;
      ySd = ys.sd[0]!;
      for (let n = 0; n < rows; n++) y[n] = (y[n]! - yMean) / ySd;
    }
    this.scales = Object.freeze({ xMean: cs.mean, xSd: cs.sd, yMean, ySd });
    this.x = x;
    this.y = y;
    this.rng = new Generator(options.seed ?? 0);
    this.params = initialParams(network, this.rng);
    this.optimizer = options.optimizer ?? adam({ lr: 0.01 });
    this.optimizerState = this.optimizer.init(network.nParams);
    this.schedule = options.schedule ?? null;
    this.klWarmup = options.klWarmup ?? 0;
    this.grad = new Float64Array(network.nParams);
    this.loss = new Float64Array(network.nParams);
    this.order = Int32Array.from({ length: rows }, (_, i) => i);
    this.cursor = rows;
    this.xb = new Float64Array(this.batchSize * D);
    this.yb = new Float64Array(this.batchSize);
    this.noise = network.layers.map((l) => new Float64Array(this.batchSize * l.outputs));
    // Views made once, so a warm full-size step allocates no typed-array view. params[layers] and
    // grads[layers] are log σ_y and its gradient (empty for a classifier).
    const k = network.noiseIndex, L = network.layers, at = (a: Float64Array, o: number, n: number) => (o >= 0 ? a.subarray(o, o + n) : new Float64Array(0));
    this.views = {
      x: this.xb, y: this.yb, noise: this.noise,
      params: [...L.map((l) => at(this.params, l.offset, l.size)), at(this.params, k, 1)],
      grads: [...L.map((l) => at(this.grad, l.offset, l.size)), at(this.grad, k, 1)],
    };
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

  /** One optimiser step on the next minibatch. */
  next(): BnnStepReport {
    const net = this.network, tape = this.tape, B = this.nextBatch(), D = net.inputs, full = B === this.batchSize;
    tape.reset();
    const bayes = net.weights === "gaussian", layers = net.layers, views = this.views;
    let h: TNode = tape.constant(full ? views.x : this.xb.subarray(0, B * D), [B, D]);
    let penalty: TNode | null = null;
    for (let i = 0; i < layers.length; i++) {
      const l = layers[i]!, lam = tape.param(views.params[i]!, undefined, views.grads[i]!);
      let eps: Float64Array | null = null;
      if (bayes) {
        eps = full ? views.noise[i]! : this.noise[i]!.subarray(0, B * l.outputs);
        for (let k = 0; k < eps.length; k++) eps[k] = sampleStandardNormal(this.rng);
      }
      const a = localReparamDense(h, lam, l.outputs, eps);
      h = i + 1 < layers.length ? activate(net, a) : a;
      const p = weightPriorPenalty(lam, net.priorSd * net.priorSd, !bayes);
      penalty = penalty === null ? p : ad.add(penalty, p);
    }
    const f = ad.reshape(h, [B]), y = full ? views.y : this.yb.subarray(0, B);
    const logLik = net.likelihood === "gaussian" ? gaussianLogLik(tape, f, y, tape.param(views.params[layers.length]!, [], views.grads[layers.length]!)) : bernoulliLogLik(tape, f, y);
    const beta = this.step < this.klWarmup ? (this.step + 1) / (this.klWarmup + 1) : 1;
    const objective = ad.sub(ad.scale(logLik, this.rows / B), beta === 1 ? penalty! : ad.scale(penalty!, beta));
    tape.backward(objective);
    for (let i = 0; i < this.grad.length; i++) this.loss[i] = -this.grad[i]!;
    const outcome = guardedStep(this.optimizer, this.params, this.loss, this.optimizerState, this.schedule?.rate(this.optimizerState.step) ?? this.optimizer.learningRate);
    this.step++;
    if (!outcome.applied) this.skipped++;
    return { step: this.step, objective: objective.value[0]!, applied: outcome.applied };
  }

  /** A trained network from the current parameters (a copy). */
  fit(trace: readonly number[] = []): BnnFit {
    return Object.freeze({ network: this.network, params: this.params.slice(), scales: this.scales, steps: this.step, skipped: this.skipped, trace: Object.freeze(trace.slice()) });
  }
}

/** Σ_n log N(y_n; f_n, σ²) with σ = e^s (s a scalar node). */
function gaussianLogLik(tape: Tape, f: TNode, y: Float64Array, s: TNode): TNode {
  const B = y.length;
  const sq = ad.sum(ad.square(ad.sub(f, tape.constant(y))));
  const quad = ad.scale(ad.mul(ad.exp(ad.scale(s, -2)), sq), -0.5);
  return ad.shift(ad.sub(quad, ad.scale(s, B)), -0.5 * B * LOG_2PI);
}

/** Σ_n y_n f_n − log(1 + e^{f_n}). */
function bernoulliLogLik(tape: Tape, f: TNode, y: Float64Array): TNode {
  return ad.sum(ad.sub(ad.mul(tape.constant(y), f), ad.softplus(f)));
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
