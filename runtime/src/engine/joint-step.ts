/**
 * One joint gradient step for a group of gradient-fitted variables that share density factors.
 *
 * A sweep normally steps each gradient-fitted variable on its own Markov blanket with the others
 * held at their draws (engine/gradient.ts): for a VAE that is one encoder pass plus S decoder
 * passes for the amortised z, and S more decoder passes for the decoder weights, each with its
 * own backward pass. A joint group instead takes ONE step for all its members per sweep:
 *
 *   L(λ_1..λ_V) = Σ_v w_v (⟨M_v, T(x_v,s)⟩ + log|J_v(z_v,s)| + H[q_v]) + Σ_f c_f log g_f(x_s),
 *
 * averaged over S joint draws: every member draws once per s (reparameterised, on one tape),
 * each shared density factor g_f is built ONCE per draw from all members' tape values, one
 * backward pass gives every member's ∇λ, and each member takes its own optimiser step (its own
 * optimiser state, schedule and step counter). M_v is the sum of the member's conjugate
 * messages (scaled like the SVI global step: N/|B| for data-plate factors), c_f is N/|B| for a
 * density factor in a data plate, w_v is N/|B| for a member in a data plate (its entropy and
 * prior are per row) times the KL weight β for an amortised member (see `KlWeight`).
 *
 * The gradient is the sum of the members' blanket gradients at the same draws (each shared factor
 * once, each member's own terms once), so at β = 1 it is an unbiased ∇ of the same ELBO.
 *
 * Which groups step jointly (GradientOptions.joint):
 * - "auto" (default): groups that contain an amortised latent (a VAE's z with its decoder's
 *   weights and noise). Other models keep their per-variable steps (and their draw order).
 * - true: every eligible group; false: none.
 * A group is a connected component of gradient-fitted variables linked by density factors, with
 * at least two members, all reparameterised, with a closed-form entropy, the ELBO as the bound
 * (or iwaeBound(K) when the group has one amortised local and otherwise globals: the IWAE-K bound
 * per row, see `iwaeStep`), and no moment or natural-gradient step (those keep their own
 * machinery); otherwise the group's members take their own steps. Online evidence (`extra` messages) also takes the per-variable path.
 *
 * Within a sweep, the first member's update takes the group's step and the other members'
 * updates in the same round are no-ops (a member updated twice before the others starts a new
 * round). After the step each member's draw buffers, statistics, Jacobians, entropy and the
 * shared factors' per-draw values are those of the step's draws, as after a blanket step.
 *
 * API for other groups (e.g. a BNN's weights and noise): `planJointSteps(state, options)` runs
 * at compile; `startJointRound(state, N/|B|)` tells the groups the batch scale before a minibatch's
 * local step and starts a new round (the SVI engine does); `refreshJointDensities(state)` recomputes factor values that
 * a member's redraw left stale (the Monte Carlo ELBO and checkpoints call it).
 */
import { VireoError, Tape, ad, guardedStep, statsDot, statsOfValues, identityTransform, needsLogDensityEntropy, strataOf, type TNode } from "@vireo/core";
import { isDensityNode, isMomentNode } from "@vireo/nodes";
import type { CompiledState, FactorState, VariableState } from "./state.js";
import type { GradientOptions, GradientVariable } from "./gradient.js";
import { densityOnTape, edgeShape, edgeValue, isDataPlate, reduceDensity, sumConjugate } from "./factor-terms.js";
import { klWeightAt, validateKlWeight, type KlWeight } from "./kl-weight.js";
import { expectedStatsDot, rowStatsDot, logMeanExp, sumValues } from "./joint-step-ops.js";

/** Which groups of gradient-fitted variables take one joint step per sweep (see the file comment). */
export type JointChoice = "auto" | boolean;

/** A factor's edges as the joint step binds them: member tape values, known columns, reshaped. */
interface BoundEdge {
  readonly edge: string;
  readonly u: VariableState;
  /** Index of the member, or −1 for a known (data / constant) edge. */
  readonly member: number;
}

