/**
 * One coordinate-ascent update of a random variable: q(v) ∝ exp(Σ messages), i.e. its natural
 * parameters become the sum of the messages of its neighbouring factors. Variables declared
 * mean-field take their family's best fully factorised q instead; gradient-fitted variables
 * take one optimiser step (engine/gradient.ts). Scratch buffers live in the VariableState.
 */
import { VireoError, fmt, DirichletFamily } from "@vireo/core";
import { dirichletStepStats } from "./dirichlet-step.js";
import type { VariableState, FactorState } from "./state.js";
import { gatheredUpdate } from "./gathered-update.js";
import { runRowPass } from "./row-pass.js";

/** How a streaming engine modifies an update (plain CAVI passes none of these). */
export interface UpdateOptions {
  /** Multiplier for a factor's message (SVI scales minibatch factors by N/|B|); default 1. */
  readonly scale?: (f: FactorState) => number;
  /** Added to the summed messages (online updating: the evidence of earlier batches). */
  readonly extra?: Float64Array;
  /** Blend η ← (1 − step) η_old + step η_new (SVI's ρ_t); overrides the nodes' damping. Gradient-fitted variables take an optimiser step instead. */
  readonly step?: number;
  /** Scale N/|B| of density factors in data plates (SVI); default 1. */
  readonly dataScale?: number;
}


/**
 * Recomputes v's natural parameters and expected statistics in place. Returns Σ_i (A(η_i) −
 * E[log h]) when `wantLogNormaliser` (for the collapsed ELBO), else 0.
 */
export function updateVariable(v: VariableState, wantLogNormaliser = false, options: UpdateOptions = {}): number {
  if (v.gradient !== null) {
    // Gradient-fitted: one optimiser step on its Markov blanket of the ELBO (engine/gradient.ts);
    // a point mass next to conjugate factors only jumps to its closed-form mode (EM's M-step),
    // except under SVI's damped steps, where it keeps taking optimiser steps.
    if (v.gradient.closedFormMode !== null && options.step === undefined) v.gradient.modeStep(options.scale, options.extra);
    // A full-rank Gaussian q with natural messages (svgpNode's v): a natural-gradient step of size ρ.
    else if (v.gradient.natural !== null) v.gradient.natural.step(options.scale, options.dataScale ?? 1, options.extra, options.step);
    else v.gradient.step(options.scale, options.dataScale ?? 1, options.extra);
    return 0;
  }
  if (options.step === undefined && options.extra === undefined && options.scale === undefined) {
    if (v.rowPass) {
      // A mixture's selector: messages, softmax and the components' plate sums in one pass.
      const logNormaliser = runRowPass(v.rowPass);
      if (logNormaliser !== null) {
        if (!Number.isFinite(logNormaliser)) checkProper(v);
        return wantLogNormaliser ? logNormaliser : 0;
      }
    }
    // Softmax-statistics variables fed by gathered messages (topic assignments): exponentials per table instance, not per row.
    const logNormaliser = gatheredUpdate(v, wantLogNormaliser);
    if (logNormaliser !== null) return logNormaliser;
  }
  const step = options.step ?? v.damping;
  const previous = step < 1 ? v.scratch.previous : null;
  if (previous !== null) previous.set(v.eta);
  sumMessages(v, v.eta, options.scale);
  if (options.extra) for (let i = 0; i < v.eta.length; i++) v.eta[i] = v.eta[i]! + options.extra[i]!;
  return completeUpdate(v, wantLogNormaliser, previous, step);
}

/**
 * The rest of a closed-form update once v.eta holds the summed messages: row multiplicities,
 * mean-field projection, damping (`previous` holds η before the update when step < 1, else null),
 * the properness check and the expected statistics. For engines that sum the messages themselves.
 */
export function completeUpdate(v: VariableState, wantLogNormaliser: boolean, previous: Float64Array | null, step: number): number {
  // A damped Dirichlet (SVI's topics): blend and statistics fused (engine/dirichlet-step.ts).
  if (previous !== null && !wantLogNormaliser && v.weights === null && v.spec.factorisation !== "mean-field" && v.family instanceof DirichletFamily &&
    dirichletStepStats(v.eta, previous, step, v.stats, v.size, v.count)) {
    v.changes.markChanged(v.stats);
    return 0;
  }
  // In a plate with multiplicities every term touching row n counts c_n times, its entropy too:
  // the optimum is the unweighted sum of messages.
  if (v.weights !== null) divideRows(v.eta, v.weights, v.size);
  if (v.spec.factorisation === "mean-field") toMeanField(v);
  if (previous !== null) blendWithBacktracking(v, previous, step);
  else checkProper(v);
  const logNormaliser = v.family!.expectedStatsRows(v.eta, v.stats, v.count, wantLogNormaliser, v.weights);
  v.changes.markChanged(v.stats);
  return logNormaliser;
}

