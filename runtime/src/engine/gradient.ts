/**
 * Gradient-fitted variables in the graph. A random variable with a variational family q over an
 * unconstrained z and a bijector x = T(z) onto its support takes one optimiser step on its ELBO
 * terms per sweep, with the other variables held fixed (a stochastic coordinate step):
 *
 *   L(λ) = ⟨M, E_q[T(x)]⟩ + Σ_density g E_q[log g(x, ...)] + E_q[log|J_T(z)|] + H[q(z)],
 *
 * where M is the sum of the conjugate neighbours' messages to the variable: their E_q[log f] is
 * linear in T(x) with the message as coefficient (that is the node contract), so the gradient
 * flows through T(x_s) of the draws. The terms are exactly the variable's Markov blanket, which
 * Rao–Blackwellises the score-function estimator. The estimator is the black-box-VI one
 * (engine/estimator.ts) over a one-latent model made of that blanket; the joint gradient of all
 * gradient-fitted variables at once (engine/joint-gradient.ts) runs the same estimator.
 *
 * A point-mass q whose neighbours are all conjugate needs no gradient: its blanket is
 * ⟨M, T(x)⟩ + log|J(z)|, maximised in closed form by the mode of the conjugate posterior the
 * messages define (the family's `mode`, through its own bijector or the identity). That is EM's
 * M-step (and MAP of a conjugate model) exactly, one update per sweep (`modeStep`).
 *
 * After the step the variable's statistics buffer holds the Monte Carlo mean of T(x_s) over the
 * step's draws, so conjugate neighbours compute their messages and energies from it like from any
 * other variable; the draws themselves stay in the state for the ELBO and for density factors
 * shared with other gradient-fitted variables.
 */
import {
  VireoError, Generator, Tape, adam, PointMassQ, constantSchedule, guardedStep, isVariationalFactory, statsDot, statsOfValues, needsLogDensityEntropy, strataOf, entropyEstimate,
  transformInputSize, meanFieldGaussian, validateBound, sampleWithLogDensity, identityTransform, oneHotIndex,
  type Bound, type Optimizer, type OptimizerState, type Schedule, type Transform, type VariationalFamily,
} from "@vireo/core";
import { planMomentStep, type MomentStep } from "./moment-step.js";
import { momentGroupOf } from "./moment-group.js";
import { ElboGradientEstimator, blanketModel, type EstimatorFactor, type EstimatorChoice } from "./estimator.js";
import type { VariableState, FactorState, CompiledState } from "./state.js";
import { naturalStepOf, type NaturalGaussianStep } from "./natural-step.js";
import { densityOnTape, isDataPlate, sumConjugate } from "./factor-terms.js";
import type { Model, VariableSpec } from "../model/spec.js";
import { amortisedQOf } from "./amortised.js";

/** How gradient-fitted variables are stepped (engine-wide). */
export interface GradientOptions {
  /** Monte Carlo draws per step (default 10). */
  readonly samples?: number;
  /** Optimiser of every gradient-fitted variable (default adam({ lr: 0.05 })). */
  readonly optimizer?: Optimizer;
  /** Learning rate by step (default: the optimiser's own rate). */
  readonly schedule?: Schedule;
  /** Score-function terms use only the variable's Markov blanket (default true). */
  readonly raoBlackwell?: boolean;
  /**
   * The objective each gradient-fitted variable's step ascends (default elboBound()):
   * iwaeBound(K) or renyiBound(α, K) over its Markov blanket, the other variables' q held fixed.
   * Still a lower bound on log p(y) (log-sum-exp is convex, so the mean-field energy inside it
   * only lowers it). Needs reparameterised q.
   */
  readonly bound?: Bound;
  /**
   * Which groups of gradient-fitted variables sharing density factors take ONE joint step per
   * sweep (engine/joint-step.ts): "auto" (default) the groups with an amortised latent, true every
   * eligible group, false none (each variable steps on its own blanket).
   */
  readonly joint?: import("./joint-step.js").JointChoice;
  /**
   * KL warm-up: β multiplying an amortised latent's prior and entropy terms in its joint step, and
   * a moment-fitted layer's (a Bayesian network's weights, engine/moment-group.ts) (a number ≥ 0,
   * or a function of the variable's step count, e.g. (t) => Math.min(1, t / 1000));
   * default 1, the ELBO. β < 1 optimises a β-weighted objective, not the ELBO; the reported ELBO
   * stays the unweighted one.
   */
  readonly klWeight?: import("./kl-weight.js").KlWeight;
}

