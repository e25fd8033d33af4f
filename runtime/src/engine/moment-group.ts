/**
 * The joint step of a moment group: the gradient-fitted variables that share moment density nodes
 * (a Bayesian network's layers, engine/moment-step.ts) and the plain-edge variables that ride
 * along (its observation precision τ), fitted on ONE tape with ONE backward pass per step:
 *
 *   L(λ) = Σ_members [⟨M, E_q[T(w)]⟩ + H[q_w]]
 *        + Σ_riders [(1/S) Σ_s (⟨M, T(τ_s)⟩ + log|J(z_s)|) + H[q_τ]]
 *        + (1/S) Σ_s Σ_f c_f ℓ̂_f,s,
 *
 * where members enter the moment nodes through q's means and variances (local reparameterisation),
 * riders through reparameterised draws τ_s = T(μ + σ ε_s) on the tape, ℓ̂_f,s is the node's
 * estimate of E_q[log f] at local-noise draw s, and c_f = N/|B| for data plates under minibatching.
 * With gradient.klWeight, β(step) multiplies each member's prior and entropy terms (the KL of a
 * Bayesian network's weights: KL warm-up), the likelihood and the riders' terms unweighted.
 * A rider is a reparameterised variable whose density factors are all moment nodes of the group
 * (τ touches only the likelihood); any other plain-edge variable takes its own step as before.
 *
 * The forward pass is shared with the ELBO: a redraw of the group (the start of a batch, or
 * initialisation) builds the tape at the current λ, stores each draw's density values for the
 * Monte Carlo ELBO, and keeps the tape; the step that follows only adds the conjugate terms (with
 * the messages of that moment) and runs the backward pass. A step with no primed tape (a second
 * sweep of cavi) builds it first. So a step costs one network forward and one backward per draw,
 * as a hand-written loop does, instead of one forward per variable plus one for the ELBO.
 */
import { Tape, ad, statsDot, statsOfValues, guardedStep, needsLogDensityEntropy, strataOf, identityTransform, type TNode } from "@vireo/core";
import { isMomentNode } from "@vireo/nodes";
import type { CompiledState, FactorState, VariableState } from "./state.js";
import type { GradientVariable } from "./gradient.js";
import { isDataPlate, sumConjugate } from "./factor-terms.js";
import { momentDensityOnTape, sameValues, type MomentSelf, type MomentStep } from "./moment-step.js";
import { klWeightAt } from "./kl-weight.js";

/** A plain-edge variable stepped with the group: its λ, draws and gradient on the group's tape. */
interface Rider {
  readonly g: GradientVariable;
  readonly grad: Float64Array;
  readonly loss: Float64Array;
  /** Noise of each draw (the tape keeps a reference until it is reset). */
  readonly eps: Float64Array[];
  readonly x: TNode[];
  readonly logDet: (TNode | null)[];
  readonly stats: Float64Array;
  parts: TNode[];
}

const groups = new WeakMap<GradientVariable, MomentGroup | null>();

/** The moment group `g` steps with (as a member or a rider), or null when it steps on its own. */
export function momentGroupOf(g: GradientVariable, state: CompiledState): MomentGroup | null {
  const known = groups.get(g);
  if (known !== undefined) return known;
  let leader: MomentStep | null = g.moment;
  if (leader === null) {
    for (const f of g.densityFactors) {
      const type = f.spec.type;
      if (!isMomentNode(type)) continue;
      for (const e of type.moments.edges) {
        const u = state.variables.get(f.spec.edges[e]!.variable)!;
        if (u.gradient?.moment) leader = u.gradient.moment;
      }
    }
  }
  if (leader === null) {
    groups.set(g, null);
    return null;
  }
  const group = new MomentGroup(state, leader);
  for (const m of group.members) groups.set(m.g, group);
  for (const r of group.riders) groups.set(r.g, group);
  if (!groups.has(g)) groups.set(g, null);
  return groups.get(g)!;
}

/** Whether a plain-edge variable on the group's moment nodes can take its step on the group's tape. */
function canRide(g: GradientVariable, factors: ReadonlySet<FactorState>): boolean {
  const q = g.fit.q;
  return g.moment === null && g.natural === null && g.closedFormMode === null && g.fit.reparam && q.reparameterizable && !q.discrete && q.amortised !== true
    && strataOf(q) === 1 && !needsLogDensityEntropy(q) && g.bound.kind === "elbo" && !g.redrawAfterStep
    && g.densityFactors.length > 0 && g.densityFactors.every((f) => factors.has(f));
}

