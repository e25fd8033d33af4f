/**
 * Gradient-fitted variables read through q's moments: the engine side of moment density nodes
 * (nodes/src/density/moment-density.ts), e.g. a Bayesian neural network's layers under the local
 * reparameterisation trick.
 *
 * A variable on a moment edge must have a mean-field Gaussian q on the identity bijector and a
 * family with quadratic statistics (Normal, MvNormal; plated or not). Its step is then a function
 * of λ = [μ, ρ] on the tape, with no draw of the variable itself:
 *
 *   L(λ) = ⟨M, E_q[T(x)]⟩ + (1/S) Σ_s Σ_f c_f ℓ̂_f,s(μ, σ²) + H[q],
 *
 * where M is the sum of the conjugate neighbours' messages, ℓ̂_f,s the node's estimate of
 * E_q[log f] at local-noise draw s (moment edges) and at draw s of the node's other gradient-fitted
 * variables (plain edges; a density factor that reads this variable on a plain edge sees its
 * reparameterised draw μ + σ ε_s), c_f = N/|B| for data plates under minibatching. Because T is
 * quadratic, E_q[T(x)] = T(μ) + Σ_j σ_j² D_j with D_j = ½ ∂²T/∂x_j², computed exactly as the
 * second difference [T(μ + e_j) + T(μ − e_j) − 2T(μ)] / 2 (one pass over the plate per coordinate
 * of one value): ⟨M, E_q[T(x)]⟩ = ⟨M, T(μ)⟩ + Σ_j σ_j² ⟨M, D_j⟩, so the conjugate part and the
 * statistics conjugate neighbours read are exact, not Monte Carlo.
 *
 * Variables that share a moment node (a network's layers) are one objective: they step together,
 * the sum of their L(λ) on one tape with one backward pass (the first member the schedule reaches
 * steps the group; the others' updates in that sweep complete the round).
 *
 * After the step, S plain draws of q fill each variable's draw slots (the ELBO's prior terms and
 * other variables' plain edges read them) and its statistics are the exact E_q[T(x)].
 */
import { VireoError, Tape, ad, MeanFieldGaussianQ, statsDot, statsOfValues, guardedStep, type Generator, type TNode } from "@vireo/core";
import { isMomentNode, type EdgeMoments, type MomentInputs } from "@vireo/nodes";
import type { CompiledState, FactorState, VariableState } from "./state.js";
import { reduceDensity, edgeShape, isDataPlate, sumConjugate, type GradientVariable } from "./gradient.js";

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
export function planMomentStep(g: GradientVariable, state: CompiledState): MomentStep | null {
  const v = g.variable, edges = momentEdgesOf(v);
  if (edges.length === 0) return null;
  const fam = v.family!, fit = g.fit;
  if (!(fit.q instanceof MeanFieldGaussianQ) || fit.bijector.name !== "identity" || !fam.quadraticStats) {
    throw new VireoError(
      "INVALID_MODEL",
      `Variable '${v.name}' (${fam.key}) sits on moment edge${edges.length > 1 ? "s" : ""} [${edges.join(", ")}], which read q through its means and variances, so it needs a mean-field Gaussian q on the identity bijector over a family with quadratic statistics (Normal, MvNormal); it has ${fit.q.name} through '${fit.bijector.name}'${fam.quadraticStats ? "" : ` and ${fam.key}'s statistics are not quadratic`}. Declare it with { q: meanFieldGaussian() } (no bijector).`,
      { variable: v.name },
    );
  }
  return new MomentStep(g, state);
}

/** The per-variable machinery of a moment-fitted variable (see the file comment). */
export class MomentStep {
  private readonly tape = new Tape();
  private readonly grad: Float64Array;
  private readonly loss: Float64Array;
  /** σ² of every value (count × valueSize), read as a constant by other variables' steps. */
  readonly variance: Float64Array;
  /** ⟨M, D_j⟩ per value (count × valueSize), and the second differences' buffers. */
  private readonly curvature: Float64Array;
  private readonly base: Float64Array;
  private readonly plus: Float64Array;
  private readonly minus: Float64Array;
  private readonly point: Float64Array;
  private readonly statsScratch: Float64Array;
  private readonly shape: number[];
  private readonly dim: number;