/**
 * What persists of a gradient-fitted variable from one compiled state to the next (SVI keeps its
 * globals this way): λ, the optimiser state and the score baseline.
 */
export class GradientFit {
  readonly lambda: Float64Array;
  readonly optimizerState: OptimizerState;
  readonly baselines: Float64Array;
  /** Steps taken and steps skipped for a non-finite gradient. */
  steps = 0;
  skipped = 0;

  constructor(
    readonly q: VariationalFamily,
    readonly bijector: Transform,
    readonly reparam: boolean,
    readonly optimizer: Optimizer,
    readonly schedule: Schedule,
  ) {
    this.lambda = new Float64Array(q.nParams);
    q.init(this.lambda);
    this.optimizerState = optimizer.init(q.nParams);
    this.baselines = new Float64Array(1).fill(NaN);
  }

  /** Back to q's initial λ with a fresh optimiser (a plate-local variable on a new minibatch); an amortised q keeps its encoder. */
  reset(): void {
    if (this.q.amortised === true) return;
    this.q.init(this.lambda);
    this.optimizerState.step = 0;
    for (const b of this.optimizerState.buffers) b.fill(0);
    this.baselines.fill(NaN);
  }
}

/** Per-draw log density of a density factor, kept in its FactorState for the ELBO. */
export interface DensityDraws {
  /** log g at draw s of the latest evaluation (unscaled). */
  readonly values: Float64Array;
}

export { needsGradient } from "./needs-gradient.js";

/**
 * The default bijector of a discrete q (categoricalQ, bernoulliQ), which draws the family's
 * statistics T(x): the identity where T(x) = x (0/1 values), the one-hot → class-index map where
 * T(x) is the one-hot of a class index (size K, one number per value). Null for a continuous q.
 */
function discreteBijector(v: VariableSpec): Transform | null {
  const q = v.gradient?.q as { discrete?: unknown } | undefined, fam = v.family!;
  if (q?.discrete !== true) return null;
  if (fam.size === fam.valueSize) return identityTransform;
  if (fam.valueSize === 1 && fam.size > 1) return oneHotIndex(fam.size);
  throw new VireoError("INVALID_MODEL", `Variable '${v.name}' (${fam.key}) has a discrete q, which draws the statistics of a value; give it a discrete bijector from those draws to the variable's values (a Transform with discrete: true).`, { variable: v.name });
}