export class JointStep {
  /** Members in declaration order. */
  readonly members: readonly GradientVariable[];
  /** The density factors touching any member. */
  readonly factors: readonly FactorState[];
  /** N/|B| of the current minibatch (1 in a batch fit); set by `startJointRound`. */
  scale = 1;
  /** True when a member's redraw left the factors' per-draw values behind its draws. */
  stale = false;
  /** The KL weight β of the amortised members (null: 1). */
  readonly klWeight: KlWeight | null;
  private readonly pending = new Set<GradientVariable>();
  private readonly tape = new Tape();
  private readonly valueTape = new Tape();
  private readonly local: boolean[];
  private readonly amortised: boolean[];
  private readonly edges: BoundEdge[][];
  /** Per factor: true when its only member is an amortised one (its prior: weighted by β). */
  private readonly priorOf: number[];
  /** Per member: no other variable reads its statistics (see `defers`). */
  private readonly deferrable: boolean[];
  /** Per member: it has conjugate neighbours (else its ⟨M, T(x)⟩ term is zero and only T(x) is recorded). */
  private readonly conjugate: boolean[];
  /**
   * Per member: its conjugate term is taken in closed form, ⟨M, E_q[T(x)]⟩ (an amortised diagonal
   * Gaussian q on a Normal / MvNormal variable, identity bijector: E[T] = [μ, μμᵀ + diag σ²]); with
   * an N(0, I) prior node that is the closed-form −KL up to a constant, as a VAE's usual step.
   */
  readonly closedForm: boolean[];
  /**
   * Set when the members' bound is iwaeBound(K): the amortised member whose rows carry the
   * per-row importance weights, K, and per factor whether it is one of that member's row factors.
   */
  readonly iwae: { readonly member: number; readonly K: number; readonly rowFactor: readonly boolean[] } | null;
  /**
   * The last step's estimate of its bound at the step's λ, before the step, from the step's own
   * draws: the ELBO estimate (unweighted by β; the amortised prior in closed form where the step
   * takes it so) or the IWAE-K estimate, with the data plate's terms × N/|B| and the conjugate
   * factors' normalising constants (NaN when a conjugate factor of a member has another unknown
   * edge). It covers the group's own terms: for a model of only the group (a VAE) the ELBO.
   */
  lastBound = NaN;
  private readonly grads: Float64Array[];
  private readonly losses: Float64Array[];
  private readonly eps: Float64Array[];
  private readonly xNodes: TNode[] = [];
  private readonly values: Record<string, TNode> = {};
  private readonly scaleFn = (f: FactorState): number => (isDataPlate(this.state.model, f) ? this.scale : 1);

  constructor(private readonly state: CompiledState, members: GradientVariable[], klWeight: KlWeight | null) {
    this.members = members;
    const index = new Map(members.map((m, i) => [m.variable, i]));
    const factors: FactorState[] = [];
    for (const m of members) for (const f of m.densityFactors) if (!factors.includes(f)) factors.push(f);
    this.factors = factors;
    this.klWeight = klWeight;
    const model = state.model;
    this.local = members.map((m) => m.variable.spec.plate !== null && model.plates[m.variable.spec.plate]!.size === null);
    this.amortised = members.map((m) => m.fit.q.amortised === true);
    this.edges = factors.map((f) => Object.entries(f.spec.edges).map(([edge, b]) => {
      const u = state.variables.get(b.variable)!;
      return { edge, u, member: index.get(u) ?? -1 };
    }));
    this.priorOf = this.edges.map((es) => {
      const ms = [...new Set(es.filter((e) => e.member >= 0).map((e) => e.member))];
      return ms.length === 1 && this.amortised[ms[0]!] ? ms[0]! : -1;
    });
    this.deferrable = members.map((m) => m.variable.neighbours.every((nb) =>
      Object.values(nb.factor.spec.edges).every((b) => b.variable === m.variable.name || state.variables.get(b.variable)!.known)));
    this.conjugate = members.map((m) => m.variable.neighbours.length > 0);
    this.closedForm = members.map((m, i) => this.conjugate[i]! && closedFormConjugate(m));
    const bound = members[0]!.bound;
    if (bound.kind === "iwae") {
      const a = iwaeMemberOf(state, members);
      this.iwae = { member: a, K: bound.K, rowFactor: factors.map((f) => members[a]!.densityFactors.includes(f)) };
    } else this.iwae = null;
    this.grads = members.map((m) => new Float64Array(m.fit.q.nParams));
    this.losses = members.map((m) => new Float64Array(m.fit.q.nParams));
    this.eps = members.map((m) => new Float64Array(m.fit.q.noiseSize));
  }

