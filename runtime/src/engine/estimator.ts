/**
 * The ELBO gradient estimator. One call draws S samples of every latent and returns an unbiased
 * estimate of ∇_λ ELBO (the ascent direction) and of the ELBO itself:
 *
 *   ELBO = E_q[Σ_f log f(x) + Σ_v log|J_v(z_v)|] + Σ_v H[q_v].
 *
 * - Entropies are closed form on the tape, for every variable.
 * - Reparameterised variables: z = T(λ, ε) on the tape; one backward pass through the sample
 *   average of the factors that touch them.
 * - Score-function variables: z ~ q is a constant on the tape; the gradient term is
 *   ∇_λ log q(z) · (c_v − b_v), where c_v sums only the log-factors in v's Markov blanket (plus
 *   its own Jacobian term) under Rao–Blackwellization, or the whole log-joint without it, and b_v
 *   is a running-average baseline computed before the current samples (so the term stays unbiased).
 */
import { VireoError, type Generator, type Tape, type TNode, type Transform, type VariationalFamily, identityTransform, ad } from "@vireo/core";
import { VariationalObjective, needsLogDensityEntropy, describeBound, type Bound } from "@vireo/core";

/** How a variable's ELBO gradient is estimated. "auto": reparameterization when the family has it, else score function. */
export type EstimatorChoice = "auto" | "reparam" | "score";
/** Constrained values of the variables, by name, as tape nodes. */
export type TapeValues = Readonly<Record<string, TNode>>;
/** Constrained values of the variables, by name, as plain arrays. */
export type NumericValues = Readonly<Record<string, Float64Array>>;

/** A factor as the estimator sees it: its variables and its log density (on the tape and/or as a number). */
export interface EstimatorFactor<D> {
  readonly name: string;
  /** Indices of the latents the factor touches. */
  readonly varIndex: readonly number[];
  /** log f on the tape, from the variables' constrained values (draw `sample` of the step); a scalar node. */
  readonly logDensity?: (x: TapeValues, tape: Tape, data: D | undefined, sample: number) => TNode;
  /** log f as a number; enough when none of the factor's variables is reparameterised. */
  readonly logDensityValue?: (x: NumericValues, data: D | undefined, sample: number) => number;
  /** True when the factor sums over the data rows of a batch: scaled by N/|B| under minibatching. */
  readonly minibatch?: boolean;
}

/** A latent as the estimator sees it: q, the bijector onto its support, and its place in λ. */
export interface EstimatorLatent {
  readonly name: string;
  readonly family: VariationalFamily;
  readonly transform: Transform;
  /** Offset of the variable's λ in the flat parameter vector. */
  readonly offset: number;
  /** Length of the constrained value x. */
  readonly valueSize: number;
  /** Indices of the factors in the variable's Markov blanket. */
  readonly blanket: readonly number[];
}

/** What the estimator runs on: the blanket of one gradient-fitted variable (a sweep step), or all of a graph's gradient-fitted variables and density factors (joint-gradient.ts). */
export interface EstimatorModel<D> {
  readonly latents: readonly EstimatorLatent[];
  readonly factors: readonly EstimatorFactor<D>[];
}

/** The one-latent model of a variable's Markov blanket (every factor touches it). */
export function blanketModel<D>(name: string, family: VariationalFamily, transform: Transform, factors: readonly Omit<EstimatorFactor<D>, "varIndex">[]): EstimatorModel<D> {
  return {
    latents: [{ name, family, transform, offset: 0, valueSize: transform.outputSize(family.dim), blanket: factors.map((_, i) => i) }],
    factors: factors.map((f) => ({ ...f, varIndex: [0] })),
  };
}

export type BaselineKind = "running" | "none";

export interface EstimatorConfig {
  readonly samples: number;
  /** Resolved estimator of each latent (true = reparameterization). */
  readonly reparam: readonly boolean[];
  readonly raoBlackwell: boolean;
  readonly baseline: BaselineKind;
  readonly baselineDecay: number;
  /** The objective (default the ELBO); IWAE / Rényi and flow or mixture families go through VariationalObjective. */
  readonly bound?: Bound;
}

