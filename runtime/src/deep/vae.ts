/**
 * Variational autoencoders (Kingma & Welling 2014; IWAE: Burda, Grosse & Salakhutdinov 2016): a
 * plate of rows x_i, a local latent z_i ~ N(0, I) per row, x_i | z_i from a decoder network (a
 * Bernoulli over logits, or a Gaussian around the decoder's output with a learnt variance), and
 * q(z_i | x_i) amortised by an encoder network (diagonal or full-covariance Gaussian).
 *
 * The kit is sugar over the graph: `vaeModel` (deep/vae-graph.ts) builds the model (z with its
 * amortised q, the decoder's weights as a graph variable: point masses, or a mean-field Gaussian
 * against a N(0, s²) prior; the Gaussian decoder's log-variance as point masses), and an
 * `SviEngine` fits it. One step is one SVI step on a minibatch, which the engine takes as ONE
 * joint gradient step for z's encoder, the decoder's weights and the noise (engine/joint-step.ts):
 * encode all rows, draw, decode in one pass, ascend
 *   (N/|B|) Σ_i ELBO_i − KL(q(w) ‖ p(w)),  ELBO_i = (1/S) Σ_s log p(x_i | z_is) − KL(q(z | x_i) ‖ N(0, I))
 * (closed-form KL), or with iwaeBound(K) the per-row IWAE_i = log (1/K) Σ_k p(x_i | z_ik) p(z_ik) / q(z_ik | x_i).
 * That is N × the per-row bound the kit reports (mean over the batch's rows, minus the weights'
 * KL / N), so both have the same optimum; N is `totalRows`, else the rows `fit` is given, else
 * the batch's rows. The same object steps under `svi()` (one snapshot per minibatch of a stream)
 * or in `fit`'s epoch loop; equal seeds give bit-identical runs.
 *
 * `theta` reads the graph's fitted λ's as one flat vector [encoder | decoder weights (means) |
 * log-variances | decoder weights' log sds]; `evaluate`, `encode`, `decode`, `reconstruct` and
 * `samplePrior` read it.
 */
import {
  VireoError, Generator, Tape, sampleStandardNormal, amortised, AmortisedGaussian, validateBound, ad, adam,
  bernoulliLogitRows, gaussianRows, mlp, type Mlp, type Optimizer, type Schedule, type Bound, type TNode,
} from "@vireo/core";
import type { DataBinding } from "../engine/bind.js";
import { readRows } from "./data-rows.js";
import { jointSteps } from "../engine/joint-step.js";
import { validateKlWeight, type KlWeight } from "../engine/kl-weight.js";
import { vaeModel } from "./vae-graph.js";
import { SviEngine } from "../svi/svi-engine.js";
import type { GradientFit } from "../engine/gradient.js";

export type VaeLikelihood = "bernoulli" | "gaussian";

export interface VaeOptions {
  /** The amortised q, or an encoder network (diagonal Gaussian q; it must output 2K values). */
  readonly encoder: AmortisedGaussian | Mlp;
  /** Decoder network from K latent values to D outputs (logits for Bernoulli, means for Gaussian). */
  readonly decoder: Mlp;
  readonly likelihood: VaeLikelihood;
  /**
   * Gaussian decoder's variance: "shared" (one learnt log-variance, default), "perDimension" (one
   * learnt log-variance per output) or a fixed positive variance.
   */
  readonly noise?: "shared" | "perDimension" | number;
  /** Training objective: elboBound() (default) or iwaeBound(K). */
  readonly bound?: Bound;
  /** Draws of z per row for the ELBO (default 1; IWAE uses K). */
  readonly samples?: number;
  /** Optimiser of θ (default adam({ lr: 1e-3 })). */
  readonly optimizer?: Optimizer;
  /** Learning rate by step (default: the optimiser's own rate throughout). */
  readonly schedule?: Schedule;
  /** Seed of the initial weights and of the training draws (default 0). */
  readonly seed?: number;
  /**
   * Decoder weights: "pointMass" (maximum likelihood, default) or "gaussian" (a mean-field
   * Gaussian q(w) against a N(0, weightPriorSd²) prior: one reparameterised weight draw per step,
   * and KL(q(w) ‖ p(w)) / N subtracted from the bound per row; Kingma & Welling 2014, appendix F).
   */
  readonly decoderWeights?: "pointMass" | "gaussian";
  /** Prior standard deviation of Gaussian decoder weights (default 1). */
  readonly weightPriorSd?: number;
  /** Initial standard deviation of Gaussian decoder weights' q (default 0.01). */
  readonly weightInitSd?: number;
  /** Name of the data field in a batch (default "x"). */
  readonly field?: string;
  /** Rows of the whole data set, N: reported totals are N × the per-row bound (default: the batch's rows). */
  readonly totalRows?: number;
  /**
   * KL warm-up (β annealing, ELBO training only): the steps ascend log p(x | z) − β KL(q(z | x) ‖ N(0, I))
   * with β a number ≥ 0 or a function of the step count (0, 1, …), e.g. (t) => Math.min(1, t / 2000);
   * default 1, the ELBO. Reported bounds stay the unweighted ELBO. The graph's counterpart is
   * `gradient.klWeight` (engine/joint-step.ts).
   */
  readonly klWeight?: KlWeight;
}

