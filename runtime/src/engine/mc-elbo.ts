/**
 * The ELBO of a model with gradient-fitted variables: exact terms plus Monte Carlo terms.
 *
 *   ELBO = Σ_f E_q[log f] + Σ_v H[q_v]
 *
 * Factors and entropies that involve no gradient-fitted variable are exact (as in CAVI). The rest
 * are averaged over joint draws s of the gradient-fitted variables: conjugate factors evaluate
 * their E_q[log f] with each such variable's statistics set to T(x_s) (unbiased, since the energy
 * is linear in each edge's statistics), density factors give log g(x_s), and each variable adds
 * H[q(z)] + log|det J(z_s)|. The per-draw totals give the estimate and its standard error.
 */
import { Tape, VireoError, describeBound, type Bound, type Generator } from "@vireo/core";
import type { CompiledState, FactorState, VariableState } from "./state.js";
import { gradientVariables, type GradientVariable } from "./gradient.js";
import { densityOnTape } from "./factor-terms.js";
import { refreshJointDensities } from "./joint-step.js";

export interface ElboEstimate {
  readonly value: number;
  /** Monte Carlo standard error (0 when every term is exact; NaN from a single draw). */
  readonly standardError: number;
}

/** Multipliers of terms (SVI: N/|B| for the batch's factors and local entropies); default 1. */
export interface ElboScales {
  readonly factor?: (f: FactorState) => number;
  readonly variable?: (v: VariableState) => number;
}

/** Which factors are exact, which need draws; computed once per compiled state. */
export interface ElboPlan {
  readonly exactFactors: FactorState[];
  readonly drawnFactors: FactorState[];
  readonly densityFactors: FactorState[];
  readonly grads: GradientVariable[];
  readonly entropies: Float64Array;
  readonly perDraw: Float64Array;
  /** The draw being summed, read by `densityAtDraw` (made once, so a sweep allocates no closure). */
  drawIndex: number;
  readonly densityAtDraw: (f: FactorState) => number;
}
type Split = ElboPlan;

function split(state: CompiledState): Split {
  if (state.elboPlan) return state.elboPlan;
  const grads = gradientVariables(state);
  const gradNames = new Set(grads.map((g) => g.variable.name));
  const exactFactors: FactorState[] = [], drawnFactors: FactorState[] = [], densityFactors: FactorState[] = [];
  for (const f of state.factors) {
    if (f.density !== null) densityFactors.push(f);
    else if (Object.values(f.spec.edges).some((b) => gradNames.has(b.variable))) drawnFactors.push(f);
    else exactFactors.push(f);
  }
  const plan: ElboPlan = {
    exactFactors, drawnFactors, densityFactors, grads, entropies: new Float64Array(grads.length), perDraw: new Float64Array(grads[0]?.samples ?? 0),
    drawIndex: 0, densityAtDraw: (f) => f.density!.values[plan.drawIndex]!,
  };
  (state as { elboPlan?: ElboPlan }).elboPlan = plan;
  return plan;
}

function exactPart(state: CompiledState, sp: Split, scales: ElboScales): number {
  let total = 0;
  for (const f of sp.exactFactors) total += (scales.factor?.(f) ?? 1) * f.spec.type.logFactor(f.ctx);
  for (const v of state.random) if (v.gradient === null) total += (scales.variable?.(v) ?? 1) * v.family!.entropyRows(v.eta, v.count, v.weights);
  return total;
}

/** The Monte Carlo terms at the draws currently in slot s of every gradient-fitted variable. */
function drawnPart(sp: Split, s: number, entropies: Float64Array, densityAt: (f: FactorState) => number, scales: ElboScales): number {
  let t = 0;
  for (let i = 0; i < sp.grads.length; i++) {
    const g = sp.grads[i]!, v = g.variable;
    v.stats.set(g.drawStats[s]!);
    v.changes.markChanged(v.stats);
    t += (scales.variable?.(v) ?? 1) * (entropies[i]! + g.logDet[s]!);
  }
  for (const f of sp.drawnFactors) t += (scales.factor?.(f) ?? 1) * f.spec.type.logFactor(f.ctx);
  for (const f of sp.densityFactors) t += (scales.factor?.(f) ?? 1) * densityAt(f);
  return t;
}

function summarise(exact: number, perDraw: Float64Array): ElboEstimate {
  const S = perDraw.length;
  let mean = 0;
  for (let s = 0; s < S; s++) mean += perDraw[s]! / S;
  let ss = 0;
  for (let s = 0; s < S; s++) ss += (perDraw[s]! - mean) ** 2;
  // One draw (gradient.samples: 1) gives no standard error.
  return { value: exact + mean, standardError: S > 1 ? Math.sqrt(ss / (S - 1) / S) : NaN };
}

/**
 * The ELBO from the draws of the latest gradient steps (cheap: no new density evaluations), for
 * convergence monitoring. Every gradient-fitted variable must have drawn (initialise does).
 */