/** Resolves q and the bijector of a gradient-fitted variable with `count` instances. */
export function resolveFit(v: VariableSpec, count: number, options: GradientOptions): GradientFit {
  const fam = v.family!;
  const bijector = v.gradient?.bijector ?? discreteBijector(v) ?? fam.supportBijector;
  if (bijector === null) {
    throw new VireoError(
      "INVALID_MODEL",
      `Variable '${v.name}' (${fam.key}) is touched by a density factor, so it must be fitted by gradients, but its family has no support bijector. Give it { q, bijector }, or connect it through conjugate nodes only.`,
      { variable: v.name },
    );
  }
  // An amortised q is one encoder for the whole plate, bound to the rows by the compiled state (engine/amortised.ts).
  const rowsQ = amortisedQOf(v);
  if (rowsQ !== null) {
    const opt = options.optimizer ?? adam({ lr: 0.05 });
    return new GradientFit(rowsQ, bijector, true, opt, options.schedule ?? constantSchedule(opt.learningRate));
  }
  // A variable on a density node without a declared q gets a mean-field Gaussian through its bijector.
  const choice = (v.gradient?.q ?? meanFieldGaussian()) as VariationalFamily | import("@vireo/core").VariationalFamilyFactory;
  const zSize = transformInputSize(bijector, fam.valueSize);
  let q: VariationalFamily;
  if (count === 1) q = isVariationalFactory(choice) ? choice.create(zSize) : choice;
  else {
    if (!bijector.elementwise) {
      throw new VireoError("INVALID_MODEL", `Variable '${v.name}' has ${count} instances but its bijector '${bijector.name}' maps one value at a time; gradient-fitted plated variables need an element-wise bijector (identity, log, logit).`, { variable: v.name });
    }
    if (!isVariationalFactory(choice) || !choice.factorises) {
      throw new VireoError(
        "INVALID_MODEL",
        `Variable '${v.name}' has ${count} instances (one q per row); give a family that factorises over rows, e.g. { q: meanFieldGaussian() }, so the whole plate is one vectorised parameter.`,
        { variable: v.name },
      );
    }
    q = choice.create(count * zSize);
  }
  const expected = count * zSize;
  if (q.dim !== expected) {
    throw new VireoError(
      "INVALID_MODEL",
      `Variable '${v.name}' (${fam.key}${count > 1 ? ` × ${count}` : ""}): its q ${q.name} draws ${q.dim} values, but the bijector '${bijector.name}' needs ${expected} unconstrained values. Give q without a dimension (e.g. fullRankGaussian()) and the graph sizes it.`,
      { variable: v.name },
    );
  }
  if (q.discrete && bijector !== identityTransform && bijector.discrete !== true) {
    // A discrete q (categoricalQ, bernoulliQ) takes score-function steps on its draws; a continuous bijector has no meaning there.
    throw new VireoError("INVALID_MODEL", `Variable '${v.name}': its q ${q.name} is discrete, so a continuous bijector ('${bijector.name}') does not apply; leave 'bijector' out (the graph reads the value off the draw) or give a continuous q.`, { variable: v.name });
  }
  if (!q.discrete && bijector.discrete === true) {
    throw new VireoError("INVALID_MODEL", `Variable '${v.name}': the bijector '${bijector.name}' reads the draws of a discrete q, but its q ${q.name} is continuous; give a discrete q (e.g. categoricalQ(K)) or a continuous bijector.`, { variable: v.name });
  }
  const choiceEst: EstimatorChoice = v.gradient?.estimator ?? "auto";
  if (choiceEst === "reparam" && !q.reparameterizable) {
    throw new VireoError("INVALID_OPTION", `Variable '${v.name}': ${q.name} has no reparameterised draw; use estimator 'score' or 'auto'.`, { variable: v.name });
  }
  const reparam = choiceEst === "reparam" || (choiceEst === "auto" && q.reparameterizable);
  const optimizer = options.optimizer ?? adam({ lr: 0.05 });
  return new GradientFit(q, bijector, reparam, optimizer, options.schedule ?? constantSchedule(optimizer.learningRate));
}


/** Per-sweep machinery of one gradient-fitted variable in one compiled state. */
export class GradientVariable {
  readonly samples: number;
  /** x_s, s = 0..S−1 (count × valueSize each). */
  readonly draws: Float64Array[];
  /** T(x_s) (count × size each). */
  readonly drawStats: Float64Array[];
  /** log|det J| at each draw. */
  readonly logDet: Float64Array;
  /** The objective of the steps (ELBO, IWAE or Rényi over the blanket). */
  readonly bound: Bound;
  /**
   * True when the step's own draws are not S plain draws of q (stratified mixture draws, or the
   * K·S draws of an IWAE / Rényi step): S plain draws follow each step for the statistics and
   * the ELBO.
   */
  readonly redrawAfterStep: boolean;
  private readonly state: CompiledState;
  /** H[q(z)] at the λ of the draws. */
  entropy = 0;
  /** Σ of the conjugate neighbours' (scaled) messages, count × size. */
  readonly message: Float64Array;
  /** Density factors touching the variable, in the estimator's factor order (after the conjugate term). */
  readonly densityFactors: FactorState[];
  rng: Generator | null = null;
  drawn = false;
  /** The joint step of the variable's group (engine/joint-step.ts), or null: it steps on its own blanket. */
  joint: import("./joint-step.js").JointStep | null = null;
  private readonly estimator: ElboGradientEstimator<undefined>;
  private readonly grad: Float64Array;
  private readonly loss: Float64Array;
  private readonly z: Float64Array;
  private readonly valueTape = new Tape();
  private readonly model: Model;
  /**
   * Set when q is a point mass with only conjugate neighbours and the family has a closed-form
   * mode for the bijector (identity: the mode of x; the family's own bijector: the mode of z).
   */
  readonly closedFormMode: { readonly unconstrained: boolean; readonly point: Float64Array; readonly z: Float64Array } | null;
  /** gradient.klWeight (β of the prior and entropy terms where a group step applies it: amortised latents, moment-fitted layers), or null. */
  readonly klWeight: import("./kl-weight.js").KlWeight | null;
  /** Set when the variable sits on a moment density node's moment edge: its step reads q's moments (engine/moment-step.ts). */
  readonly moment: MomentStep | null;
  /**
   * Set when q is a full-rank Gaussian whose density factors all give natural-parameter messages
   * (svgpNode's v): it takes natural-gradient steps (engine/natural-step.ts) instead.
   */
  readonly natural: NaturalGaussianStep | null;
  /** Buffers of the exact (sigma-point) statistics, or null when they come from draws. */
  private readonly exact: { factor: Float64Array; point: Float64Array; mean: Float64Array; stats: Float64Array } | null;