/** Shorthand: symmetric MLPs with `hidden` layers between D inputs and a K-dimensional latent. */
export interface VaeShorthand extends Omit<VaeOptions, "encoder" | "decoder"> {
  readonly inputs: number;
  readonly latent: number;
  readonly hidden?: readonly number[];
  readonly activation?: "relu" | "leakyRelu" | "tanh" | "sigmoid" | "softplus" | "gelu";
  readonly covariance?: "diagonal" | "full";
}

export interface VaeStepReport {
  /** Steps taken (this one included). */
  readonly step: number;
  /** Rows in this minibatch. */
  readonly rows: number;
  /** The minibatch's bound per row (ELBO or IWAE, as trained), before the step. */
  readonly elbo: number;
  /** `elbo` × N (the whole data set's bound, in expectation), N = options.totalRows or the batch rows. */
  readonly total: number;
  /** False when a non-finite gradient was refused (θ unchanged). */
  readonly applied: boolean;
}

export interface VaeEvaluation {
  /** Mean over rows of the per-row bound. */
  readonly mean: number;
  /** Its standard error over rows (data and Monte Carlo variation together). */
  readonly standardError: number;
  /** Per-row values. */
  readonly rows: Float64Array;
}

export interface VaeFitOptions {
  readonly epochs: number;
  readonly batchSize: number;
  /** Seed of the row shuffling (default: the model's seed + 1). */
  readonly shuffleSeed?: number;
  /** Called after each epoch with its index and the mean training bound per row over its steps. */
  readonly onEpoch?: (epoch: number, trainBound: number) => void;
}

const LOG_2PI = Math.log(2 * Math.PI);
/** Rows per chunk when evaluating many draws per row (bounds the stacked matrices' size). */
const EVAL_STACK = 2000;

export class Vae {
  readonly kind = "vae";
  readonly q: AmortisedGaussian;
  readonly decoder: Mlp;
  readonly likelihood: VaeLikelihood;
  readonly bound: Bound;
  /** Draws of z per row per step (the ELBO's S, or IWAE's K). */
  readonly samples: number;
  readonly optimizer: Optimizer;
  readonly schedule: Schedule | undefined;
  readonly field: string;
  readonly totalRows: number | undefined;
  /** Where the decoder's weights (their means, for Gaussian weights) start in `theta`. */
  readonly decoderOffset: number;
  /** Where the learnt log-variances start in `theta`. */
  readonly noiseOffset: number;
  /** Learnt log-variances (0, 1 or D of them). */
  readonly noiseSize: number;
  readonly decoderWeights: "pointMass" | "gaussian";
  /** Where the log standard deviations of Gaussian decoder weights start in `theta` (−1 for point-mass weights). */
  readonly weightLogSdOffset: number;
  readonly weightPriorSd: number;
  /** β of the KL term by step (null: 1, the ELBO). */
  readonly klWeight: KlWeight | null;
  /** The graph the kit fits: variables "z", "decoderWeights" and, when learnt, "logNoise" (see vaeModel). */
  readonly model: ReturnType<typeof vaeModel>;
  /** The SVI engine that fits it (one step per minibatch; N set per step, see the file comment). */
  readonly engine: SviEngine;
  /** Steps refused because a gradient was not finite (those members' λ unchanged). */
  skipped = 0;
  private readonly fixedLogVariance: number;
  private readonly fits: { readonly encoder: GradientFit; readonly weights: GradientFit; readonly noise: GradientFit | null };
  private readonly thetaSize: number;
  private batch: Float64Array = new Float64Array(0);
  private weightEps: Float64Array = new Float64Array(0);
  /** Rows of the data set being fitted by `fit` (N when `totalRows` is not given). */
  private fitRows: number | undefined;

