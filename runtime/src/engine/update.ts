/**
 * One coordinate-ascent update of a random variable: q(v) ∝ exp(Σ messages), i.e. its natural
 * parameters become the sum of the messages of its neighbouring factors. Vector Gaussians with
 * a mean-field factorisation take the best fully factorised q instead.
 */
import { VireoError, fmt, choleskyInto, choleskySolveInPlace } from "@vireo/core";
import { markChanged } from "@vireo/nodes";
import type { VariableState, FactorState } from "./state.js";

/** How a streaming engine modifies an update (plain CAVI passes none of these). */
export interface UpdateOptions {
  /** Multiplier for a factor's message (SVI scales minibatch factors by N/|B|); default 1. */
  readonly scale?: (f: FactorState) => number;
  /** Added to the summed messages (online updating: the evidence of earlier batches). */
  readonly extra?: Float64Array;
  /** Blend η ← (1 − step) η_old + step η_new (SVI's ρ_t); overrides the nodes' damping. */
  readonly step?: number;
}

/** Scratch buffers per variable (the engine runs synchronously, one update at a time). */
const scratch = new WeakMap<VariableState, { previous: Float64Array; message: Float64Array }>();
function scratchOf(v: VariableState): { previous: Float64Array; message: Float64Array } {
  let s = scratch.get(v);
  if (!s) scratch.set(v, (s = { previous: new Float64Array(v.eta.length), message: new Float64Array(v.eta.length) }));
  return s;
}

/**
 * Recomputes v's natural parameters and expected statistics in place. Returns Σ_i (A(η_i) −
 * E[log h]) when `wantLogNormaliser` (for the collapsed ELBO), else 0.
 */
export function updateVariable(v: VariableState, wantLogNormaliser = false, options: UpdateOptions = {}): number {
  const step = options.step ?? v.damping;
  const previous = step < 1 ? scratchOf(v).previous : null;
  if (previous !== null) previous.set(v.eta);
  sumMessages(v, v.eta, options.scale);
  if (options.extra) for (let i = 0; i < v.eta.length; i++) v.eta[i] = v.eta[i]! + options.extra[i]!;
  // In a plate with multiplicities every term touching row n counts c_n times, its entropy too:
  // the optimum is the unweighted sum of messages.
  if (v.weights !== null) divideRows(v.eta, v.weights, v.size);
  if (v.spec.factorisation === "mean-field") toMeanField(v);
  if (previous !== null) blendWithBacktracking(v, previous, step);
  else checkProper(v);
  const logNormaliser = v.family!.expectedStatsRows(v.eta, v.stats, v.count, wantLogNormaliser, v.weights);
  markChanged(v.stats);
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
  const target = scratchOf(v).message;
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
      const tmp = scratchOf(v).message;
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

/** For a variable fitted by damped non-conjugate steps: which start to give instead. */
function startHint(v: VariableState): string {
  if (!v.neighbours.some((n) => n.factor.spec.type.damping !== undefined)) return "";
  const f = v.family!;
  const example = f.name === "MvNormal" ? `${f.key}.toNatural({ mean, covariance })` : `${f.key}.toNatural({ … })`;
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

/**
 * Mean-field q(w) = Π_i N(w_i): given the total message [h, −½J], the best factorised q has
 * means m = J⁻¹h and variances 1/J_ii. Stored as an MvNormal with diagonal precision, whose
 * expected statistics [m, mmᵀ + diag(1/J_ii)] are exactly the mean-field ones.
 */
function toMeanField(v: VariableState): void {
  const d = v.family!.dim, size = v.size;
  const J = new Float64Array(d * d), L = new Float64Array(d * d), m = new Float64Array(d);
  for (let inst = 0; inst < v.count; inst++) {
    const o = inst * size;
    for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) J[i * d + j] = -(v.eta[o + d + i * d + j]! + v.eta[o + d + j * d + i]!);
    try {
      choleskyInto(J, d, L, `precision of '${v.name}'`);
    } catch (e) {
      throw new VireoError("NUMERICAL_FAILURE", `Update of '${v.name}': ${(e as Error).message} Messages came from ${sources(v)}.`, { variable: v.name, row: inst });
    }
    for (let i = 0; i < d; i++) m[i] = v.eta[o + i]!;
    choleskySolveInPlace(L, d, m);
    for (let i = 0; i < d; i++) {
      const jii = J[i * d + i]!;
      v.eta[o + i] = jii * m[i]!;
      for (let j = 0; j < d; j++) v.eta[o + d + i * d + j] = i === j ? -0.5 * jii : 0;
    }
  }
}
