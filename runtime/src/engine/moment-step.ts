/**
 * Gradient-fitted variables read through q's moments: the engine side of moment density nodes
 * (nodes/src/density/moment-density.ts), e.g. a Bayesian neural network's layers under the local
 * reparameterisation trick.
 *
 * A variable on a moment edge must have a mean-field Gaussian q (or a point mass: MAP, whose
 * moments are its value with zero variance and whose entropy is 0) on the identity bijector and a
 * family with quadratic statistics (Normal, MvNormal; plated or not). Its step is then a function
 * of λ = [μ, ρ] (or λ = μ) on the tape, with no draw of the variable itself:
 *
 *   L(λ) = ⟨M, E_q[T(x)]⟩ + (1/S) Σ_s Σ_f c_f ℓ̂_f,s(μ, σ²) + H[q],
 *
 * where M is the sum of the conjugate neighbours' messages, ℓ̂_f,s the node's estimate of
 * E_q[log f] at local-noise draw s (moment edges) and at draw s of the node's other gradient-fitted
 * variables (plain edges; a density factor that reads this variable on a plain edge sees its
 * reparameterised draw μ + σ ε_s), c_f = N/|B| for data plates under minibatching. Because T is
 * quadratic, E_q[T(x)] = T(μ) + Σ_j σ_j² D_j with D_j = ½ ∂²T/∂x_j², computed exactly as the
 * second difference [T(μ + e_j) + T(μ − e_j) − 2T(μ)] / 2 (the same at every μ, so computed once):
 * ⟨M, E_q[T(x)]⟩ = ⟨M, T(μ)⟩ + Σ_j σ_j² ⟨M, D_j⟩, so the conjugate part and the
 * statistics conjugate neighbours read are exact, not Monte Carlo.
 *
 * Variables that share a moment node (a network's layers), and the reparameterised variables that
 * touch only such nodes (the observation precision), are one objective: they step together on one
 * tape with one backward pass, sharing the forward pass with the ELBO (engine/moment-group.ts).
 *
 * After the step, S plain draws of q fill each variable's draw slots (the ELBO's prior terms and
 * other variables' plain edges read them) and its statistics are the exact E_q[T(x)].
 */
import { VireoError, Tape, ad, MeanFieldGaussianQ, PointMassQ, statsDot, statsOfValues, guardedStep, type Generator, type TNode } from "@vireo/core";
import { isMomentNode, type EdgeMoments, type MomentInputs } from "@vireo/nodes";
import type { CompiledState, FactorState, VariableState } from "./state.js";
import type { GradientVariable } from "./gradient.js";
import { reduceDensity, edgeShape, sumConjugate } from "./factor-terms.js";

/** The variable being stepped, as a density factor sees it: its moments on tape, and its draw where a plain edge reads it. */
export interface MomentSelf {
  readonly variable: VariableState;
  /** Its value at draw s on the tape (plain edges); the moment step passes null and `drawAt` instead. */
  readonly draw: TNode | null;
  readonly moments?: EdgeMoments;
  readonly drawAt?: (s: number) => TNode;
}

/** The moment edges a variable is bound to, as "factor.edge". */
function momentEdgesOf(v: VariableState): string[] {
  const out: string[] = [];
  for (const f of v.densityFactors) {
    if (!isMomentNode(f.spec.type)) continue;
    for (const e of f.spec.type.moments.edges) if (f.spec.edges[e]?.variable === v.name) out.push(`${f.name}.${e}`);
  }
  return out;
}

/** The moment step of `g`, or null when the variable sits on no moment edge. Refuses a q it cannot read. */
export function planMomentStep(g: GradientVariable): MomentStep | null {
  const v = g.variable, edges = momentEdgesOf(v);
  if (edges.length === 0) return null;
  const fam = v.family!, fit = g.fit;
  const point = fit.q instanceof PointMassQ;
  if (!(fit.q instanceof MeanFieldGaussianQ || point) || fit.bijector.name !== "identity" || !fam.quadraticStats) {
    throw new VireoError(
      "INVALID_MODEL",
      `Variable '${v.name}' (${fam.key}) sits on moment edge${edges.length > 1 ? "s" : ""} [${edges.join(", ")}], which read q through its means and variances, so it needs a mean-field Gaussian q (or a point mass: MAP) on the identity bijector over a family with quadratic statistics (Normal, MvNormal); it has ${fit.q.name} through '${fit.bijector.name}'${fam.quadraticStats ? "" : ` and ${fam.key}'s statistics are not quadratic`}. Declare it with { q: meanFieldGaussian() } or { q: pointMass() } (no bijector).`,
      { variable: v.name },
    );
  }
  return new MomentStep(g);
}