  constructor(options: VaeOptions) {
    if (options === null || typeof options !== "object") throw new VireoError("INVALID_OPTION", "vae: expected an options object { encoder, decoder, likelihood }.");
    const enc = options.encoder;
    const field = options.field ?? "x", seed = options.seed ?? 0;
    // The encoder reads the data field; its initial weights come from the kit's seed, the decoder's from seed + 1.
    const given = enc instanceof AmortisedGaussian ? enc : amortised(enc);
    this.q = amortised(given.encoder, { covariance: given.covariance, from: field, flow: given.flow, seed });
    this.decoder = options.decoder;
    if (!this.decoder || typeof this.decoder.forward !== "function") {
      throw new VireoError("INVALID_OPTION", "vae: 'decoder' must be a network, e.g. mlp([K, 400, D]).", { parameter: "decoder" });
    }
    const K = this.q.latent, D = this.q.encoder.inputs;
    if (this.decoder.inputs !== K) {
      throw new VireoError("DIMENSION_MISMATCH", `vae: the encoder gives a ${K}-dimensional latent but the decoder takes ${this.decoder.inputs} inputs; make the decoder mlp([${K}, …, ${D}]).`, { parameter: "decoder" });
    }
    if (this.decoder.outputs !== D) {
      throw new VireoError("DIMENSION_MISMATCH", `vae: the encoder reads ${D} values per row but the decoder outputs ${this.decoder.outputs}; both must match the data width.`, { parameter: "decoder" });
    }
    if (options.likelihood !== "bernoulli" && options.likelihood !== "gaussian") {
      throw new VireoError("INVALID_OPTION", `vae: likelihood must be "bernoulli" or "gaussian", got ${JSON.stringify(options.likelihood)}.`, { parameter: "likelihood" });
    }
    this.likelihood = options.likelihood;
    this.bound = validateBound(options.bound ?? { kind: "elbo" }, "vae");
    if (this.bound.kind === "renyi") throw new VireoError("INVALID_OPTION", "vae: train with elboBound() or iwaeBound(K); the Rényi bound is not offered for VAEs.", { parameter: "bound" });
    this.samples = this.bound.kind === "iwae" ? this.bound.K : options.samples ?? 1;
    if (!Number.isInteger(this.samples) || this.samples < 1) {
      throw new VireoError("INVALID_OPTION", `vae: samples must be a positive integer, got ${options.samples}.`, { parameter: "samples" });
    }
    const noise = options.noise ?? "shared";
    if (this.likelihood === "bernoulli") this.noiseSize = 0;
    else if (noise === "shared") this.noiseSize = 1;
    else if (noise === "perDimension") this.noiseSize = D;
    else if (typeof noise === "number" && noise > 0 && Number.isFinite(noise)) this.noiseSize = 0;
    else throw new VireoError("INVALID_OPTION", `vae: noise must be "shared", "perDimension" or a positive variance, got ${JSON.stringify(noise)}.`, { parameter: "noise" });
    this.fixedLogVariance = typeof noise === "number" ? Math.log(noise) : 0;
    if (options.totalRows !== undefined && !(Number.isInteger(options.totalRows) && options.totalRows > 0)) {
      throw new VireoError("INVALID_OPTION", `vae: totalRows (rows of the whole data set) must be a positive integer, got ${options.totalRows}.`, { parameter: "totalRows" });
    }
    this.totalRows = options.totalRows;
    this.field = field;
    this.optimizer = options.optimizer ?? adam({ lr: 1e-3 });
    this.schedule = options.schedule;
    this.klWeight = validateKlWeight(options.klWeight, "vae") ?? null;
    if (this.klWeight !== null && this.bound.kind !== "elbo") {
      throw new VireoError("INVALID_OPTION", "vae: klWeight (KL warm-up) weights the ELBO's KL term; it does not apply to IWAE training. Leave klWeight out, or train with elboBound().", { parameter: "klWeight" });
    }
    this.decoderWeights = options.decoderWeights ?? "pointMass";
    if (this.decoderWeights !== "pointMass" && this.decoderWeights !== "gaussian") {
      throw new VireoError("INVALID_OPTION", `vae: decoderWeights must be "pointMass" or "gaussian", got ${JSON.stringify(this.decoderWeights)}.`, { parameter: "decoderWeights" });
    }
    this.weightPriorSd = options.weightPriorSd ?? 1;
    const initSd = options.weightInitSd ?? 0.01;
    for (const [name, v] of [["weightPriorSd", this.weightPriorSd], ["weightInitSd", initSd]] as const) {
      if (!(v > 0 && Number.isFinite(v))) throw new VireoError("INVALID_OPTION", `vae: ${name} must be a positive number, got ${v}.`, { parameter: name });
    }
    this.decoderOffset = this.q.nParams;
    this.noiseOffset = this.decoderOffset + this.decoder.nParams;
    const gaussianWeights = this.decoderWeights === "gaussian";
    this.weightLogSdOffset = gaussianWeights ? this.noiseOffset + this.noiseSize : -1;
    this.thetaSize = this.noiseOffset + this.noiseSize + (gaussianWeights ? this.decoder.nParams : 0);
    this.model = vaeModel({
      inputs: D, encoder: this.q, decoder: this.decoder, likelihood: this.likelihood, noise, field,
      decoderWeights: this.decoderWeights, weightPriorSd: this.weightPriorSd, weightInitSd: initSd, seed: seed + 1,
    });
    this.engine = new SviEngine(this.model, {
      totalRows: this.totalRows ?? 1, seed, psis: false,
      // The reported bound is the joint step's own estimate (JointStep.lastBound): no separate Monte Carlo ELBO pass.
      elboEvery: 0,
      gradient: {
        samples: this.bound.kind === "iwae" ? 1 : this.samples, bound: this.bound, optimizer: this.optimizer,
        ...(this.schedule ? { schedule: this.schedule } : {}), ...(this.klWeight !== null ? { klWeight: this.klWeight } : {}),
      },
    });
    const runner = this.engine.runner, noiseFit = this.noiseSize > 0 ? runner.gradientFit("logNoise") : null;
    this.fits = { encoder: runner.gradientFit("z")!, weights: runner.gradientFit("decoderWeights")!, noise: noiseFit };
  }