  constructor(readonly variable: VariableState, readonly fit: GradientFit, state: CompiledState, options: GradientOptions) {
    this.model = state.model;
    const S = (this.samples = options.samples ?? 10);
    if (!Number.isInteger(S) || S < 1) {
      // One draw is allowed (a VAE's usual step); the per-sweep ELBO then has no standard error (NaN).
      throw new VireoError("INVALID_OPTION", `gradient.samples must be a positive integer, got ${S}.`, { parameter: "samples" });
    }
    const v = variable, fam = v.family!, n = v.count * fam.valueSize;
    this.state = state;
    this.bound = validateBound(options.bound ?? { kind: "elbo" }, "gradient");
    const strata = strataOf(fit.q), perGroup = (this.bound.kind === "elbo" ? 1 : this.bound.K) * strata;
    this.redrawAfterStep = perGroup > 1;
    // The estimator evaluates the blanket at every draw of its objective: one slot each.
    const slots = S * perGroup;
    this.draws = Array.from({ length: slots }, () => new Float64Array(n));
    this.drawStats = Array.from({ length: slots }, () => new Float64Array(v.count * fam.size));
    this.logDet = new Float64Array(S);
    this.message = new Float64Array(v.count * fam.size);
    this.densityFactors = v.densityFactors;
    this.grad = new Float64Array(fit.q.nParams);
    this.loss = new Float64Array(fit.q.nParams);
    this.z = new Float64Array(fit.q.dim);
    const d = fit.q.dim;
    this.closedFormMode = closedFormModeOf(v, fit);
    this.klWeight = options.klWeight ?? null;
    this.natural = this.closedFormMode === null ? naturalStepOf(v, fit, state, (f) => isDataPlate(state.model, f)) : null;
    this.exact = v.count === 1 && fit.bijector.name === "identity" && fam.quadraticStats && typeof fit.q.covarianceFactor === "function"
      ? { factor: new Float64Array(2 * d * d), point: new Float64Array(d), mean: new Float64Array(d), stats: new Float64Array(fam.size) }
      : null;
    const conjugate: Omit<EstimatorFactor<undefined>, "varIndex"> = {
      name: `${v.name}.conjugate`,
      logDensity: (x, _tape, _data, s) => {
        const xs = x[v.name]!;
        this.draws[s]!.set(xs.value);
        return statsDot(xs, fam, v.count, this.message, this.drawStats[s]!);
      },
      logDensityValue: (x, _data, s) => {
        const xs = x[v.name]!, st = this.drawStats[s]!;
        this.draws[s]!.set(xs);
        statsOfValues(fam, xs, v.count, st);
        let dot = 0;
        for (let i = 0; i < st.length; i++) dot += this.message[i]! * st[i]!;
        return dot;
      },
    };
    const density: Omit<EstimatorFactor<undefined>, "varIndex">[] = this.densityFactors.map((f) => ({
      name: f.name, minibatch: isDataPlate(state.model, f),
      logDensity: (x, tape, _data, s) => densityOnTape(state, f, tape, s, v, x[v.name]!),
    }));
    const model = blanketModel<undefined>(v.name, fit.q, fit.bijector, [conjugate, ...density]);
    this.estimator = new ElboGradientEstimator(model, new Tape(), {
      samples: S, reparam: [fit.reparam], raoBlackwell: options.raoBlackwell ?? true, baseline: "running", baselineDecay: 0.9, bound: this.bound,
    });
    this.moment = planMomentStep(this);
  }