  /**
   * The update of member `gv` in a sweep: the group's step on the first call of a round, a no-op
   * for the other members' calls in the same round.
   */
  update(gv: GradientVariable, dataScale: number): void {
    // The SVI global step passes N/|B|; a local call (no scale) keeps the batch's, set by startJointRound.
    if (dataScale !== 1) this.scale = dataScale;
    if (this.pending.has(gv)) {
      this.pending.delete(gv);
      return;
    }
    this.step();
    this.pending.clear();
    for (const m of this.members) if (m !== gv) this.pending.add(m);
  }

  /** A new minibatch: its scale, and no member's update is pending from the last one. */
  startRound(scale: number): void {
    this.scale = scale;
    this.pending.clear();
  }

  /** β at the encoder's current step (1 without a KL weight). */
  private beta(v: number): number {
    if (this.klWeight === null || !this.amortised[v]) return 1;
    const m = this.members[v]!;
    return klWeightAt(this.klWeight, m.fit.optimizerState.step, m.variable.name);
  }

  /** One joint step (see the file comment). */
  step(): void {
    if (this.iwae !== null) return this.iwaeStep(this.iwae);
    const { members, factors, tape } = this, V = members.length, S = members[0]!.samples, scale = this.scale;
    tape.reset();
    const parts: TNode[][] = [];
    const weights = new Float64Array(V), betas = new Float64Array(V);
    let objective: TNode | null = null;
    const entropies = new Float64Array(V);
    // The objective's value without β (the ELBO estimate, up to the conjugate factors' constants).
    let plain = 0, plainSampled = 0;
    for (let v = 0; v < V; v++) {
      const m = members[v]!;
      betas[v] = this.beta(v);
      weights[v] = (this.local[v] ? scale : 1) * betas[v]!;
      if (this.conjugate[v]) sumConjugate(m.variable, m.message, this.scaleFn);
      const p = m.fit.q.prepare(tape.param(m.fit.lambda, undefined, this.grads[v]!));
      parts.push(p);
      const h = m.fit.q.entropy(p);
      entropies[v] = h.value[0]!;
      plain += (this.local[v] ? scale : 1) * entropies[v]!;
      const term = weights[v] === 1 ? h : ad.scale(h, weights[v]!);
      objective = objective === null ? term : ad.add(objective, term);
    }
    let sampled: TNode | null = null;
    const add = (n: TNode) => { sampled = sampled === null ? n : ad.add(sampled, n); };
    for (let s = 0; s < S; s++) {
      for (let v = 0; v < V; v++) {
        const m = members[v]!, q = m.fit.q, eps = this.eps[v]!;
        q.drawNoise(m.requireRng(), eps);
        const z = q.reparam(parts[v]!, tape.constant(eps));
        const x = m.fit.bijector.forward(z);
        this.xNodes[v] = x;
        m.draws[s]!.set(x.value);
        // ⟨M, T(x)⟩: the messages carry their factors' N/|B| already, so only β weights it.
        if (this.closedForm[v]) {
          // In closed form once per step (below, outside the draws); T(x_s) kept for the ELBO.
          statsOfValues(m.variable.family!, x.value, m.variable.count, m.drawStats[s]!);
        } else if (this.conjugate[v]) {
          const dot = statsDot(x, m.variable.family!, m.variable.count, m.message, m.drawStats[s]!);
          plainSampled += dot.value[0]!;
          add(betas[v] === 1 ? dot : ad.scale(dot, betas[v]!));
        } else statsOfValues(m.variable.family!, x.value, m.variable.count, m.drawStats[s]!);
        if (m.fit.bijector !== identityTransform) {
          const j = m.fit.bijector.logDetJacobian(z);
          m.logDet[s] = j.value[0]!;
          plainSampled += (this.local[v] ? scale : 1) * m.logDet[s]!;
          add(weights[v] === 1 ? j : ad.scale(j, weights[v]!));
        } else m.logDet[s] = 0;
      }
      for (let f = 0; f < factors.length; f++) {
        const node = this.densityOnTape(f, s);
        factors[f]!.density!.values[s] = node.value[0]!;
        const dataScale = isDataPlate(this.state.model, factors[f]!) ? scale : 1;
        plainSampled += dataScale * node.value[0]!;
        // N/|B| in a data plate; β for a factor that is an amortised member's own prior.
        const c = dataScale * (this.priorOf[f]! >= 0 ? betas[this.priorOf[f]!]! : 1);
        add(c === 1 ? node : ad.scale(node, c));
      }
    }
    if (sampled !== null) objective = ad.add(objective!, S === 1 ? sampled : ad.scale(sampled, 1 / S));
    for (let v = 0; v < V; v++) {
      if (!this.closedForm[v]) continue;
      const m = members[v]!, dot = expectedStatsDot(parts[v]![0]!, parts[v]![1]!, m.message);
      plain += dot.value[0]!;
      objective = ad.add(objective!, betas[v] === 1 ? dot : ad.scale(dot, betas[v]!));
    }
    tape.backward(objective!);
    this.settleDraws(entropies);
    this.lastBound = plain + plainSampled / S + this.conjugateConstants(-1, scale);
    this.stepMembers();
  }