export function monteCarloElbo(state: CompiledState, scales: ElboScales = {}): ElboEstimate {
  const sp = split(state);
  const exact = exactPart(state, sp, scales);
  if (sp.grads.length === 0) return { value: exact, standardError: 0 };
  refreshJointDensities(state);
  const S = sp.grads[0]!.samples, entropies = sp.entropies, perDraw = sp.perDraw;
  for (let i = 0; i < sp.grads.length; i++) entropies[i] = sp.grads[i]!.entropy;
  for (let s = 0; s < S; s++) {
    sp.drawIndex = s;
    perDraw[s] = drawnPart(sp, s, entropies, sp.densityAtDraw, scales);
  }
  for (const g of sp.grads) g.averageStats();
  return summarise(exact, perDraw);
}

/**
 * A fresh estimate at the current q from `samples` new joint draws (the ELBO a stochastic fit
 * returns). Leaves each gradient-fitted variable's statistics at their exact value where q's
 * moments are closed form, else at the mean over the new draws.
 */
export function freshElbo(state: CompiledState, samples: number, rng: Generator, scales: ElboScales = {}): ElboEstimate {
  const sp = split(state);
  const exact = exactPart(state, sp, scales);
  if (sp.grads.length === 0) return { value: exact, standardError: 0 };
  const entropies = Float64Array.from(sp.grads, (g) => g.entropyNow());
  // (fresh draws use their own per-draw buffer: the plan's serves the sweep estimate)
  const means = sp.grads.map((g) => new Float64Array(g.variable.stats.length));
  const tape = new Tape();
  const perDraw = new Float64Array(samples);
  for (let i = 0; i < samples; i++) {
    sp.grads.forEach((g, k) => {
      g.drawSlot(0, rng);
      const m = means[k]!, st = g.drawStats[0]!;
      for (let j = 0; j < m.length; j++) m[j] = m[j]! + st[j]! / samples;
    });
    perDraw[i] = drawnPart(sp, 0, entropies, (f) => {
      tape.reset();
      return densityOnTape(state, f, tape, 0, null, null).value[0]!;
    }, scales);
  }
  sp.grads.forEach((g, k) => {
    if (g.exactMoments) g.averageStats();
    else {
      g.variable.stats.set(means[k]!);
      g.variable.changes.markChanged(g.variable.stats);
    }
  });
  return summarise(exact, perDraw);
}

/**
 * log r_i = (the drawn terms at joint draw i) − Σ_v log q_v(z_i) over `samples` fresh joint draws of
 * the gradient-fitted variables: log importance ratios of q against the target their Markov
 * blankets define (the closed-form variables' q held fixed; the model's joint itself when every
 * random variable is gradient-fitted). Their mean plus `exact` is an ELBO estimate, their
 * log-mean-exp an IWAE estimate, and PSIS reads k̂ from them. The variables' statistics are left
 * as they were.
 */
export function freshLogRatios(state: CompiledState, samples: number, rng: Generator, scales: ElboScales = {}): { exact: number; logRatios: Float64Array } {
  const sp = split(state);
  const exact = exactPart(state, sp, scales);
  const saved = sp.grads.map((g) => g.variable.stats.slice());
  const zero = new Float64Array(sp.grads.length);
  const tape = new Tape();
  const logRatios = new Float64Array(samples);
  for (let i = 0; i < samples; i++) {
    let logq = 0;
    for (const g of sp.grads) logq += (scales.variable?.(g.variable) ?? 1) * g.drawSlotWithLogDensity(0, rng);
    logRatios[i] = drawnPart(sp, 0, zero, (f) => {
      tape.reset();
      return densityOnTape(state, f, tape, 0, null, null, true).value[0]!;
    }, scales) - logq;
  }
  sp.grads.forEach((g, k) => {
    g.variable.stats.set(saved[k]!);
    g.variable.changes.markChanged(g.variable.stats);
  });
  return { exact, logRatios };
}

/**
 * A bound from log ratios in groups of K (draw order): ELBO = mean log r; IWAE_K = mean over groups
 * of log (1/K) Σ r; Rényi_α = mean over groups of (1 − α)⁻¹ log (1/K) Σ r^{1−α}. With its standard
 * error over groups; `exact` is added to the value.
 */
export function boundFromLogRatios(logRatios: Float64Array, bound: Bound, exact: number): ElboEstimate {
  const K = bound.kind === "elbo" ? 1 : bound.K, a = bound.kind === "renyi" ? 1 - bound.alpha : 1;
  const groups = Math.floor(logRatios.length / K);
  if (groups < 2) {
    throw new VireoError("INVALID_OPTION", `Evaluating ${describeBound(bound)} needs at least 2 groups of K = ${K} draws, got ${logRatios.length} draws; raise gradient.checkDraws.`, { parameter: "checkDraws" });
  }
  const values = new Float64Array(groups);
  for (let g = 0; g < groups; g++) {
    let m = -Infinity;
    for (let j = 0; j < K; j++) m = Math.max(m, a * logRatios[g * K + j]!);
    let s = 0;
    for (let j = 0; j < K; j++) s += Math.exp(a * logRatios[g * K + j]! - m);
    values[g] = (m + Math.log(s / K)) / a;
  }
  return summarise(exact, values);
}
