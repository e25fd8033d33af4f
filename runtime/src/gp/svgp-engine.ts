/**
 * Stochastic variational GP (Hensman, Fusi & Lawrence 2013) over minibatches: per batch of |B|
 * rows of a data set of N, one natural-gradient step of size ρ_t = (t + τ)^(−κ) on q(u) with the
 * rows' messages scaled by N/|B| (closed form for the Gaussian likelihood, conjugate-computation VI
 * steps for Bernoulli/Poisson), and one optimiser step (Adam by default) on the log
 * hyperparameters (and the inducing inputs, when learnt) along the same batch's ELBO gradient.
 * `batches$.pipe(svi(sparseGpModel, { totalRows: N }))` runs it over an RxJS stream.
 *
 * A batch that fails validation or a step that fails numerically leaves the engine as it was
 * after the last good batch (q, hyperparameters, optimiser state and step count are restored).
 */
import {
  VireoError, fmt, adam, guardedStep, MvNormalFamily, kernelParams,
  type Optimizer, type OptimizerState, type SparseGp, type GpInput,
} from "@vireo/core";
import type { DataBinding } from "../engine/bind.js";
import { Posterior } from "../engine/posterior.js";

export interface SvgpOptions {
  /** N, the rows of the whole data set (each batch's rows are weighted N/|B|). */
  readonly totalRows: number;
  /** Batch field holding the inputs (default "x"): rows of `kernel.dim` numbers. */
  readonly inputs?: string;
  /** Batch field holding the targets (default "y"). */
  readonly targets?: string;
  /** Step sizes ρ_t = (t + τ)^(−κ), t = 1, 2, …: τ ≥ 0 (default 1), κ ∈ (0.5, 1] (default 0.6). */
  readonly tau?: number;
  readonly kappa?: number;
  /** Optimiser of the learnt hyperparameters (default Adam, learning rate 0.01). */
  readonly optimizer?: Optimizer;
  /** Batches fitted with the hyperparameters held, before the optimiser starts (default 0). */
  readonly warmup?: number;
}

export interface SvgpStepReport {
  readonly step: number;
  /** The batch's ELBO estimate (N/|B| Σ_B E[log p] − KL) before the step. */
  readonly elbo: number;
  readonly rho: number;
  readonly rows: number;
  /** Jitter added to K_ZZ in this step. */
  readonly jitter: number;
}

const KNOWN = new Set(["totalRows", "inputs", "targets", "tau", "kappa", "optimizer", "warmup", "onInvalid", "skipped", "summaries", "startAt"]);

/** Throws INVALID_OPTION naming the first bad option. */
export function checkSvgpOptions(o: SvgpOptions): void {
  if (o === null || typeof o !== "object") throw new VireoError("INVALID_OPTION", "svi (sparse GP): give options { totalRows: N }.", { parameter: "totalRows" });
  if ("size" in o) throw new VireoError("INVALID_OPTION", "svi (sparse GP): option 'size' is now called 'totalRows' (N, the rows of the whole data set). Rename it.", { parameter: "size" });
  for (const k of Object.keys(o)) if (!KNOWN.has(k)) throw new VireoError("INVALID_OPTION", `svi (sparse GP): unknown option '${k}'; known: ${[...KNOWN].join(", ")}.`, { parameter: k });
  if (!(typeof o.totalRows === "number" && Number.isInteger(o.totalRows) && o.totalRows >= 1)) {
    throw new VireoError("INVALID_OPTION", `svi (sparse GP): 'totalRows' (N, the rows of the whole data set, for the N/|B| scaling) must be a positive integer, got ${String(o.totalRows)}.`, { parameter: "totalRows" });
  }
  if (o.tau !== undefined && !(typeof o.tau === "number" && o.tau >= 0 && Number.isFinite(o.tau))) throw new VireoError("INVALID_OPTION", `svi (sparse GP): 'tau' must be a finite number ≥ 0, got ${String(o.tau)}.`, { parameter: "tau" });
  if (o.kappa !== undefined && !(typeof o.kappa === "number" && o.kappa > 0.5 && o.kappa <= 1)) throw new VireoError("INVALID_OPTION", `svi (sparse GP): 'kappa' must be in (0.5, 1] (the Robbins–Monro conditions), got ${String(o.kappa)}.`, { parameter: "kappa" });
  if (o.warmup !== undefined && !(Number.isInteger(o.warmup) && o.warmup >= 0)) throw new VireoError("INVALID_OPTION", `svi (sparse GP): 'warmup' must be an integer ≥ 0, got ${String(o.warmup)}.`, { parameter: "warmup" });
  for (const f of ["inputs", "targets"] as const) if (o[f] !== undefined && typeof o[f] !== "string") throw new VireoError("INVALID_OPTION", `svi (sparse GP): '${f}' must be a field name.`, { parameter: f });
}