  /**
   * One joint step of the IWAE-K bound per row of the amortised member a (Burda, Grosse &
   * Salakhutdinov 2016): for each of the S outer draws, the other (global) members draw once and
   * a draws K times; row i's log weight at draw k is
   *   log w_ik = Σ_f log g_f,i(z_ik, globals) + ⟨M_i, T(z_ik)⟩ − log q(z_ik | x_i)
   * (its row factors g_f, its conjugate prior's message M_i unscaled), and the objective is
   *   (N/|B|) Σ_i (1/S) Σ_s log (1/K) Σ_k w_ik  +  the globals' ELBO terms (H, ⟨M, T⟩, other factors, averaged over s).
   * With K = 1 it is the ELBO with −log q(z) in place of H[q] (equal in expectation). The draw
   * buffers of slots s (k = 0) hold plain draws of q for the statistics and the Monte Carlo ELBO.
   */
  private iwaeStep(iw: { readonly member: number; readonly K: number; readonly rowFactor: readonly boolean[] }): void {
    const { members, factors, tape } = this, V = members.length, S = members[0]!.samples, scale = this.scale, a = iw.member, K = iw.K;
    const rowQ = members[a]!.fit.q as unknown as { q: import("@vireo/core").AmortisedGaussian };
    tape.reset();
    const parts: TNode[][] = [];
    const entropies = new Float64Array(V);
    let objective: TNode | null = null;
    for (let v = 0; v < V; v++) {
      const m = members[v]!;
      // The row member's prior enters each log weight unscaled; the globals' messages carry N/|B| as in the ELBO step.
      if (this.conjugate[v]) sumConjugate(m.variable, m.message, v === a ? undefined : this.scaleFn);
      const p = m.fit.q.prepare(tape.param(m.fit.lambda, undefined, this.grads[v]!));
      parts.push(p);
      const h = m.fit.q.entropy(p);
      entropies[v] = h.value[0]!;
      if (v !== a) objective = objective === null ? h : ad.add(objective, h);
    }
    const rows = parts[a]![0]!.d0, gaussian = { rows, mean: parts[a]![0]!, scale: parts[a]![1]! };
    let sampled: TNode | null = null, perRow: TNode | null = null;
    const add = (n: TNode) => { sampled = sampled === null ? n : ad.add(sampled, n); };
    const logWeights: TNode[] = [];
    for (let s = 0; s < S; s++) {
      logWeights.length = 0;
      for (let k = 0; k < K; k++) {
        const slot = k * S + s;
        let lw: TNode | null = null;
        for (let v = 0; v < V; v++) {
          if (k > 0 && v !== a) continue;
          const m = members[v]!, q = m.fit.q, eps = this.eps[v]!;
          q.drawNoise(m.requireRng(), eps);
          const E = tape.constant(eps);
          const z = q.reparam(parts[v]!, E);
          const x = m.fit.bijector.forward(z);
          this.xNodes[v] = x;
          m.draws[slot]!.set(x.value);
          if (v === a) {
            statsOfValues(m.variable.family!, x.value, m.variable.count, m.drawStats[slot]!);
            const logq = rowQ.q.logDensityRows(gaussian, ad.reshape(E, [rows, rowQ.q.latent]));
            lw = this.conjugate[v] ? ad.sub(rowStatsDot(x, m.message, rows), logq) : ad.neg(logq);
            if (k === 0) m.logDet[s] = 0;
            continue;
          }
          if (this.conjugate[v]) add(statsDot(x, m.variable.family!, m.variable.count, m.message, m.drawStats[slot]!));
          else statsOfValues(m.variable.family!, x.value, m.variable.count, m.drawStats[slot]!);
          if (m.fit.bijector !== identityTransform) {
            const j = m.fit.bijector.logDetJacobian(z);
            m.logDet[s] = j.value[0]!;
            add(j);
          } else m.logDet[s] = 0;
        }
        for (let f = 0; f < factors.length; f++) {
          if (iw.rowFactor[f]) {
            const node = this.densityRowsOnTape(f, s, rows);
            if (k === 0) factors[f]!.density!.values[s] = sumValues(node);
            lw = ad.add(lw!, node);
          } else if (k === 0) {
            const node = this.densityOnTape(f, s);
            factors[f]!.density!.values[s] = node.value[0]!;
            const c = isDataPlate(this.state.model, factors[f]!) ? scale : 1;
            add(c === 1 ? node : ad.scale(node, c));
          }
        }
        logWeights.push(lw!);
      }
      const iwaeRows = logMeanExp(logWeights);
      perRow = perRow === null ? iwaeRows : ad.add(perRow, iwaeRows);
    }
    if (sampled !== null) objective = objective === null ? ad.scale(sampled, 1 / S) : ad.add(objective, ad.scale(sampled, 1 / S));
    const rowTerm = ad.scale(ad.sum(perRow!), scale / S);
    objective = objective === null ? rowTerm : ad.add(objective, rowTerm);
    tape.backward(objective);
    this.settleDraws(entropies);
    this.lastBound = objective.value[0]! + this.conjugateConstants(a, scale);
    this.stepMembers();
  }