/** The per-variable machinery of a moment-fitted variable (see the file comment). */
export class MomentStep {
  private readonly grad: Float64Array;
  private readonly loss: Float64Array;
  /** σ² of every value (count × valueSize), read as a constant by other variables' steps. */
  readonly variance: Float64Array;
  /** ⟨M, D_j⟩ per value (count × valueSize). */
  private readonly curvature: Float64Array;
  /**
   * D_j = ½ ∂²T/∂x_j² for each coordinate j of a value (valueSize buffers of count × size): T is
   * quadratic, so the second difference [T(x + e_j) + T(x − e_j) − 2T(x)] / 2 is the same at
   * every x and is computed once, at x = 0.
   */
  private readonly second: Float64Array[];
  private readonly statsScratch: Float64Array;
  private readonly shape: number[];
  private readonly dim: number;
  /** A point-mass q (MAP weights): moments are the value with zero variance, and no entropy. */
  readonly isPoint: boolean;
  /** T(0) and the linear coefficients of T per value (scalar-valued families), and a buffer of ⟨M, L⟩ per value. */
  private readonly scalarForm: { readonly zero: Float64Array; readonly linear: Float64Array; readonly coef: Float64Array } | null = null;

  constructor(readonly g: GradientVariable) {
    const v = g.variable, fam = v.family!, n = v.count * fam.size, k = fam.valueSize;
    this.dim = v.count * k;
    this.isPoint = g.fit.q instanceof PointMassQ;
    this.grad = new Float64Array(g.fit.q.nParams);
    this.loss = new Float64Array(g.fit.q.nParams);
    this.variance = new Float64Array(this.dim);
    this.curvature = new Float64Array(this.dim);
    this.statsScratch = new Float64Array(n);
    this.shape = edgeShape(v.count, k);
    this.drawnAt = new Float64Array(g.fit.lambda.length);
    this.drawsRead = v.densityFactors.some((f) => {
      const type = f.spec.type;
      return Object.entries(f.spec.edges).some(([e, b]) => b.variable === v.name && !(isMomentNode(type) && type.moments.edges.includes(e)));
    });
    const point = new Float64Array(this.dim), base = new Float64Array(n), plus = new Float64Array(n), minus = new Float64Array(n);
    statsOfValues(fam, point, v.count, base);
    this.second = Array.from({ length: k }, (_, j) => {
      for (let i = 0; i < v.count; i++) point[i * k + j] = 1;
      statsOfValues(fam, point, v.count, plus);
      for (let i = 0; i < v.count; i++) point[i * k + j] = -1;
      statsOfValues(fam, point, v.count, minus);
      for (let i = 0; i < v.count; i++) point[i * k + j] = 0;
      return Float64Array.from(base, (b, i) => 0.5 * (plus[i]! + minus[i]! - 2 * b));
    });
    // Scalar values: T_i(x) = T_i(0) + L_i x + D_i x² exactly, so ⟨M, T(μ)⟩ is a quadratic in μ
    // with per-value coefficients (a few whole-vector tape ops instead of one call per value).
    if (k === 1) this.scalarForm = { zero: base, linear: Float64Array.from(base, (_, i) => 0.5 * (plus[i]! - minus[i]!)), coef: new Float64Array(v.count) };
  }

  /** q's moments as constants on `tape` (another variable's step, or the ELBO, reads them). */
  constants(tape: Tape): EdgeMoments {
    const lam = this.g.fit.lambda, d = this.dim;
    if (this.isPoint) return { mean: tape.constant(lam.subarray(0, d), this.shape), variance: null };
    for (let i = 0; i < d; i++) this.variance[i] = Math.exp(2 * lam[d + i]!);
    return { mean: tape.constant(lam.subarray(0, d), this.shape), variance: tape.constant(this.variance, this.shape), meanField: tape.constant(lam) };
  }

  /** ⟨M, D_j⟩ for every value and coordinate into `curvature`. */
  private curvatures(message: Float64Array): void {
    const v = this.g.variable, fam = v.family!, k = fam.valueSize, size = fam.size;
    for (let j = 0; j < k; j++) {
      const D = this.second[j]!;
      for (let n = 0; n < v.count; n++) {
        let dot = 0;
        for (let i = n * size; i < (n + 1) * size; i++) dot += message[i]! * D[i]!;
        this.curvature[n * k + j] = dot;
      }
    }
  }