  /** Draws one value from q into draw slot s (value, statistics, Jacobian) with `rng`. */
  drawSlot(s: number, rng: Generator): void {
    const { fit, variable: v } = this;
    fit.q.sample(fit.lambda, rng, this.z);
    this.logDet[s] = fit.bijector.forwardValue(this.z, this.draws[s]!);
    statsOfValues(v.family!, this.draws[s]!, v.count, this.drawStats[s]!);
  }

  /** Like drawSlot, and returns log q(z) of the draw (for bounds other than the ELBO and for PSIS). */
  drawSlotWithLogDensity(s: number, rng: Generator): number {
    const { fit, variable: v } = this;
    const logq = sampleWithLogDensity(fit.q, fit.lambda, rng, this.z);
    this.logDet[s] = fit.bijector.forwardValue(this.z, this.draws[s]!);
    statsOfValues(v.family!, this.draws[s]!, v.count, this.drawStats[s]!);
    return logq;
  }

  /**
   * S plain draws of q after a step whose own draws were stratified or importance-weighted: the
   * statistics, Jacobians and density values the ELBO reads, and H[q] as −mean log q (unbiased).
   */
  private redrawPlain(): void {
    const rng = this.requireGenerator(), S = this.samples;
    let logq = 0;
    for (let s = 0; s < S; s++) logq += this.drawSlotWithLogDensity(s, rng);
    for (const f of this.densityFactors) {
      for (let s = 0; s < S; s++) {
        this.valueTape.reset();
        f.density!.values[s] = densityOnTape(this.state, f, this.valueTape, s, null, null).value[0]!;
      }
    }
    this.entropy = -logq / S;
    this.averageStats();
  }

  /**
   * Draws S fresh values from q (numerically) into the draw buffers, sets the statistics to their
   * mean, and evaluates the density factors touching the variable at the new draws (the Monte
   * Carlo ELBO pairs each draw with its log g).
   */
  redraw(): void {
    // A variable of a moment group draws with its group (engine/moment-group.ts).
    const group = momentGroupOf(this, this.state);
    if (group !== null) return group.redraw(this);
    // A joint member whose statistics nothing reads before the group's next step draws lazily (engine/joint-step.ts).
    if (this.joint !== null && this.joint.defers(this)) {
      this.drawn = false;
      this.joint.stale = true;
      return;
    }
    this.drawNow();
  }

  /** redraw() without deferral: S fresh draws, statistics, entropy (and density values off a joint group). */
  drawNow(): void {
    const rng = this.requireGenerator();
    for (let s = 0; s < this.samples; s++) this.drawSlot(s, rng);
    const t = this.valueTape;
    // In a joint group the shared factors are evaluated by the group's next step, or on demand (refreshJointDensities).
    if (this.joint !== null) this.joint.stale = this.densityFactors.length > 0;
    else for (const f of this.densityFactors) {
      for (let s = 0; s < this.samples; s++) {
        t.reset();
        f.density!.values[s] = densityOnTape(this.state, f, t, s, null, null).value[0]!;
      }
    }
    this.entropy = this.entropyNow();
    this.averageStats();
    this.drawn = true;
  }