  constructor(readonly g: GradientVariable, private readonly state: CompiledState) {
    const v = g.variable, fam = v.family!, n = v.count * fam.size;
    this.dim = v.count * fam.valueSize;
    this.grad = new Float64Array(g.fit.q.nParams);
    this.loss = new Float64Array(g.fit.q.nParams);
    this.variance = new Float64Array(this.dim);
    this.curvature = new Float64Array(this.dim);
    this.base = new Float64Array(n);
    this.plus = new Float64Array(n);
    this.minus = new Float64Array(n);
    this.point = new Float64Array(this.dim);
    this.statsScratch = new Float64Array(n);
    this.shape = edgeShape(v.count, fam.valueSize);
  }

  /** q's moments as constants on `tape` (another variable's step, or the ELBO, reads them). */
  constants(tape: Tape): EdgeMoments {
    const lam = this.g.fit.lambda, d = this.dim;
    for (let i = 0; i < d; i++) this.variance[i] = Math.exp(2 * lam[d + i]!);
    return { mean: tape.constant(lam.subarray(0, d), this.shape), variance: tape.constant(this.variance, this.shape) };
  }

  /**
   * Second differences of T at μ along each coordinate j of a value (all instances at once):
   * writes ⟨M, D_j⟩ into `curvature` when `message` is given, and E_q[T(x)] into `statsOut`.
   */
  private moments(message: Float64Array | null, statsOut: Float64Array | null): void {
    const v = this.g.variable, fam = v.family!, k = fam.valueSize, size = fam.size, count = v.count, d = this.dim;
    const lam = this.g.fit.lambda, mu = lam.subarray(0, d);
    statsOfValues(fam, mu, count, this.base);
    if (statsOut) statsOut.set(this.base);
    for (let j = 0; j < k; j++) {
      this.point.set(mu);
      for (let n = 0; n < count; n++) this.point[n * k + j] = mu[n * k + j]! + 1;
      statsOfValues(fam, this.point, count, this.plus);
      for (let n = 0; n < count; n++) this.point[n * k + j] = mu[n * k + j]! - 1;
      statsOfValues(fam, this.point, count, this.minus);
      for (let n = 0; n < count; n++) {
        const s2 = Math.exp(2 * lam[d + n * k + j]!);
        let dot = 0;
        for (let i = n * size; i < (n + 1) * size; i++) {
          const second = 0.5 * (this.plus[i]! + this.minus[i]! - 2 * this.base[i]!);
          if (message) dot += message[i]! * second;
          if (statsOut) statsOut[i] = statsOut[i]! + s2 * second;
        }
        if (message) this.curvature[n * k + j] = dot;
      }
    }
  }

  /** The exact E_q[T(x)] into the variable's statistics buffer. */
  exactStats(): void {
    const v = this.g.variable;
    this.moments(null, v.stats);
    v.changes.markChanged(v.stats);
  }

  /** The moment-fitted variables that share moment nodes with this one (itself included), stepped together. */
  private group: MomentStep[] | null = null;
  /** Members stepped in the current round (the first member's call steps them all). */
  private readonly done = new Set<MomentStep>();

  private groupOf(): MomentStep[] {
    if (this.group !== null) return this.group;
    const members: MomentStep[] = [this], seen = new Set<VariableState>([this.g.variable]);
    for (let i = 0; i < members.length; i++) {
      for (const f of members[i]!.g.densityFactors) {
        const type = f.spec.type;
        if (!isMomentNode(type)) continue;
        for (const e of type.moments.edges) {
          const u = this.state.variables.get(f.spec.edges[e]!.variable)!;
          if (!seen.has(u) && u.gradient?.moment) {
            seen.add(u);
            members.push(u.gradient.moment);
          }
        }
      }
    }
    // One shared group object: every member sees the same array and round.
    for (const m of members) m.group = members;
    return members;
  }

  /**
   * One optimiser step on L(λ) (see the file comment) for this variable and every moment-fitted
   * variable it shares a moment node with (a network's layers are one objective: one tape pass
   * serves them all). The first member called in a round steps the group; the others' calls in
   * the same round only complete it. `scale` multiplies conjugate messages, `dataScale` c_f.
   */
  step(scale: ((f: FactorState) => number) | undefined, dataScale: number): void {
    const group = this.groupOf(), leader = group[0]!, done = leader.done;
    if (done.has(this) || done.size === 0) {
      done.clear();
      stepJointly(this.state, group, scale, dataScale);
    }
    done.add(this);
    if (done.size === group.length) done.clear();
  }