  /**
   * θ = [encoder weights | decoder weights (means) | log-variances | decoder weights' log sds], read
   * from the graph's λ's (a new array each time; writing to it changes nothing).
   */
  get theta(): Float64Array {
    const out = new Float64Array(this.thetaSize), P = this.decoder.nParams, w = this.fits.weights.lambda;
    out.set(this.fits.encoder.lambda.subarray(0, this.q.nParams), 0);
    out.set(w.subarray(0, P), this.decoderOffset);
    if (this.fits.noise !== null) out.set(this.fits.noise.lambda, this.noiseOffset);
    if (this.weightLogSdOffset >= 0) out.set(w.subarray(P, 2 * P), this.weightLogSdOffset);
    return out;
  }

  /** Steps taken. */
  get steps(): number {
    return this.engine.steps;
  }

  /** The learning rate of the next step. */
  get learningRate(): number {
    const f = this.fits.encoder;
    return f.schedule.rate(f.optimizerState.step);
  }

  /** Latent dimension K. */
  get latent(): number {
    return this.q.latent;
  }

  /** Data width D. */
  get inputs(): number {
    return this.q.encoder.inputs;
  }

  /** Reads and checks the batch's rows (nothing changes on failure). */
  private rowsOf(batch: DataBinding | Float64Array): { data: Float64Array; rows: number } {
    const value = batch instanceof Float64Array ? batch : (batch as DataBinding)?.[this.field];
    if (!(batch instanceof Float64Array) && (batch === null || typeof batch !== "object")) {
      throw new VireoError("INVALID_DATA", `vae: a batch must be { ${this.field}: rows } or a Float64Array of rows × ${this.inputs}.`);
    }
    const r = readRows(value, this.inputs, this.field, this.likelihood === "bernoulli" ? [0, 1] : null, this.batch);
    this.batch = r.data;
    return r;
  }