/** Halvings of a damped step before an improper target is reported (2⁻³⁰ ≈ 1e-9). */
const MAX_HALVINGS = 30;

/**
 * η ← (1 − step) η_old + step η_target. A non-conjugate message can point outside the family
 * (e.g. a negative precision where E_q[log f] curves upwards); the previous q is proper and the
 * natural-parameter domain is convex, so a short enough step is proper: halve until it is.
 */
function blendWithBacktracking(v: VariableState, previous: Float64Array, step: number): void {
  const target = v.scratch.message;
  target.set(v.eta);
  for (let halvings = 0; ; halvings++) {
    for (let i = 0; i < v.eta.length; i++) v.eta[i] = (1 - step) * previous[i]! + step * target[i]!;
    try {
      checkProper(v);
      return;
    } catch (e) {
      if (halvings >= MAX_HALVINGS) throw e;
      step *= 0.5;
    }
  }
}

/** out ← Σ over v's factors of scale(f) · message(f → v). */
export function sumMessages(v: VariableState, out: Float64Array, scale?: (f: FactorState) => number, only?: (f: FactorState) => boolean): void {
  out.fill(0);
  for (const nb of v.neighbours) {
    if (only && !only(nb.factor)) continue;
    const c = scale ? scale(nb.factor) : 1;
    if (c === 1) nb.rule(nb.factor.ctx, out);
    else {
      const tmp = v.scratch.message;
      tmp.fill(0);
      nb.rule(nb.factor.ctx, tmp);
      for (let i = 0; i < out.length; i++) out[i] = out[i]! + c * tmp[i]!;
    }
  }
}

function divideRows(eta: Float64Array, weights: Float64Array, size: number): void {
  for (let n = 0, o = 0; n < weights.length; n++) {
    const inv = 1 / weights[n]!;
    for (let i = 0; i < size; i++, o++) eta[o] = eta[o]! * inv;
  }
}

function sources(v: VariableState): string {
  return v.neighbours.map((n) => `'${n.factor.name}' (${n.factor.spec.type.name}, edge '${n.edge}')`).join(", ");
}

/** The family's standard parameter names ("mean, covariance"), read off its own fromNatural. */
function standardParameterNames(f: NonNullable<VariableState["family"]>): string {
  try {
    const p = f.fromNatural(f.startingPoint());
    return p !== null && typeof p === "object" ? Object.keys(p).join(", ") : "…";
  } catch {
    return "…";
  }
}

/** For a variable fitted by damped non-conjugate steps: which start to give instead. */
function startHint(v: VariableState): string {
  if (!v.neighbours.some((n) => n.factor.spec.type.damping !== undefined)) return "";
  const f = v.family!;
  const example = `${f.key}.toNatural({ ${standardParameterNames(f)} })`;
  return ` The damped update from the current start failed: start '${v.name}' nearer the data with cavi(model, { init: { ${v.name}: ${example} } }) ` +
    `(for a log-link regression, the intercept at the log of the mean count and a small covariance), or lower the node's damping.`;
}

function checkProper(v: VariableState): void {
  const eta = v.eta, f = v.family!;
  for (let i = 0; i < eta.length; i++) {
    if (!Number.isFinite(eta[i])) {
      const inst = Math.floor(i / v.size);
      throw new VireoError(
        "NUMERICAL_FAILURE",
        `Update of '${v.name}'${v.count > 1 ? ` instance ${inst}` : ""}: natural parameter ${i % v.size} is ${fmt(eta[i]!)}. ` +
          `Messages came from ${sources(v)}; check their inputs for overflow or a degenerate prior.${startHint(v)}`,
        { variable: v.name, row: inst },
      );
    }
  }
  const i = f.firstImproperRow(eta, v.count);
  if (i >= 0) {
    try {
      f.validate(eta.subarray(i * v.size, (i + 1) * v.size), `'${v.name}'`);
    } catch (e) {
      throw new VireoError(
        "NUMERICAL_FAILURE",
        `Update of '${v.name}'${v.count > 1 ? ` instance ${i}` : ""} gave an improper ${f.key}: ${(e as Error).message} ` +
          `Messages came from ${sources(v)}. A node's message rule may be wrong, or the variable lacks a proper prior.${startHint(v)}`,
        { variable: v.name, row: i },
      );
    }
  }
}

/** Mean-field q: the family's own projection (ExponentialFamily.toMeanField). */
function toMeanField(v: VariableState): void {
  try {
    v.family!.toMeanField(v.eta, v.count, `'${v.name}'`);
  } catch (e) {
    if (!(e instanceof VireoError)) throw e;
    throw new VireoError("NUMERICAL_FAILURE", `Update of '${v.name}': ${e.message} Messages came from ${sources(v)}.`, { variable: v.name, row: e.context.row });
  }
}