  /** Builds this member's moments on `t` (λ as a parameter) and its ⟨M, E_q[T(x)]⟩ + H[q]. */
  /** @internal */
  own(t: Tape, scale: ((f: FactorState) => number) | undefined): { self: MomentSelf; term: TNode } {
    const g = this.g, fit = g.fit, v = g.variable, rng = g.rng!;
    sumConjugate(v, g.message, scale);
    this.moments(g.message, null);
    const lam = t.param(fit.lambda, undefined, this.grad);
    const parts = fit.q.prepare(lam);
    const mean = parts[0]!, sd = parts[1]!, variance = ad.square(sd);
    const self: MomentSelf = {
      variable: v, draw: null,
      moments: { mean: ad.reshape(mean, this.shape), variance: ad.reshape(variance, this.shape) },
      drawAt: () => {
        const eps = new Float64Array(this.dim);
        fit.q.drawNoise(rng, eps);
        return ad.reshape(ad.add(mean, ad.mul(sd, t.constant(eps))), this.shape);
      },
    };
    const term = ad.add(ad.add(statsDot(mean, v.family!, v.count, g.message, this.statsScratch), ad.sum(ad.mul(variance, t.constant(this.curvature)))), fit.q.entropy(parts));
    return { self, term };
  }

  /** The optimiser step from the gradient in `grad`, then fresh plain draws, H[q] and exact statistics. */
  /** @internal */
  finish(): void {
    const g = this.g, fit = g.fit, S = g.samples, rng = g.rng!;
    for (let i = 0; i < this.grad.length; i++) this.loss[i] = -this.grad[i]!;
    const outcome = guardedStep(fit.optimizer, fit.lambda, this.loss, fit.optimizerState, fit.schedule.rate(fit.optimizerState.step));
    fit.steps++;
    if (!outcome.applied) fit.skipped++;
    // Plain draws of the new q for the ELBO's drawn terms and other variables' plain edges.
    for (let s = 0; s < S; s++) g.drawSlot(s, rng);
    g.entropy = g.entropyNow();
    this.exactStats();
    g.drawn = true;
  }

  /**
   * Whether this variable's redraw evaluates moment factor f: the node's value at fresh draws
   * depends on q's moments, not on the layers' draws, so one evaluation serves all its variables:
   * that of a plain-edge gradient-fitted variable (τ) if f has one, else the group leader's.
   */
  evaluatesOnRedraw(f: FactorState): boolean {
    if (!isMomentNode(f.spec.type)) return true;
    for (const b of Object.values(f.spec.edges)) {
      const u = this.state.variables.get(b.variable)!;
      if (u.gradient !== null && u.gradient.moment === null) return false;
    }
    return this.groupOf()[0] === this;
  }

  /** The tape of a group step (the leader's). */
  get groupTape(): Tape {
    return this.tape;
  }
}

/** One joint step of a group of moment-fitted variables (see MomentStep.step): one tape, one backward pass. */
function stepJointly(state: CompiledState, group: readonly MomentStep[], scale: ((f: FactorState) => number) | undefined, dataScale: number): void {
  const t = group[0]!.groupTape, S = group[0]!.g.samples;
  t.reset();
  const selves = new Map<VariableState, MomentSelf>(), factors: FactorState[] = [];
  let total: TNode | null = null;
  for (const m of group) {
    const { self, term } = m.own(t, scale);
    selves.set(m.g.variable, self);
    total = total === null ? term : ad.add(total, term);
    for (const f of m.g.densityFactors) if (!factors.includes(f)) factors.push(f);
  }
  for (let s = 0; s < S; s++) {
    for (const f of factors) {
      const value = momentDensityOnTape(state, f, t, s, selves);
      f.density!.values[s] = value.value[0]!;
      total = ad.add(total!, ad.scale(value, (isDataPlate(state.model, f) ? dataScale : 1) / S));
    }
  }
  t.backward(total!);
  for (const m of group) m.finish();
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