export class SvgpEngine {
  readonly model: SparseGp;
  readonly totalRows: number;
  private readonly inputsField: string;
  private readonly targetsField: string;
  private readonly tau: number;
  private readonly kappa: number;
  private readonly warmup: number;
  private readonly optimizer: Optimizer;
  private readonly optState: OptimizerState;
  private readonly z: Float64Array;
  private readonly grad: Float64Array;
  private readonly theta: Float64Array;
  private readonly lossGrad: Float64Array;
  private readonly scratch: Float64Array;
  private steps = 0;

  constructor(model: SparseGp, options: SvgpOptions) {
    checkSvgpOptions(options);
    this.model = model;
    this.totalRows = options.totalRows;
    this.inputsField = options.inputs ?? "x";
    this.targetsField = options.targets ?? "y";
    this.tau = options.tau ?? 1;
    this.kappa = options.kappa ?? 0.6;
    this.warmup = options.warmup ?? 0;
    this.optimizer = options.optimizer ?? adam({ lr: 0.01 });
    const L = model.layout;
    this.z = L.unconstrained(L.learn.inducing ? model.Z : null);
    this.optState = this.optimizer.init(this.z.length);
    this.grad = new Float64Array(L.size);
    this.theta = new Float64Array(L.size);
    this.lossGrad = new Float64Array(this.z.length);
    this.scratch = new Float64Array(Math.max(L.kernelSize, L.likelihoodSize, 1));
  }

  /** Steps taken (batches fitted). */
  get step(): number {
    return this.steps;
  }

  private field(data: DataBinding, name: string): unknown {
    if (data === null || typeof data !== "object" || !Object.hasOwn(data, name)) {
      throw new VireoError("UNKNOWN_NAME", `svi (sparse GP): the batch has no field '${name}' (fields: ${data && typeof data === "object" ? Object.keys(data).join(", ") || "none" : "none"}).`, { variable: name });
    }
    return data[name];
  }

  /** Fits one minibatch. */
  stepBatch(data: DataBinding): SvgpStepReport {
    const m = this.model, xf = this.inputsField, yf = this.targetsField;
    let X, y;
    try {
      X = m.inputs(this.field(data, xf) as GpInput, `svi (sparse GP): inputs '${xf}'`);
      y = m.targets(this.field(data, yf) as Float64Array, X.n, `svi (sparse GP): targets '${yf}'`);
    } catch (e) {
      if (e instanceof VireoError && !e.context.variable) throw new VireoError(e.code, e.message, { ...e.context, variable: /targets/.test(e.message) ? yf : xf });
      throw e;
    }
    if (X.n === 0) throw new VireoError("INVALID_DATA", `svi (sparse GP): the batch has no rows in '${xf}'.`, { variable: xf });
    const t = this.steps + 1, rho = Math.min(1, Math.pow(t + this.tau, -this.kappa));
    const learn = this.steps >= this.warmup && this.z.length > 0;
    // Saved for a failed step: natural parameters of q, hyperparameters, optimiser state.
    const L = m.layout, saved = { shift: m.qShift.slice(), prec: m.qPrecision.slice(), z: this.z.slice(), opt: this.optState.buffers.map((b) => b.slice()), optStep: this.optState.step };
    try {
      const r = m.naturalGradientStep(X, y, this.totalRows / X.n, rho, learn ? this.grad : null);
      if (learn) {
        L.read(this.theta, L.learn.inducing ? m.Z : null);
        L.lossGradient(this.grad, this.theta, this.lossGrad);
        const out = guardedStep(this.optimizer, this.z, this.lossGrad, this.optState);
        if (!out.applied) throw new VireoError("NUMERICAL_FAILURE", `svi (sparse GP): step ${t} gave a non-finite hyperparameter gradient (${fmt(out.badValue)}, learnt parameter ${out.badIndex}); lower the learning rate or rescale the inputs.`);
        L.apply(this.z, L.learn.inducing ? m.Z : null, this.scratch);
      }
      this.steps = t;
      return { step: t, elbo: r.elbo, rho, rows: X.n, jitter: r.jitter };
    } catch (e) {
      this.z.set(saved.z);
      saved.opt.forEach((b, i) => this.optState.buffers[i]!.set(b));
      this.optState.step = saved.optStep;
      L.apply(this.z, L.learn.inducing ? m.Z : null, this.scratch);
      m.setQNatural(saved.shift, saved.prec);
      throw e;
    }
  }

  /** q over the inducing values u = f(Z), as an MvNormal posterior named "u". */
  posteriors(): Record<string, Posterior> {
    const M = this.model.M, q = this.model.inducingPosterior(), fam = new MvNormalFamily(M);
    const eta = fam.toNatural({ mean: q.mean, covariance: q.covariance });
    return { u: new Posterior("u", fam, 1, eta) };
  }

  /** The learnt hyperparameters by name ("kernel.<name>", "likelihood.<name>"). */
  hyperparameters(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [k, v] of Object.entries(kernelParams(this.model.kernel))) out[`kernel.${k}`] = v;
    const lp = new Float64Array(this.model.likelihood.size);
    this.model.likelihood.getParams(lp, 0);
    this.model.likelihood.parameterNames.forEach((n, i) => (out[`likelihood.${n}`] = lp[i]!));
    return out;
  }
}