  /** One SVI step of the graph on a minibatch ({ x: rows } or rows × D values). */
  step(batch: DataBinding | Float64Array): VaeStepReport {
    const { data, rows } = this.rowsOf(batch);
    return this.stepRows(data, rows);
  }

  /** The step on `rows` checked rows of `data` (row-major, rows × D at least). */
  private stepRows(data: Float64Array, rows: number): VaeStepReport {
    const N = this.totalRows ?? this.fitRows ?? rows;
    this.engine.setTotalRows(N);
    const skippedBefore = this.skippedSteps();
    const report = this.engine.step({ [this.field]: data.length === rows * this.inputs ? data : data.subarray(0, rows * this.inputs) });
    // The step's bound at the pre-step λ from its own draws: N/|B| Σ_batch (ELBO_i or IWAE_i) − KL(q(w) ‖ p(w)).
    const total = jointSteps(this.engine.runner.current!)[0]!.lastBound;
    const applied = this.skippedSteps() === skippedBefore;
    if (!applied) this.skipped++;
    const value = total / N;
    return { step: report.step, rows, elbo: value, total: value * (this.totalRows ?? rows), applied };
  }

  private skippedSteps(): number {
    const { encoder, weights, noise } = this.fits;
    return encoder.skipped + weights.skipped + (noise?.skipped ?? 0);
  }

  /**
   * The per-row bound [m] on tape `t` at θ (for `evaluate`): ELBO with the closed-form KL
   * (averaging the S draws' log likelihoods), or IWAE over the S draws when `iwae`.
   */
  private objectiveRows(t: Tape, theta: TNode, X: TNode, E: TNode, iwae: boolean, weightRng: Generator | null): TNode {
    const rows = X.d0, S = E.d0 / rows, K = this.latent;
    const parts = this.q.encode(theta, 0, X);
    const z = this.q.draw(parts, E);
    const ll = this.logLikelihoodRows(t, theta, z, X, weightRng);
    if (!iwae) {
      const llRows = S === 1 ? ll : ad.scale(ad.sum(ad.reshape(ll, [S, rows]), 0), 1 / S);
      return ad.sub(llRows, this.q.klStandardNormalRows(parts));
    }
    const logPrior = ad.shift(ad.scale(ad.sum(ad.square(z), 1), -0.5), -0.5 * K * LOG_2PI);
    const logW = ad.sub(ad.add(ll, logPrior), this.q.logDensityRows(parts, E));
    return S === 1 ? logW : ad.shift(ad.logsumexp(ad.reshape(logW, [S, rows]), 0), -Math.log(S));
  }

  /**
   * log p(x_i | z_r) for the S·m stacked draws z, [S·m]. Gaussian decoder weights are drawn from
   * q(w) with `weightRng` (reparameterised: w = m + σ ⊙ ε), or taken at their means when it is null.
   */
  private logLikelihoodRows(t: Tape, theta: TNode, z: TNode, X: TNode, weightRng: Generator | null): TNode {
    let out: TNode;
    if (this.weightLogSdOffset >= 0 && weightRng !== null) {
      const P = this.decoder.nParams;
      if (this.weightEps.length !== P) this.weightEps = new Float64Array(P);
      for (let i = 0; i < P; i++) this.weightEps[i] = sampleStandardNormal(weightRng);
      const w = ad.add(ad.slice(theta, this.decoderOffset, P), ad.mul(ad.exp(ad.slice(theta, this.weightLogSdOffset, P)), t.constant(this.weightEps)));
      out = this.decoder.forward(w, z, 0);
    } else {
      out = this.decoder.forward(theta, z, this.decoderOffset);
    }
    if (this.likelihood === "bernoulli") return bernoulliLogitRows(out, X);
    const logVar = this.noiseSize === 0 ? t.scalar(this.fixedLogVariance) : ad.slice(theta, this.noiseOffset, this.noiseSize);
    return gaussianRows(out, logVar, X);
  }