  /**
   * One optimiser step on the variable's blanket of the ELBO. `scale` multiplies conjugate
   * messages (SVI: N/|B| for data factors), `dataScale` the density factors in data plates,
   * `extra` is added to the summed messages (online: earlier batches' evidence).
   */
  step(scale: ((f: FactorState) => number) | undefined, dataScale: number, extra: Float64Array | undefined): void {
    // One step for the whole group sharing density factors (engine/joint-step.ts); online evidence takes the own-blanket path.
    if (this.joint !== null && extra === undefined) return this.joint.update(this, dataScale);
    if (this.joint !== null) this.joint.refresh();
    if (!this.drawn) this.redraw();
    // A variable on a moment edge, or riding on one's node, steps with its moment group (engine/moment-group.ts).
    const group = momentGroupOf(this, this.state);
    if (group !== null) return group.step(this, scale, dataScale);
    const { fit, variable: v } = this;
    sumConjugate(v, this.message, scale);
    if (extra) for (let i = 0; i < this.message.length; i++) this.message[i] = this.message[i]! + extra[i]!;
    const estimate = this.estimator.estimate(fit.lambda, this.grad, this.requireGenerator(), fit.baselines, { data: undefined, scale: dataScale });
    // Keep each draw's terms for the ELBO: density values (unscaled) and Jacobians.
    let sampled = 0;
    for (let s = 0; s < this.samples; s++) {
      this.logDet[s] = this.estimator.jacobianValue(s, 0);
      sampled += this.logDet[s]! + this.estimator.factorValue(s, 0);
      this.densityFactors.forEach((f, j) => {
        const c = isDataPlate(this.model, f) ? dataScale : 1, value = this.estimator.factorValue(s, j + 1);
        f.density!.values[s] = value / c;
        sampled += value;
      });
    }
    this.entropy = estimate - sampled / this.samples;
    this.averageStats();
    if (this.redrawAfterStep) this.redrawPlain();
    for (let i = 0; i < this.grad.length; i++) this.loss[i] = -this.grad[i]!;
    const outcome = guardedStep(fit.optimizer, fit.lambda, this.loss, fit.optimizerState, fit.schedule.rate(fit.optimizerState.step));
    fit.steps++;
    if (!outcome.applied) fit.skipped++;
  }

  /**
   * The closed-form update of a point mass (see `closedFormMode`): each instance's point becomes
   * the mode of h(x) exp⟨M, T(x)⟩ (through the bijector's Jacobian where q lives on z), with M the
   * sum of the conjugate messages (`scale`d, plus `extra`); λ = T⁻¹(x̂).
   */
  modeStep(scale: ((f: FactorState) => number) | undefined, extra: Float64Array | undefined): void {
    const cf = this.closedFormMode!, { fit, variable: v } = this, fam = v.family!;
    sumConjugate(v, this.message, scale);
    if (extra) for (let i = 0; i < this.message.length; i++) this.message[i] = this.message[i]! + extra[i]!;
    const k = fam.size, zs = cf.z.length;
    for (let n = 0; n < v.count; n++) {
      const where = `'${v.name}'${v.count > 1 ? ` instance ${n}` : ""} (point mass, ${fam.key})`;
      fam.mode(this.message.subarray(n * k, (n + 1) * k), cf.point, cf.unconstrained, where);
      fit.bijector.inverseValue!(cf.point, cf.z);
      for (let j = 0; j < zs; j++) {
        if (!Number.isFinite(cf.z[j])) {
          throw new VireoError("NUMERICAL_FAILURE", `Update of ${where}: the mode ${Array.from(cf.point).join(", ")} lies on the edge of the support; give the variable a proper prior.`, { variable: v.name, row: n });
        }
      }
      fit.lambda.set(cf.z, n * zs);
    }
    fit.steps++;
    this.redraw();
  }

  /** Whether the statistics are exact (sigma points) rather than a mean over draws. */
  get exactMoments(): boolean {
    return this.exact !== null;
  }

  private exactStats(ex: { factor: Float64Array; point: Float64Array; mean: Float64Array; stats: Float64Array }): void {
    const { fit, variable: v } = this, d = fit.q.dim, st = v.stats;
    const m = fit.q.covarianceFactor!(fit.lambda, ex.factor), c = Math.sqrt(m);
    fit.q.mean(fit.lambda, ex.mean);
    st.fill(0);
    for (let j = 0; j < m; j++) {
      for (const sign of [1, -1]) {
        for (let i = 0; i < d; i++) ex.point[i] = ex.mean[i]! + sign * c * ex.factor[i * m + j]!;
        statsOfValues(v.family!, ex.point, 1, ex.stats);
        for (let k = 0; k < st.length; k++) st[k] = st[k]! + ex.stats[k]! / (2 * m);
      }
    }
    this.variable.changes.markChanged(st);
  }