  /** The exact E_q[T(x)] = T(μ) + Σ_j σ_j² D_j into the variable's statistics buffer. */
  exactStats(): void {
    const v = this.g.variable, fam = v.family!, k = fam.valueSize, size = fam.size, d = this.dim, lam = this.g.fit.lambda, st = v.stats;
    statsOfValues(fam, lam.subarray(0, d), v.count, st);
    if (!this.isPoint) {
      for (let j = 0; j < k; j++) {
        const D = this.second[j]!;
        for (let n = 0; n < v.count; n++) {
          const s2 = Math.exp(2 * lam[d + n * k + j]!);
          for (let i = n * size; i < (n + 1) * size; i++) if (D[i] !== 0) st[i] = st[i]! + s2 * D[i]!;
        }
      }
    }
    v.changes.markChanged(st);
  }

  /** Builds this member's λ on `t` (a parameter) and its moments as a density factor reads them. */
  /** @internal */
  onTape(t: Tape): MomentSelf {
    const g = this.g, fit = g.fit, v = g.variable, rng = g.rng!;
    const lam = t.param(fit.lambda, undefined, this.grad);
    const parts = (this.parts = fit.q.prepare(lam));
    const mean = parts[0]!;
    if (this.isPoint) return { variable: v, draw: null, moments: { mean: ad.reshape(mean, this.shape), variance: null }, drawAt: () => ad.reshape(mean, this.shape) };
    const sd = parts[1]!, variance = (this.varianceNode = ad.square(sd));
    return {
      variable: v, draw: null,
      moments: { mean: ad.reshape(mean, this.shape), variance: ad.reshape(variance, this.shape), meanField: lam },
      drawAt: () => {
        const eps = new Float64Array(this.dim);
        fit.q.drawNoise(rng, eps);
        return ad.reshape(ad.add(mean, ad.mul(sd, t.constant(eps))), this.shape);
      },
    };
  }
  private parts: TNode[] = [];
  private varianceNode: TNode | null = null;

  /**
   * ⟨M, E_q[T(x)]⟩ + H[q] on the tape of the last `onTape` (the messages summed now, `scale`d):
   * ⟨M, T(μ)⟩ + Σ_j σ_j² ⟨M, D_j⟩ + H[q]; a point mass has σ = 0 and no entropy (the log joint).
   */
  /** @internal */
  conjugateTerm(scale: ((f: FactorState) => number) | undefined): TNode {
    const g = this.g, v = g.variable, mean = this.parts[0]!, M = g.message, t = mean.tape;
    sumConjugate(v, M, scale);
    const sf = this.scalarForm;
    let dot: TNode;
    if (sf !== null) {
      // ⟨M, T(μ)⟩ = Σ_n [⟨M_n, T(0)⟩ + ⟨M_n, L⟩ μ_n + ⟨M_n, D⟩ μ_n²].
      const size = v.family!.size, D = this.second[0]!;
      let c = 0;
      for (let n = 0; n < v.count; n++) {
        let lin = 0, curv = 0;
        for (let i = n * size; i < (n + 1) * size; i++) {
          c += M[i]! * sf.zero[i]!;
          lin += M[i]! * sf.linear[i]!;
          curv += M[i]! * D[i]!;
        }
        sf.coef[n] = lin;
        this.curvature[n] = curv;
      }
      dot = ad.shift(ad.add(ad.sum(ad.mul(mean, t.constant(sf.coef))), ad.sum(ad.mul(ad.square(mean), t.constant(this.curvature)))), c);
    } else {
      dot = statsDot(mean, v.family!, v.count, M, this.statsScratch);
      if (!this.isPoint) this.curvatures(M);
    }
    if (this.isPoint) return dot;
    return ad.add(ad.add(dot, ad.sum(ad.mul(this.varianceNode!, t.constant(this.curvature)))), g.fit.q.entropy(this.parts));
  }

  /** The optimiser step from the gradient in `grad`, then fresh plain draws, H[q] and exact statistics. */
  /** @internal */
  finish(): void {
    const fit = this.g.fit;
    for (let i = 0; i < this.grad.length; i++) this.loss[i] = -this.grad[i]!;
    const outcome = guardedStep(fit.optimizer, fit.lambda, this.loss, fit.optimizerState, fit.schedule.rate(fit.optimizerState.step));
    fit.steps++;
    if (!outcome.applied) fit.skipped++;
    this.redrawPlain();
  }