export class MomentGroup {
  readonly members: MomentStep[] = [];
  readonly riders: Rider[] = [];
  readonly factors: FactorState[] = [];
  private readonly tape = new Tape();
  private readonly S: number;
  /** Per draw and factor, the density node on the primed tape. */
  private readonly values: TNode[];
  /** Whether the tape holds a forward pass at the current λ and data, and who asked for it. */
  private primed = false;
  private readonly primedBy = new Set<GradientVariable>();
  /** Every participant's λ at the primed pass (a step, or λ set from outside, makes it stale). */
  private readonly primedAt: Float64Array[];
  /** Participants stepped in the current round (the first one called steps the group). */
  private readonly done = new Set<GradientVariable>();

  constructor(private readonly state: CompiledState, first: MomentStep) {
    const seen = new Set<VariableState>([first.g.variable]);
    this.members.push(first);
    for (let i = 0; i < this.members.length; i++) {
      for (const f of this.members[i]!.g.densityFactors) {
        const type = f.spec.type;
        if (!isMomentNode(type)) continue;
        if (!this.factors.includes(f)) this.factors.push(f);
        for (const e of type.moments.edges) {
          const u = state.variables.get(f.spec.edges[e]!.variable)!;
          if (!seen.has(u) && u.gradient?.moment) {
            seen.add(u);
            this.members.push(u.gradient.moment);
          }
        }
      }
    }
    // A member's other density factors join the objective too (read through its draws or moments).
    for (const m of this.members) for (const f of m.g.densityFactors) if (!this.factors.includes(f)) this.factors.push(f);
    const factorSet = new Set(this.factors);
    for (const f of this.factors) {
      for (const b of Object.values(f.spec.edges)) {
        const u = state.variables.get(b.variable)!, g = u.gradient;
        if (u.known || g === null || g.moment !== null || this.riders.some((r) => r.g === g) || !canRide(g, factorSet)) continue;
        const fam = u.family!;
        this.riders.push({
          g, grad: new Float64Array(g.fit.q.nParams), loss: new Float64Array(g.fit.q.nParams),
          eps: Array.from({ length: g.samples }, () => new Float64Array(g.fit.q.noiseSize)),
          x: [], logDet: [], stats: new Float64Array(u.count * fam.size), parts: [],
        });
      }
    }
    this.S = first.g.samples;
    this.primedAt = this.lambdas().map((l) => new Float64Array(l.length));
    this.values = new Array(this.S * this.factors.length);
  }

  /** Whether factor f's values at the ELBO's draws come from this group (else from the redraw of a variable stepping on its own). */
  private evaluates(f: FactorState): boolean {
    for (const b of Object.values(f.spec.edges)) {
      const u = this.state.variables.get(b.variable)!;
      if (u.gradient !== null && u.gradient.moment === null && !this.riders.some((r) => r.g === u.gradient)) return false;
    }
    return true;
  }

  /** Whether the primed pass is at every participant's current λ. */
  private fresh(): boolean {
    if (!this.primed) return false;
    const lams = this.lambdas();
    for (let i = 0; i < lams.length; i++) if (!sameValues(this.primedAt[i]!, lams[i]!)) return false;
    return true;
  }

  private lambdas(): Float64Array[] {
    return [...this.members.map((m) => m.g.fit.lambda), ...this.riders.map((r) => r.g.fit.lambda)];
  }

  /**
   * Fresh draws for `g` (and its group): members' plain draws and exact statistics, riders' draws
   * on a new forward pass whose density values the ELBO reads. A group already primed since its
   * last step only records `g` (one pass serves the whole round of redraws); a second redraw of
   * the same variable asks for fresh draws and primes again.
   */
  redraw(g: GradientVariable): void {
    if (!this.primedBy.has(g) && this.fresh()) {
      this.primedBy.add(g);
      return;
    }
    // Initialisation gives each variable the generator in turn: the group draws with the first it has.
    for (const p of [...this.members, ...this.riders]) p.g.rng ??= g.rng;
    for (const m of this.members) m.redrawPlain();
    this.prime();
    this.primedBy.add(g);
  }