  /** H[q(z)] at the current λ (closed form, on a private tape; a fixed-seed Monte Carlo estimate for flows). */
  entropyNow(): number {
    if (needsLogDensityEntropy(this.fit.q)) return entropyEstimate(this.fit.q, this.fit.lambda);
    // An amortised q reads its cached encoder outputs (no second encoder pass after a draw).
    const cached = (this.fit.q as { entropyValue?: (lambda: Float64Array) => number }).entropyValue;
    if (typeof cached === "function") return cached.call(this.fit.q, this.fit.lambda);
    const t = this.valueTape;
    t.reset();
    return this.fit.q.entropy(this.fit.q.prepare(t.constant(this.fit.lambda))).value[0]!;
  }

  /**
   * Sets the statistics buffer to E_q[T(x)]: exactly from sigma points when q is Gaussian, the
   * bijector the identity and T quadratic (μ ± √m C_j, j = 1..m, with Cov = CCᵀ: exact for
   * polynomials of degree ≤ 3), else the mean of T(x_s) over the current draws.
   */
  averageStats(): void {
    if (this.moment !== null) return this.moment.exactStats();
    if (this.exact !== null) {
      this.exactStats(this.exact);
      return;
    }
    const st = this.variable.stats, S = this.samples;
    st.fill(0);
    for (let s = 0; s < S; s++) {
      const d = this.drawStats[s]!;
      for (let i = 0; i < st.length; i++) st[i] = st[i]! + d[i]! / S;
    }
    this.variable.changes.markChanged(st);
  }

  /** The variable's generator (set by initialise / attachGenerator). */
  requireRng(): Generator {
    return this.requireGenerator();
  }

  private requireGenerator(): Generator {
    if (this.rng === null) {
      throw new VireoError("INVALID_STATE", `Gradient-fitted '${this.variable.name}' has no generator: initialise the state (initialise(state, rng)) before updating it.`, { variable: this.variable.name });
    }
    return this.rng;
  }
}

/** The closed-form mode set-up of a point-mass variable, or null when it takes gradient steps. */
function closedFormModeOf(v: VariableState, fit: GradientFit): GradientVariable["closedFormMode"] {
  const fam = v.family!;
  if (!(fit.q instanceof PointMassQ) || v.densityFactors.length > 0 || fit.bijector.inverseValue === undefined) return null;
  const unconstrained = fit.bijector !== fam.supportBijector ? false : fit.bijector.name !== "identity";
  if (fit.bijector !== fam.supportBijector && fit.bijector.name !== "identity") return null;
  // Ask the family once, at its starting point's statistics layout, whether it has a closed form.
  const point = new Float64Array(fam.valueSize), z = new Float64Array(transformInputSize(fit.bijector, fam.valueSize));
  if (!hasMode(fam, unconstrained, point)) return null;
  return { unconstrained, point, z };
}

/** Whether `fam.mode` has a closed form (a probe at a proper η; an error there still means "yes"). */
function hasMode(fam: NonNullable<VariableState["family"]>, unconstrained: boolean, out: Float64Array): boolean {
  let eta: Float64Array;
  try {
    eta = fam.startingPoint();
  } catch {
    eta = new Float64Array(fam.size);
  }
  try {
    return fam.mode(eta, out, unconstrained);
  } catch {
    return true;
  }
}

/** The gradient-fitted variables of a compiled state. */
export function gradientVariables(state: CompiledState): GradientVariable[] {
  return state.random.filter((v) => v.gradient !== null).map((v) => v.gradient!);
}

/** Gives every gradient-fitted variable of `state` its generator. */
export function attachGenerator(state: CompiledState, rng: Generator): void {
  for (const v of state.random) if (v.gradient !== null) v.gradient.rng = rng;
}