  /**
   * H[q], the exact statistics, and the draw slots: S plain draws of q when a density factor reads
   * the variable on a plain edge, else (no one reads a draw) E_q[T(x)] in every slot, exact for the
   * ELBO's conjugate terms and free of noise, made again only when λ has changed.
   */
  /** @internal */
  redrawPlain(): void {
    const g = this.g, S = g.samples, lam = g.fit.lambda;
    if (!this.drawsRead && g.drawn && sameValues(this.drawnAt, lam)) return;
    this.exactStats();
    if (this.drawsRead) for (let s = 0; s < S; s++) g.drawSlot(s, g.rng!);
    else {
      const st = g.variable.stats, mu = lam.subarray(0, this.dim);
      for (let s = 0; s < S; s++) {
        g.drawStats[s]!.set(st);
        g.draws[s]!.set(mu);
        g.logDet[s] = 0;
      }
    }
    g.entropy = this.isPoint ? 0 : g.entropyNow();
    this.drawnAt.set(lam);
    g.drawn = true;
  }
  /** λ at the last redrawPlain. */
  private readonly drawnAt: Float64Array;
  /** Whether some density factor reads this variable's draws (a plain edge). */
  private readonly drawsRead: boolean;
}

/** Whether two buffers of equal length hold the same numbers. */
export function sameValues(a: Float64Array, b: Float64Array): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The first generator attached to the state's gradient-fitted variables (local noise of moment nodes). */
function generatorOf(state: CompiledState, self: VariableState | null): Generator {
  const rng = self?.gradient?.rng ?? state.random.find((u) => u.gradient?.rng)?.gradient?.rng ?? null;
  if (rng === null) {
    throw new VireoError("INVALID_STATE", "A moment density node needs the engine's generator: initialise the state (initialise(state, rng)) before updating it.");
  }
  return rng;
}

/**
 * A moment node's estimate of E_q[log f] on `tape` at draw s, as a scalar: moment edges read q's
 * moments (the stepped variable's on the tape, others' as constants, known values with variance
 * null), plain edges read values (known columns, draw s of other gradient-fitted variables, the
 * stepped variable's own draw).
 */
export function momentDensityOnTape(state: CompiledState, f: FactorState, tape: Tape, s: number, selves: MomentSelf | ReadonlyMap<VariableState, MomentSelf> | null): TNode {
  const type = f.spec.type;
  if (!isMomentNode(type)) throw new VireoError("INVALID_STATE", `Factor '${f.name}' has no moment form.`, { node: f.name });
  const moment = new Set(type.moments.edges);
  const selfOf = (u: VariableState): MomentSelf | null => (selves === null ? null : selves instanceof Map ? selves.get(u) ?? null : (selves as MomentSelf).variable === u ? (selves as MomentSelf) : null);
  let anySelf: VariableState | null = null;
  const inputs: Record<string, TNode | EdgeMoments> = {};
  for (const [edge, b] of Object.entries(f.spec.edges)) {
    const u = state.variables.get(b.variable)!;
    const shape = edgeShape(u.count, u.spec.valueSize), self = u.known ? null : selfOf(u);
    if (self !== null) anySelf = u;
    if (moment.has(edge)) {
      if (u.known) inputs[edge] = { mean: tape.constant(u.values, shape), variance: null };
      else if (self !== null && self.moments) inputs[edge] = self.moments;
      else {
        const step = u.gradient?.moment ?? null;
        if (step === null) throw new VireoError("INVALID_STATE", `Factor '${f.name}', edge '${edge}': '${u.name}' is not moment-fitted.`, { node: f.name, edge });
        inputs[edge] = step.constants(tape);
      }
    } else if (u.known) inputs[edge] = tape.constant(u.values, shape);
    else if (self !== null) {
      const x = self.draw ?? self.drawAt!(s);
      inputs[edge] = shape.length === 1 || x.rank === shape.length ? x : ad.reshape(x, shape);
    } else inputs[edge] = tape.constant(u.gradient!.draws[s % u.gradient!.samples]!, shape);
  }
  return reduceDensity(f, type.moments.expectedLogDensity(inputs as MomentInputs, tape, f.ctx, generatorOf(state, anySelf)), tape);
}