  /** After the backward pass: each member's entropy, statistics and draws are the step's. */
  private settleDraws(entropies: ArrayLike<number>): void {
    const members = this.members;
    for (let v = 0; v < members.length; v++) {
      const m = members[v]!;
      m.entropy = entropies[v]!;
      m.averageStats();
      m.drawn = true;
    }
  }

  /** One optimiser step per member on its gradient (its own optimiser state and schedule). */
  private stepMembers(): void {
    const members = this.members;
    for (let v = 0; v < members.length; v++) {
      const fit = members[v]!.fit, g = this.grads[v]!, loss = this.losses[v]!;
      for (let i = 0; i < g.length; i++) loss[i] = -g[i]!;
      const outcome = guardedStep(fit.optimizer, fit.lambda, loss, fit.optimizerState, fit.schedule.rate(fit.optimizerState.step));
      fit.steps++;
      if (!outcome.applied) fit.skipped++;
    }
    this.stale = false;
  }

  /**
   * Σ over the members' conjugate factors of c_f (log f − ⟨message_f, T⟩), the normalising terms
   * the ⟨M, T(x)⟩ terms leave out (c_f = N/|B| in a data plate), read at the members' current
   * statistics: E_q log f is linear in T, so the difference is T-free. NaN when such a factor has
   * another unknown edge (its log f then depends on that edge too).
   */
  private conjugateConstants(rowMember: number, scale: number): number {
    let total = 0;
    this.members.forEach((m, v) => {
      const st = m.variable.stats, tmp = m.variable.scratch.message;
      for (const nb of m.variable.neighbours) {
        if (!this.deferrable[v]) { total = NaN; return; }
        tmp.fill(0);
        nb.rule(nb.factor.ctx, tmp);
        let dot = 0;
        for (let i = 0; i < st.length; i++) dot += tmp[i]! * st[i]!;
        const c = isDataPlate(this.state.model, nb.factor) || v === rowMember ? scale : 1;
        total += c * (nb.factor.spec.type.logFactor(nb.factor.ctx) - dot);
      }
    });
    return total;
  }

  /** Density factor f on the step's tape at draw s, one value per row of the plate ([rows]). */
  private densityRowsOnTape(f: number, s: number, rows: number): TNode {
    const fs = this.factors[f]!, out = this.rawDensity(f, s);
    if (out.size !== rows || fs.ctx.weights !== null) {
      throw new VireoError("INVALID_NODE", `Density node '${fs.name}' (${fs.spec.type.name}): the IWAE bound weights each row of the amortised latent, so the log density must return one value per row ([${rows}]) and the plate must have no row multiplicities; it returned shape [${out.shape.join(", ")}]. Return one value per row, or train with elboBound().`, { node: fs.name });
    }
    return out.rank === 1 ? out : ad.reshape(out, [rows]);
  }

  /** Density factor f on the step's tape at draw s: members as their tape values, known edges as columns. */
  private densityOnTape(f: number, s: number): TNode {
    return reduceDensity(this.factors[f]!, this.rawDensity(f, s), this.tape);
  }