/** Per-batch data handed to the factors and the minibatch scale N/|B|. */
export interface EstimateInput<D> {
  readonly data: D | undefined;
  readonly scale: number;
}

export class ElboGradientEstimator<D> {
  private readonly S: number;
  private readonly V: number;
  private readonly F: number;
  private readonly eps: Float64Array[][];
  private readonly z: Float64Array[][];
  private readonly x: Float64Array[][];
  private readonly scores: Float64Array[][];
  private readonly factorVal: Float64Array;
  private readonly jacVal: Float64Array;
  private readonly control: Float64Array;
  /** Factor f touches a reparameterised variable (so it enters the tape objective). */
  private readonly onObjective: boolean[];
  /** Factor f is evaluated on the tape (else by logDensityValue). */
  private readonly onTape: boolean[];
  private readonly xNodes: Record<string, TNode> = {};
  private readonly xValues: Record<string, Float64Array> = {};
  private readonly parts: TNode[][];
  private lastParams: Float64Array | null = null;
  private lastGrad: Float64Array | null = null;
  private views: Float64Array[] = [];
  private gradViews: Float64Array[] = [];
  /** Set when the bound is not the ELBO or a family has no closed-form entropy (flows, mixtures). */
  private readonly objective: VariationalObjective | null = null;

  constructor(private readonly model: EstimatorModel<D>, private readonly tape: Tape, private readonly cfg: EstimatorConfig) {
    const S = (this.S = cfg.samples), V = (this.V = model.latents.length), F = (this.F = model.factors.length);
    const perSample = (n: (l: EstimatorLatent) => number): Float64Array[][] =>
      model.latents.map((l) => Array.from({ length: S }, () => new Float64Array(n(l))));
    this.eps = perSample((l) => l.family.noiseSize);
    this.z = perSample((l) => l.family.dim);
    this.x = perSample((l) => l.valueSize);
    this.scores = model.latents.map((l, v) => Array.from({ length: cfg.reparam[v] ? 0 : S }, () => new Float64Array(l.family.nParams)));
    this.factorVal = new Float64Array(S * F);
    this.jacVal = new Float64Array(S * V);
    this.control = new Float64Array(S);
    this.parts = model.latents.map(() => []);
    this.onObjective = model.factors.map((f) => f.varIndex.some((v) => cfg.reparam[v]));
    this.onTape = model.factors.map((f, i) => {
      if (this.onObjective[i] && typeof f.logDensity !== "function") {
        const r = f.varIndex.filter((v) => cfg.reparam[v]).map((v) => `'${model.latents[v]!.name}'`).join(", ");
        throw new VireoError(
          "INVALID_MODEL",
          `BBVI: factor '${f.name}' touches reparameterised ${r} but only has logDensityValue; give it logDensity on the tape, or choose estimator 'score' for ${r}.`,
          { node: f.name },
        );
      }
      return typeof f.logDensity === "function" && !(typeof f.logDensityValue === "function" && !this.onObjective[i]);
    });
    const bound = cfg.bound ?? { kind: "elbo" };
    if (bound.kind !== "elbo" || model.latents.some((l) => needsLogDensityEntropy(l.family))) {
      const why = bound.kind !== "elbo" ? `the ${describeBound(bound)} bound` : "a flow or mixture family (its entropy is estimated from −log q per draw)";
      model.latents.forEach((l, v) => {
        if (!cfg.reparam[v]) {
          throw new VireoError("INVALID_MODEL", `BBVI: latent '${l.name}' (${l.family.name}) uses the score-function estimator, but ${why} needs every latent reparameterised; use the ELBO, or a continuous family for '${l.name}'.`, { variable: l.name });
        }
      });
      this.objective = new VariationalObjective(model.latents.map((l) => l.family), bound, S);
    }
  }

