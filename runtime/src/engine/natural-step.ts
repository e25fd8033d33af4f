/**
 * Natural-gradient steps for a gradient-fitted variable with a full-rank Gaussian q whose density
 * factors all give natural-parameter messages for it (DensitySpec.natural; svgpNode's whitened
 * inducing values v). Instead of reparameterised gradient steps on λ, q moves in natural
 * parameters η = [Λm, vec(−½Λ)] of its MvNormal family (Hensman, Fusi & Lawrence 2013):
 *
 *   η ← (1 − ρ) η + ρ (Σ conjugate messages + Σ_density c_f · message_f(q)),
 *
 * with c_f = N/|B| for density factors in a data plate under svi() and ρ the engine's step (svi's
 * ρ_t; in a plain cavi sweep the factors' own step: 1 when their message is exact, so one step is
 * the exact coordinate optimum, the CVI damping otherwise). The other gradient-fitted variables
 * (kernel hyperparameters) keep their optimiser steps on the tape; they enter the messages at
 * their current draw (a point mass: its value). After the step q is written back into λ and
 * redrawn, so the ELBO and the other variables' steps see it like any gradient-fitted q.
 */
import { VireoError, FullRankGaussianQ, choleskyInto, inverseFromCholesky } from "@vireo/core";
import { isDensityNode, type DensityNaturalMessage, type GaussianMoments } from "@vireo/nodes";
import { sumMessages } from "./update.js";
import type { VariableState, FactorState, CompiledState } from "./state.js";
import type { GradientFit } from "./gradient.js";

/** Halvings of a step before an improper target is reported (2⁻³⁰ ≈ 1e-9). */
const MAX_HALVINGS = 30;

interface NaturalFactor {
  readonly factor: FactorState;
  readonly natural: DensityNaturalMessage;
  readonly minibatch: boolean;
}

/** Whether a density factor is scaled by N/|B| under minibatching (a data plate). */
type IsDataPlate = (f: FactorState) => boolean;

export class NaturalGaussianStep {
  private readonly d: number;
  /** Current and target natural parameters, and one factor's message (d + d² each). */
  private readonly eta: Float64Array;
  private readonly target: Float64Array;
  private readonly message: Float64Array;
  private readonly mean: Float64Array<ArrayBuffer>;
  private readonly covariance: Float64Array;
  private readonly precision: Float64Array;
  private readonly factorL: Float64Array;
  private readonly work: Float64Array<ArrayBuffer>;
  /** The message-to-be's edge values (reused record; refilled per factor). */
  private readonly values: Record<string, Float64Array> = {};

  constructor(
    private readonly variable: VariableState,
    private readonly fit: GradientFit,
    private readonly state: CompiledState,
    private readonly factors: readonly NaturalFactor[],
  ) {
    const d = (this.d = fit.q.dim);
    this.eta = new Float64Array(d + d * d);
    this.target = new Float64Array(d + d * d);
    this.message = new Float64Array(d + d * d);
    this.mean = new Float64Array(d);
    this.covariance = new Float64Array(d * d);
    this.precision = new Float64Array(d * d);
    this.factorL = new Float64Array(d * d);
    this.work = new Float64Array(d);
  }

  /** The step size of a plain sweep: the smallest the factors ask for (1 when all are exact). */
  get sweepStep(): number {
    return Math.min(1, ...this.factors.map((f) => f.natural.step));
  }

  /**
   * One natural-gradient step (see the file comment). `scale` multiplies conjugate messages,
   * `dataScale` the density factors in data plates, `extra` is added to the target (online's
   * earlier evidence), `step` is ρ (default `sweepStep`).
   */
  step(scale: ((f: FactorState) => number) | undefined, dataScale: number, extra: Float64Array | undefined, step: number | undefined): void {
    const v = this.variable, d = this.d, target = this.target;
    this.readQ();
    sumMessages(v, target, scale);
    if (extra) for (let i = 0; i < target.length; i++) target[i] = target[i]! + extra[i]!;
    for (const nf of this.factors) {
      this.fillValues(nf.factor);
      nf.natural.message(this.values, { mean: this.mean, covariance: this.covariance }, nf.factor.ctx, nf.minibatch ? dataScale : 1, this.message);
      for (let i = 0; i < target.length; i++) target[i] = target[i]! + this.message[i]!;
    }
    for (let i = 0; i < target.length; i++) {
      if (!Number.isFinite(target[i])) {
        throw new VireoError("NUMERICAL_FAILURE", `Natural-gradient update of '${v.name}': natural parameter ${i} of the target is ${target[i]}. Check the inputs of ${this.factors.map((f) => `'${f.factor.name}'`).join(", ")} and the hyperparameters' values.`, { variable: v.name });
      }
    }
    // η of the current q: Λ = S⁻¹, θ₁ = Λ m.
    inverseFromCholesky(this.factorL, d, this.precision, this.work);
    const eta = this.eta;
    for (let i = 0; i < d; i++) {
      let acc = 0;
      for (let j = 0; j < d; j++) acc += this.precision[i * d + j]! * this.mean[j]!;
      eta[i] = acc;
    }
    for (let i = 0; i < d * d; i++) eta[d + i] = -0.5 * this.precision[i]!;
    let rho = step ?? this.sweepStep;
    if (!(rho > 0 && rho <= 1)) throw new VireoError("INVALID_OPTION", `Natural-gradient update of '${v.name}': the step ρ must be in (0, 1], got ${rho}.`, { variable: v.name });
    // The natural-parameter domain is convex and the current q proper: a short enough step is proper.
    for (let halvings = 0; ; halvings++) {
      if (this.writeQ(eta, target, rho)) break;
      if (halvings >= MAX_HALVINGS) {
        throw new VireoError("NUMERICAL_FAILURE", `Natural-gradient update of '${v.name}': the target precision is not positive definite even at step ${rho}; the messages of ${this.factors.map((f) => `'${f.factor.name}'`).join(", ")} point outside the Gaussians. Give '${v.name}' a proper prior (an MvNormal node) or lower the node's damping.`, { variable: v.name });
      }
      rho *= 0.5;
    }
    this.fit.steps++;
    v.gradient!.redraw();
  }