  /** KL(q(w) ‖ N(0, s² I)) of Gaussian decoder weights on the tape: Σ_j log s − ρ_j + (e^{2ρ_j} + m_j²)/(2s²) − ½. */
  private weightKlOnTape(theta: TNode): TNode {
    const P = this.decoder.nParams, s2 = this.weightPriorSd ** 2;
    const rho = ad.slice(theta, this.weightLogSdOffset, P), m = ad.slice(theta, this.decoderOffset, P);
    const perWeight = ad.sub(ad.scale(ad.add(ad.exp(ad.scale(rho, 2)), ad.square(m)), 1 / (2 * s2)), rho);
    return ad.shift(ad.sum(perWeight), P * (Math.log(this.weightPriorSd) - 0.5));
  }

  /** KL(q(w) ‖ p(w)) of Gaussian decoder weights at the current θ (0 for point-mass weights). */
  weightKl(): number {
    if (this.weightLogSdOffset < 0) return 0;
    const t = new Tape();
    return this.weightKlOnTape(t.constant(this.theta)).value[0]!;
  }

  /**
   * The bound per row on held-out (or training) rows at the current θ, with its own generator so
   * repeated evaluations use the same draws: elboBound() (S draws per row, default 1) or
   * iwaeBound(K). θ is not changed. Gaussian decoder weights are drawn from q(w) (one draw per
   * chunk of rows), so the figure estimates E_q(w) of the per-row bound; the weights' KL / N is
   * not included (see `weightKl`).
   */
  evaluate(x: DataBinding | Float64Array, options: { bound?: Bound; samples?: number; seed?: number } = {}): VaeEvaluation {
    const bound = validateBound(options.bound ?? { kind: "elbo" }, "vae.evaluate");
    const S = bound.kind === "iwae" ? bound.K : options.samples ?? 1;
    if (!Number.isInteger(S) || S < 1) throw new VireoError("INVALID_OPTION", `vae.evaluate: samples must be a positive integer, got ${S}.`, { parameter: "samples" });
    const { data, rows } = readRows(batchValue(x, this.field), this.inputs, this.field, this.likelihood === "bernoulli" ? [0, 1] : null, new Float64Array(0));
    const rng = new Generator(options.seed ?? 0x5eed), K = this.latent, D = this.inputs;
    const chunk = Math.max(1, Math.floor(EVAL_STACK / S));
    const out = new Float64Array(rows), tape = new Tape(), theta = this.theta;
    for (let start = 0; start < rows; start += chunk) {
      const m = Math.min(chunk, rows - start);
      const eps = new Float64Array(S * m * K);
      for (let i = 0; i < eps.length; i++) eps[i] = sampleStandardNormal(rng);
      tape.reset();
      const per = this.objectiveRows(tape, tape.constant(theta), tape.constant(data.subarray(start * D, (start + m) * D), [m, D]), tape.constant(eps, [S * m, K]), bound.kind === "iwae", rng);
      out.set(per.value.subarray(0, m), start);
    }
    let mean = 0;
    for (const v of out) mean += v;
    mean /= rows;
    let ss = 0;
    for (const v of out) ss += (v - mean) ** 2;
    return { mean, standardError: rows > 1 ? Math.sqrt(ss / (rows - 1) / rows) : NaN, rows: out };
  }

  /** q's means and variances for the rows of x ([rows × K] each). */
  encode(x: DataBinding | Float64Array): { mean: Float64Array; variance: Float64Array; rows: number } {
    const { data, rows } = readRows(batchValue(x, this.field), this.inputs, this.field, null, new Float64Array(0));
    return { ...this.q.moments(this.theta, data, rows), rows };
  }

  /**
   * The decoder's output distribution's mean for latent rows z (rows × K): probabilities
   * (Bernoulli) or means (Gaussian); Gaussian decoder weights are taken at their means.
   */
  decode(z: Float64Array): Float64Array {
    const K = this.latent;
    if (z.length % K !== 0) throw new VireoError("DIMENSION_MISMATCH", `vae.decode: ${z.length} values are not whole rows of the ${K}-dimensional latent.`);
    const tape = new Tape();
    const out = this.decoder.forward(tape.constant(this.theta), tape.constant(z, [z.length / K, K]), this.decoderOffset).value.slice();
    if (this.likelihood === "bernoulli") for (let i = 0; i < out.length; i++) out[i] = 1 / (1 + Math.exp(-out[i]!));
    return out;
  }