  /** The forward pass at the current λ (see the file comment). */
  private prime(): void {
    const t = this.tape, S = this.S, F = this.factors.length;
    t.reset();
    const selves = new Map<VariableState, MomentSelf>();
    for (const m of this.members) selves.set(m.g.variable, m.onTape(t));
    for (const r of this.riders) {
      const { g } = r, fit = g.fit, v = g.variable, rng = g.rng!;
      r.parts = fit.q.prepare(t.param(fit.lambda, undefined, r.grad));
      for (let s = 0; s < S; s++) {
        fit.q.drawNoise(rng, r.eps[s]!);
        const z = fit.q.reparam(r.parts, t.constant(r.eps[s]!));
        const x = fit.bijector.forward(z);
        r.x[s] = x;
        r.logDet[s] = fit.bijector === identityTransform ? null : fit.bijector.logDetJacobian(z);
        g.draws[s]!.set(x.value);
        g.logDet[s] = r.logDet[s]?.value[0] ?? 0;
        statsOfValues(v.family!, g.draws[s]!, v.count, g.drawStats[s]!);
      }
    }
    for (let s = 0; s < S; s++) {
      for (const r of this.riders) selves.set(r.g.variable, { variable: r.g.variable, draw: r.x[s]! });
      for (let i = 0; i < F; i++) {
        const f = this.factors[i]!, node = momentDensityOnTape(this.state, f, t, s, selves);
        this.values[s * F + i] = node;
        if (this.evaluates(f)) f.density!.values[s] = node.value[0]!;
      }
    }
    for (const r of this.riders) {
      r.g.entropy = r.g.entropyNow();
      r.g.averageStats();
      r.g.drawn = true;
    }
    this.primed = true;
    this.primedBy.clear();
    const lams = this.lambdas();
    for (let i = 0; i < lams.length; i++) this.primedAt[i]!.set(lams[i]!);
  }

  /**
   * One optimiser step of the whole group (see the file comment), the first time a participant is
   * called in a round; the others' calls in the same round only complete it. `scale` multiplies
   * conjugate messages, `dataScale` the density factors in data plates.
   */
  step(g: GradientVariable, scale: ((f: FactorState) => number) | undefined, dataScale: number): void {
    const done = this.done, all = this.members.length + this.riders.length;
    if (done.has(g) || done.size === 0) {
      done.clear();
      this.stepAll(scale, dataScale);
    }
    done.add(g);
    if (done.size === all) done.clear();
  }

  private stepAll(scale: ((f: FactorState) => number) | undefined, dataScale: number): void {
    if (!this.fresh()) this.prime();
    const S = this.S, F = this.factors.length;
    let total: TNode | null = null;
    const add = (n: TNode) => (total = total === null ? n : ad.add(total, n));
    for (const m of this.members) {
      // KL warm-up (gradient.klWeight): β on the layer's prior and entropy terms, the rest of the objective unweighted.
      const w = m.g.klWeight, beta = w === null ? 1 : klWeightAt(w, m.g.fit.optimizerState.step, m.g.variable.name), term = m.conjugateTerm(scale);
      add(beta === 1 ? term : ad.scale(term, beta));
    }
    for (const r of this.riders) {
      const { g } = r, v = g.variable;
      sumConjugate(v, g.message, scale);
      add(g.fit.q.entropy(r.parts));
      for (let s = 0; s < S; s++) {
        let term = statsDot(r.x[s]!, v.family!, v.count, g.message, r.stats);
        if (r.logDet[s] !== null) term = ad.add(term, r.logDet[s]!);
        add(ad.scale(term, 1 / S));
      }
    }
    for (let i = 0; i < F; i++) {
      const f = this.factors[i]!, c = (isDataPlate(this.state.model, f) ? dataScale : 1) / S;
      for (let s = 0; s < S; s++) add(ad.scale(this.values[s * F + i]!, c));
    }
    this.tape.backward(total!);
    this.primed = false;
    for (const r of this.riders) {
      const fit = r.g.fit;
      for (let i = 0; i < r.grad.length; i++) r.loss[i] = -r.grad[i]!;
      const outcome = guardedStep(fit.optimizer, fit.lambda, r.loss, fit.optimizerState, fit.schedule.rate(fit.optimizerState.step));
      fit.steps++;
      if (!outcome.applied) fit.skipped++;
    }
    for (const m of this.members) m.finish();
  }
}