  /** What density factor f's log density returns at draw s (a scalar or one value per row). */
  private rawDensity(f: number, s: number): TNode {
    const fs = this.factors[f]!, tape = this.tape, values = this.values;
    for (const e of this.edges[f]!) {
      if (e.member < 0) values[e.edge] = edgeValue(tape, e.u, e.u.values);
      else {
        const shape = edgeShape(e.u.count, e.u.spec.valueSize), x = this.xNodes[e.member]!;
        values[e.edge] = shape.length === 1 ? x : ad.reshape(x, shape);
      }
    }
    const fn = (fs.spec.type as unknown as { density: { logDensity: NonNullable<unknown> } }).density.logDensity as (v: Record<string, TNode>, t: Tape, ctx: unknown, d: { sample: number; data: undefined }) => TNode;
    return fn(values, tape, fs.ctx, { sample: s, data: undefined });
  }

  /**
   * Whether member `gv` may skip its redraw until the group steps (or something reads its draws,
   * which calls `refresh`): true when no other variable's update reads its statistics, i.e. every
   * conjugate neighbour's other edges are known values. The group's step overwrites the draws anyway.
   */
  defers(gv: GradientVariable): boolean {
    const i = this.members.indexOf(gv);
    return i >= 0 && this.deferrable[i]!;
  }

  /** Draws the members whose redraw was deferred and recomputes the factors' per-draw values at the members' draws. */
  refresh(): void {
    if (!this.stale) return;
    for (const m of this.members) if (!m.drawn) m.drawNow();
    const S = this.members[0]!.samples, t = this.valueTape;
    for (const f of this.factors) {
      for (let s = 0; s < S; s++) {
        t.reset();
        f.density!.values[s] = densityOnTape(this.state, f, t, s, null, null).value[0]!;
      }
    }
    this.stale = false;
  }
}

/**
 * Whether a family's statistics are T(x) = [x, x xᵀ] (row-major), the layout the joint step's tape
 * ops read: quadratic statistics (the family's own fact) of size d + d² for values of d numbers,
 * as Normal's [x, x²] and MvNormal(d)'s.
 */
function quadraticLayout(fam: NonNullable<GradientVariable["variable"]["family"]>): boolean {
  return fam.quadraticStats && fam.size === fam.valueSize * (fam.valueSize + 1);
}

/** Whether member gv's conjugate term has the closed form of `JointStep.closedForm`. */
function closedFormConjugate(gv: GradientVariable): boolean {
  const q = gv.fit.q as { amortised?: boolean; flowLayers?: number; q?: { covariance?: string } };
  if (q.amortised !== true || q.flowLayers !== 0 || q.q?.covariance !== "diagonal" || gv.fit.bijector !== identityTransform) return false;
  return quadraticLayout(gv.variable.family!);
}

/**
 * The member that carries the IWAE bound's rows in a joint group, or −1 when the group cannot
 * take the per-row IWAE step: exactly one amortised member, local (in a data plate), a Gaussian q
 * without flow layers on a Normal / MvNormal variable (identity bijector), with its density
 * factors in its data plate; every other member global.
 */
export function iwaeMemberOf(state: CompiledState, members: readonly GradientVariable[]): number {
  const isLocal = (m: GradientVariable) => m.variable.spec.plate !== null && state.model.plates[m.variable.spec.plate]!.size === null;
  const amortised = members.map((m, i) => (m.fit.q.amortised === true ? i : -1)).filter((i) => i >= 0);
  if (amortised.length !== 1) return -1;
  const a = amortised[0]!, m = members[a]!, q = m.fit.q as { flowLayers?: number; q?: unknown };
  if (!isLocal(m) || q.flowLayers !== 0 || q.q === undefined || m.fit.bijector !== identityTransform || !quadraticLayout(m.variable.family!)) return -1;
  if (!m.densityFactors.every((f) => f.spec.plate === m.variable.spec.plate)) return -1;
  return members.every((o, i) => i === a || !isLocal(o)) ? a : -1;
}

/** Whether a gradient-fitted variable can take part in a joint step (see the file comment). */
function eligible(gv: GradientVariable): boolean {
  const q = gv.fit.q;
  return gv.closedFormMode === null && gv.natural === null && gv.moment === null && gv.fit.reparam && q.reparameterizable &&
    (gv.bound.kind === "elbo" ? !gv.redrawAfterStep : gv.bound.kind === "iwae" && strataOf(q) === 1) && !needsLogDensityEntropy(q) &&
    gv.densityFactors.every((f) => isDensityNode(f.spec.type) && !isMomentNode(f.spec.type) && typeof (f.spec.type as unknown as { density: { logDensity?: unknown } }).density.logDensity === "function");
}