  /** Decoded means of q's means: the reconstructions of the rows of x. */
  reconstruct(x: DataBinding | Float64Array): Float64Array {
    return this.decode(this.encode(x).mean);
  }

  /** Decoded means of n draws z ~ N(0, I) from `rng`. */
  samplePrior(n: number, rng: Generator): Float64Array {
    const z = new Float64Array(n * this.latent);
    for (let i = 0; i < z.length; i++) z[i] = sampleStandardNormal(rng);
    return this.decode(z);
  }

  /**
   * The batch loop: `epochs` passes over the rows of x in shuffled minibatches of `batchSize`
   * (the last one smaller), one step each. Returns the mean training bound per row of each epoch.
   */
  fit(x: DataBinding | Float64Array, options: VaeFitOptions): Float64Array {
    const { data, rows } = readRows(batchValue(x, this.field), this.inputs, this.field, this.likelihood === "bernoulli" ? [0, 1] : null, new Float64Array(0));
    const { epochs, batchSize } = options;
    if (!Number.isInteger(epochs) || epochs < 1) throw new VireoError("INVALID_OPTION", `vae.fit: epochs must be a positive integer, got ${epochs}.`, { parameter: "epochs" });
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new VireoError("INVALID_OPTION", `vae.fit: batchSize must be a positive integer, got ${batchSize}.`, { parameter: "batchSize" });
    const D = this.inputs, order = new Int32Array(rows), shuffle = new Generator(options.shuffleSeed ?? 1);
    for (let i = 0; i < rows; i++) order[i] = i;
    const buf = new Float64Array(Math.min(batchSize, rows) * D), history = new Float64Array(epochs);
    this.fitRows = rows;
    try {
      for (let e = 0; e < epochs; e++) {
        for (let i = rows - 1; i > 0; i--) {
          const j = Math.floor(shuffle.uniform() * (i + 1));
          const tmp = order[i]!; order[i] = order[j]!; order[j] = tmp;
        }
        let total = 0;
        for (let start = 0; start < rows; start += batchSize) {
          const m = Math.min(batchSize, rows - start);
          for (let r = 0; r < m; r++) buf.set(data.subarray(order[start + r]! * D, (order[start + r]! + 1) * D), r * D);
          total += this.stepRows(buf, m).elbo * m; // rows checked once, above
        }
        history[e] = total / rows;
        options.onEpoch?.(e, history[e]!);
      }
    } finally {
      this.fitRows = undefined;
    }
    return history;
  }
}

function batchValue(x: DataBinding | Float64Array, field: string): DataBinding[string] | undefined {
  if (x instanceof Float64Array) return x;
  if (x === null || typeof x !== "object") return undefined;
  return Object.hasOwn(x, field) ? (x as DataBinding)[field] : undefined;
}

/** A VAE from explicit networks, or from sizes (symmetric relu MLPs by default). */
export function vae(options: VaeOptions | VaeShorthand): Vae {
  if (options !== null && typeof options === "object" && "inputs" in options && "latent" in options) {
    return new Vae(shorthand(options));
  }
  return new Vae(options as VaeOptions);
}

function shorthand(o: VaeShorthand): VaeOptions {
  const hidden = o.hidden ?? [400], act = o.activation ?? "relu", K = o.latent, cov = o.covariance ?? "diagonal";
  const qOut = cov === "diagonal" ? 2 * K : K + (K * (K + 1)) / 2;
  const encoder = amortised(mlpOf([o.inputs, ...hidden, qOut], act), { covariance: cov });
  const decoder = mlpOf([K, ...hidden.slice().reverse(), o.inputs], act);
  const { inputs: _i, latent: _l, hidden: _h, activation: _a, covariance: _c, ...rest } = o;
  return { ...rest, encoder, decoder };
}

function mlpOf(sizes: number[], activation: NonNullable<VaeShorthand["activation"]>): Mlp {
  return mlp(sizes, { activation });
}