  /** The bound's gradient by one backward pass through `VariationalObjective` (all latents reparameterised). */
  private estimateBound(params: Float64Array, grad: Float64Array, rng: Generator, input: EstimateInput<D>): number {
    const { model, tape, V, F } = this;
    this.bind(params, grad);
    tape.reset();
    const blocks = model.latents.map((l, v) => ({ family: l.family, parts: l.family.prepare(tape.param(this.views[v]!, undefined, this.gradViews[v]!)) }));
    const objective = this.objective!.build(tape, blocks, rng, (z, draw) => {
      let total: TNode | null = null;
      // Per-draw values are kept for the first S draws (all of them for the ELBO over unstratified q).
      const keep = draw < this.S;
      for (let v = 0; v < V; v++) {
        const l = model.latents[v]!;
        this.xNodes[l.name] = l.transform.forward(z[v]!);
        if (l.transform !== identityTransform) {
          const j = l.transform.logDetJacobian(z[v]!);
          if (keep) this.jacVal[draw * V + v] = j.value[0]!;
          total = total === null ? j : ad.add(total, j);
        } else if (keep) this.jacVal[draw * V + v] = 0;
      }
      for (let f = 0; f < F; f++) {
        const fac = model.factors[f]!;
        let node = fac.logDensity!(this.xNodes, tape, input.data, draw);
        if (!node || node.tape !== tape || node.size !== 1) {
          throw new VireoError("INVALID_MODEL", `BBVI: factor '${fac.name}'.logDensity must return a scalar node built on the tape it was given.`, { node: fac.name });
        }
        if (fac.minibatch && input.scale !== 1) node = ad.scale(node, input.scale);
        if (keep) this.factorVal[draw * F + f] = node.value[0]!;
        total = total === null ? node : ad.add(total, node);
      }
      return total!;
    });
    tape.backward(objective);
    return objective.value[0]!;
  }

  private bind(params: Float64Array, grad: Float64Array): void {
    if (params === this.lastParams && grad === this.lastGrad) return;
    this.views = this.model.latents.map((l) => params.subarray(l.offset, l.offset + l.family.nParams));
    this.gradViews = this.model.latents.map((l) => grad.subarray(l.offset, l.offset + l.family.nParams));
    this.lastParams = params;
    this.lastGrad = grad;
  }