/**
 * Groups the state's gradient-fitted variables into joint steps (GradientOptions.joint, see the
 * file comment) and hooks each member to its group. Called once per compiled state.
 */
export function planJointSteps(state: CompiledState, options: GradientOptions): JointStep[] {
  const choice = options.joint ?? "auto";
  if (choice !== "auto" && choice !== true && choice !== false) {
    throw new VireoError("INVALID_OPTION", `gradient.joint must be "auto", true or false, got ${JSON.stringify(choice)}.`, { parameter: "joint" });
  }
  const klWeight = validateKlWeight(options.klWeight, "gradient") ?? null;
  const grads = state.random.filter((v) => v.gradient !== null).map((v) => v.gradient!);
  // Connected components over shared density factors (union–find on the variables).
  const parent = new Map<GradientVariable, GradientVariable>(grads.map((g) => [g, g]));
  const find = (g: GradientVariable): GradientVariable => {
    let r = g;
    while (parent.get(r) !== r) r = parent.get(r)!;
    parent.set(g, r);
    return r;
  };
  for (const g of grads) {
    for (const f of g.densityFactors) {
      for (const b of Object.values(f.spec.edges)) {
        const u = state.variables.get(b.variable)!.gradient;
        if (u && u !== g) parent.set(find(u), find(g));
      }
    }
  }
  const groups = new Map<GradientVariable, GradientVariable[]>();
  for (const g of grads) {
    const r = find(g);
    if (!groups.has(r)) groups.set(r, []);
    groups.get(r)!.push(g);
  }
  const steps: JointStep[] = [];
  const amortisedOutside: string[] = [];
  if (klWeight !== null && grads.some((g) => g.bound.kind !== "elbo")) {
    throw new VireoError("INVALID_OPTION", `gradient.klWeight (KL warm-up) weights the ELBO's KL term; it does not apply to the ${grads.find((g) => g.bound.kind !== "elbo")!.bound.kind} bound. Leave klWeight out, or train with elboBound().`, { parameter: "klWeight" });
  }
  for (const members of groups.values()) {
    const hasAmortised = members.some((m) => m.fit.q.amortised === true);
    const wanted = choice === true || (choice === "auto" && hasAmortised);
    if (!wanted || members.length < 2 || !members.every(eligible) || (members[0]!.bound.kind === "iwae" && iwaeMemberOf(state, members) < 0)) {
      if (hasAmortised) amortisedOutside.push(...members.filter((m) => m.fit.q.amortised === true).map((m) => m.variable.name));
      continue;
    }
    const step = new JointStep(state, members, klWeight);
    for (const m of members) m.joint = step;
    steps.push(step);
  }
  if (klWeight !== null && amortisedOutside.length > 0) {
    throw new VireoError(
      "INVALID_OPTION",
      `gradient.klWeight weights the prior and entropy of an amortised latent inside a joint step, but amortised ${amortisedOutside.map((n) => `'${n}'`).join(", ")} takes its own steps here (gradient.joint is false, or its group has a member that cannot step jointly: a moment or natural-gradient step, a score-function or flow q, an IWAE / Rényi bound). Leave klWeight out, or let the group step jointly.`,
      { parameter: "klWeight", variable: amortisedOutside[0] },
    );
  }
  return steps;
}

/** The joint steps of a state (those its members point to). */
export function jointSteps(state: CompiledState): JointStep[] {
  const out: JointStep[] = [];
  for (const v of state.random) {
    const j = v.gradient?.joint;
    if (j && !out.includes(j)) out.push(j);
  }
  return out;
}

/**
 * Starts a minibatch for every joint group of `state`: its scale N/|B| (1 in a batch fit), and a
 * new round (a group stepped by the previous batch's global update steps again on this one's).
 */
export function startJointRound(state: CompiledState, scale: number): void {
  for (const j of jointSteps(state)) j.startRound(scale);
}

/** Recomputes the shared factors' per-draw values a member's redraw left stale. */
export function refreshJointDensities(state: CompiledState): void {
  for (const v of state.random) v.gradient?.joint?.refresh();
}