  /** q's current mean and covariance (read from λ; the buffers are reused). */
  moments(): GaussianMoments {
    this.readQ();
    return { mean: this.mean, covariance: this.covariance };
  }

  /** mean, covariance and the covariance's Cholesky factor of q from λ. */
  private readQ(): void {
    const d = this.d, lambda = this.fit.lambda, L = this.factorL;
    this.mean.set(lambda.subarray(0, d));
    L.fill(0);
    for (let i = 0, k = d; i < d; i++) for (let j = 0; j <= i; j++, k++) L[i * d + j] = i === j ? Math.exp(lambda[k]!) : lambda[k]!;
    for (let i = 0; i < d; i++) {
      for (let j = 0; j <= i; j++) {
        let acc = 0;
        for (let k = 0; k <= j; k++) acc += L[i * d + k]! * L[j * d + k]!;
        this.covariance[i * d + j] = acc;
        this.covariance[j * d + i] = acc;
      }
    }
  }

  /** λ ← the q of η_old + ρ (target − η_old); false (λ unchanged) when that precision is not positive definite. */
  private writeQ(eta: Float64Array, target: Float64Array, rho: number): boolean {
    const d = this.d, P = this.precision, L = this.factorL, shift = this.work;
    for (let i = 0; i < d * d; i++) P[i] = -2 * ((1 - rho) * eta[d + i]! + rho * target[d + i]!);
    // Symmetrise against round-off in the messages.
    for (let i = 0; i < d; i++) for (let j = 0; j < i; j++) P[i * d + j] = P[j * d + i] = 0.5 * (P[i * d + j]! + P[j * d + i]!);
    try {
      choleskyInto(P, d, L, `q('${this.variable.name}') precision`);
    } catch (e) {
      if (e instanceof VireoError) return false;
      throw e;
    }
    for (let i = 0; i < d; i++) shift[i] = (1 - rho) * eta[i]! + rho * target[i]!;
    // S = Λ⁻¹, m = S θ₁, then the Cholesky factor of S into λ (log diagonal).
    const S = this.covariance;
    inverseFromCholesky(L, d, S, this.mean);
    const lambda = this.fit.lambda;
    for (let i = 0; i < d; i++) {
      let acc = 0;
      for (let j = 0; j < d; j++) acc += S[i * d + j]! * shift[j]!;
      lambda[i] = acc;
    }
    choleskyInto(S, d, L, `q('${this.variable.name}') covariance`);
    for (let i = 0, k = d; i < d; i++) for (let j = 0; j <= i; j++, k++) lambda[k] = i === j ? Math.log(L[i * d + i]!) : L[i * d + j]!;
    return true;
  }

  /**
   * The factor's edge values other than the variable's own: known columns; a point mass at its
   * current λ (its draws date from before its last step); another gradient-fitted variable at its draw 0.
   */
  private fillValues(f: FactorState): void {
    for (const key of Object.keys(this.values)) delete this.values[key];
    for (const [edge, b] of Object.entries(f.spec.edges)) {
      const u = this.state.variables.get(b.variable)!;
      if (u === this.variable) continue;
      if (u.known) this.values[edge] = u.values;
      else this.values[edge] = pointValue(u) ?? u.gradient!.draws[0]!;
    }
  }
}

/**
 * The natural-gradient set-up of a gradient-fitted variable, or null when it takes ordinary
 * optimiser steps: one instance of an MvNormal with a full-rank Gaussian q on the identity, every
 * density factor touching it offering a natural message for the edge it sits on (and on no other).
 */
export function naturalStepOf(v: VariableState, fit: GradientFit, state: CompiledState, isDataPlate: IsDataPlate): NaturalGaussianStep | null {
  if (v.count !== 1 || v.family?.name !== "MvNormal" || !(fit.q instanceof FullRankGaussianQ) || fit.bijector.name !== "identity") return null;
  if (v.densityFactors.length === 0) return null;
  const factors: NaturalFactor[] = [];
  for (const f of v.densityFactors) {
    const type = f.spec.type;
    const natural = isDensityNode(type) ? type.density.natural : undefined;
    if (natural === undefined) return null;
    const edges = Object.entries(f.spec.edges).filter(([, b]) => b.variable === v.name).map(([e]) => e);
    if (edges.length !== 1 || edges[0] !== natural.edge) return null;
    factors.push({ factor: f, natural, minibatch: isDataPlate(f) });
  }
  return new NaturalGaussianStep(v, fit, state, factors);
}

/**
 * The current value of a point-mass gradient-fitted variable (T(λ)), or null for any other q. Its
 * draws date from before its last optimiser step; the natural-step path reads the value itself, so
 * q(v) and the hyperparameters' steps see the same point (the envelope theorem needs that).
 */
export function pointValue(u: VariableState): Float64Array | null {
  const g = u.gradient;
  if (g === null || g.fit.q.degenerate !== true) return null;
  const out = new Float64Array(g.draws[0]!.length);
  g.fit.bijector.forwardValue(g.fit.lambda, out);
  return out;
}