  /** Writes the ∇ELBO estimate into `grad`, updates `baselines`, and returns the ELBO estimate. */
  estimate(params: Float64Array, grad: Float64Array, rng: Generator, baselines: Float64Array, input: EstimateInput<D>): number {
    if (this.objective !== null) return this.estimateBound(params, grad, rng, input);
    const { model, tape, S, V, F, cfg } = this;
    this.bind(params, grad);
    tape.reset();
    let objective: TNode | null = null;
    let entropy = 0;
    for (let v = 0; v < V; v++) {
      const l = model.latents[v]!;
      const lam = tape.param(this.views[v]!, undefined, this.gradViews[v]!);
      this.parts[v] = l.family.prepare(lam);
      const h = l.family.entropy(this.parts[v]!);
      entropy += h.value[0]!;
      objective = objective === null ? h : ad.add(objective, h);
    }
    let sampled: TNode | null = null;
    for (let s = 0; s < S; s++) {
      for (let v = 0; v < V; v++) {
        const l = model.latents[v]!;
        if (cfg.reparam[v]) {
          const eps = this.eps[v]![s]!;
          l.family.drawNoise(rng, eps);
          const z = l.family.reparam(this.parts[v]!, tape.constant(eps));
          const x = l.transform.forward(z);
          if (l.transform !== identityTransform) {
            const j = l.transform.logDetJacobian(z);
            this.jacVal[s * V + v] = j.value[0]!;
            sampled = sampled === null ? j : ad.add(sampled, j);
          } else this.jacVal[s * V + v] = 0;
          this.xNodes[l.name] = x;
          this.xValues[l.name] = x.value;
        } else {
          const z = this.z[v]![s]!, x = this.x[v]![s]!;
          l.family.sample(this.views[v]!, rng, z);
          this.jacVal[s * V + v] = l.transform.forwardValue(z, x);
          l.family.score(this.views[v]!, z, this.scores[v]![s]!);
          this.xNodes[l.name] = tape.constant(x);
          this.xValues[l.name] = x;
        }
      }
      for (let f = 0; f < F; f++) {
        const fac = model.factors[f]!;
        const c = fac.minibatch ? input.scale : 1;
        if (this.onTape[f]) {
          let node = fac.logDensity!(this.xNodes, tape, input.data, s);
          if (!node || node.tape !== tape || node.size !== 1) {
            throw new VireoError(
              "INVALID_MODEL",
              `BBVI: factor '${fac.name}'.logDensity must return a scalar node built on the tape it was given` +
                (node && node.tape === tape ? `, got shape [${node.shape.join(", ")}]; reduce it with ad.sum.` : "."),
              { node: fac.name },
            );
          }
          if (c !== 1) node = ad.scale(node, c);
          this.factorVal[s * F + f] = node.value[0]!;
          if (this.onObjective[f]) sampled = sampled === null ? node : ad.add(sampled, node);
        } else {
          this.factorVal[s * F + f] = c * fac.logDensityValue!(this.xValues, input.data, s);
        }
      }
    }
    if (sampled !== null) objective = ad.add(objective!, ad.scale(sampled, 1 / S));
    tape.backward(objective!);
    let joint = 0;
    for (let i = 0; i < S * F; i++) joint += this.factorVal[i]!;
    for (let i = 0; i < S * V; i++) joint += this.jacVal[i]!;
    for (let v = 0; v < V; v++) if (!cfg.reparam[v]) this.addScoreTerm(v, baselines);
    return entropy + joint / S;
  }

  /** log f of factor f at draw s of the last estimate (scaled like the objective). */
  factorValue(s: number, f: number): number {
    return this.factorVal[s * this.F + f]!;
  }

  /** log|det J| of latent v's transform at draw s of the last estimate. */
  jacobianValue(s: number, v: number): number {
    return this.jacVal[s * this.V + v]!;
  }

  /** Adds (1/S) Σ_s ∇log q(z_s) (c_s − b) for score-function variable v, then updates its baseline. */
  private addScoreTerm(v: number, baselines: Float64Array): void {
    const { S, V, F, cfg, control } = this;
    const blanket = this.model.latents[v]!.blanket;
    let total = 0;
    for (let s = 0; s < S; s++) {
      let c = 0;
      if (cfg.raoBlackwell) {
        for (let k = 0; k < blanket.length; k++) c += this.factorVal[s * F + blanket[k]!]!;
        c += this.jacVal[s * V + v]!;
      } else {
        for (let f = 0; f < F; f++) c += this.factorVal[s * F + f]!;
        for (let u = 0; u < V; u++) c += this.jacVal[s * V + u]!;
      }
      control[s] = c;
      total += c;
    }
    const b0 = baselines[v]!, g = this.gradViews[v]!, n = g.length;
    for (let s = 0; s < S; s++) {
      // Before any running value exists, a leave-one-out mean of the other samples is still independent of sample s.
      const b = cfg.baseline === "none" ? 0 : !Number.isNaN(b0) ? b0 : S > 1 ? (total - control[s]!) / (S - 1) : 0;
      const w = (control[s]! - b) / S, sc = this.scores[v]![s]!;
      for (let i = 0; i < n; i++) g[i] += w * sc[i]!;
    }
    const m = total / S;
    if (cfg.baseline === "running" && Number.isFinite(m)) {
      baselines[v] = Number.isNaN(b0) ? m : cfg.baselineDecay * b0 + (1 - cfg.baselineDecay) * m;
    }
  }
}
