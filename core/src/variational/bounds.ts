/**
 * Variational objectives over a generic log joint on the tape: the ELBO, the importance-weighted
 * bound (IWAE, Burda et al. 2016) and the Rényi-α bound (Li & Turner 2016). Any engine that can
 * write log p(y, z) on the tape (plus its support Jacobians) gets all three, for every family:
 *
 *   ELBO    = E[Σ_j w_j ℓ_j]                                   (+ closed-form entropies)
 *   IWAE_K  = E[log Σ_j w_j e^{ℓ_j}]
 *   Rényi_α = E[(1 − α)⁻¹ log Σ_j w_j e^{(1 − α) ℓ_j}]
 *
 * with ℓ_j = log p(y, z_j) − log q(z_j) over one group of draws j and weights w_j summing to 1:
 * w_j = 1/K for K independent draws, times Π_v π_{v,k} when mixtures are drawn one stratum at a
 * time (every combination of strata once per draw; Σ_j w_j f(z_j) is then unbiased for E_q f).
 * IWAE_1 is the ELBO; IWAE_K ≤ IWAE_{K+1} ≤ log p(y); Rényi at α = 0 is IWAE_K, and α → 1 the ELBO.
 * The estimate averages `groups` independent groups.
 */
import { VireoError } from "../errors.js";
import { Generator } from "../random/generator.js";
import type { Tape, TNode } from "../autodiff/tape.js";
import { add, sub, mul, scale, shift } from "../autodiff/arith.js";
import { exp, log, softplus } from "../autodiff/unary.js";
import { slice } from "../autodiff/indexing.js";
import { sum } from "../autodiff/reduce.js";
import { type VariationalFamily, strataOf, needsLogDensityEntropy, sampleWithLogDensity, type DrawWithLogDensity } from "./family.js";
import { MeanFieldGaussianQ } from "./meanfield-gaussian.js";
import { FullRankGaussianQ } from "./fullrank-gaussian.js";

export type Bound =
  | { readonly kind: "elbo" }
  | { readonly kind: "iwae"; readonly K: number }
  | { readonly kind: "renyi"; readonly alpha: number; readonly K: number };

/** The evidence lower bound (the default objective). */
export const elboBound = (): Bound => ({ kind: "elbo" });

/** The importance-weighted bound with K draws per estimate (K = 1 is the ELBO). */
export function iwaeBound(K: number): Bound {
  if (!Number.isInteger(K) || K < 1) {
    throw new VireoError("INVALID_OPTION", `iwaeBound: K must be a positive integer (draws per importance-weighted estimate), got ${K}.`, { parameter: "K" });
  }
  return { kind: "iwae", K };
}

/** The Rényi-α bound with K draws per estimate (α = 0: IWAE_K; α → 1: the ELBO; α < 1 for a lower bound). */
export function renyiBound(alpha: number, K: number): Bound {
  if (!Number.isFinite(alpha) || alpha < 0) {
    throw new VireoError("INVALID_OPTION", `renyiBound: α must be a finite number ≥ 0 (α < 1 gives a lower bound on log p(y)), got ${alpha}.`, { parameter: "alpha" });
  }
  if (!Number.isInteger(K) || K < 1) {
    throw new VireoError("INVALID_OPTION", `renyiBound: K must be a positive integer, got ${K}.`, { parameter: "K" });
  }
  return alpha === 1 ? { kind: "elbo" } : { kind: "renyi", alpha, K };
}

/** A short label, e.g. "ELBO", "IWAE(K=8)", "Rényi(α=0.5, K=8)". */
export function describeBound(b: Bound): string {
  return b.kind === "elbo" ? "ELBO" : b.kind === "iwae" ? `IWAE(K=${b.K})` : `Rényi(α=${b.alpha}, K=${b.K})`;
}

/** Throws INVALID_OPTION unless `b` is a bound made by elboBound / iwaeBound / renyiBound. */
export function validateBound(b: Bound, where: string): Bound {
  if (b?.kind === "elbo") return b;
  if (b?.kind === "iwae") return iwaeBound(b.K);
  if (b?.kind === "renyi") return renyiBound(b.alpha, b.K);
  throw new VireoError("INVALID_OPTION", `${where}: 'bound' must be elboBound(), iwaeBound(K) or renyiBound(α, K), got ${JSON.stringify(b)}.`, { parameter: "bound" });
}

/** One latent block of the objective: its family and the parts `family.prepare(λ)` gave. */
export interface ObjectiveBlock {
  readonly family: VariationalFamily;
  readonly parts: TNode[];
}

/**
 * log p(y, z) (including support Jacobians) on the tape, for the draws z[v] of every block.
 * `draw` numbers the draws within one objective evaluation.
 */
export type LogJointOnTape = (z: readonly TNode[], draw: number) => TNode;

/**
 * A draw of a family with its log density on the tape. Flows and mixtures supply it; for the
 * affine Gaussian families z = μ + Lε it follows from the noise: log q(z) = d/2 − H − ½‖ε‖².
 */
export function drawWithLogDensity(family: VariationalFamily, parts: TNode[], eps: TNode): DrawWithLogDensity {
  if (typeof family.reparamWithLogDensity === "function") return family.reparamWithLogDensity(parts, eps);
  if (family instanceof MeanFieldGaussianQ || family instanceof FullRankGaussianQ) {
    const z = family.reparam(parts, eps);
    const logq = sub(shift(scale(sum(mul(eps, eps)), -0.5), 0.5 * family.dim), family.entropy(parts));
    return { z, logq };
  }
  throw new VireoError(
    "INVALID_OPTION",
    `${family.name} gives no log density of its draws on the tape (reparamWithLogDensity), which the IWAE and Rényi bounds need; use the ELBO for it.`,
  );
}

/** log Σ_j e^{a_j} over scalar nodes, by pairwise log-add-exp (stable). */
function logSumExpScalars(terms: readonly TNode[]): TNode {
  let acc = terms[0]!;
  for (let j = 1; j < terms.length; j++) acc = add(acc, softplus(sub(terms[j]!, acc)));
  return acc;
}

/**
 * Builds a bound estimate on the tape for a fixed set of families. Scratch noise is pooled, so
 * `build` allocates nothing per call beyond tape nodes.
 */
export class VariationalObjective {
  /** Draws per group: K × Π strata. */
  readonly drawsPerGroup: number;
  private readonly strataProduct: number;
  private readonly K: number;
  private readonly noise: Float64Array[][];
  private readonly useLogq: boolean[];
  private readonly z: TNode[];
  private readonly logPi: (TNode | null)[];

  constructor(readonly families: readonly VariationalFamily[], readonly bound: Bound, readonly groups: number) {
    validateBound(bound, "VariationalObjective");
    if (!Number.isInteger(groups) || groups < 1) {
      throw new VireoError("INVALID_OPTION", `VariationalObjective: 'groups' (independent estimates averaged per step) must be a positive integer, got ${groups}.`, { parameter: "samples" });
    }
    for (const f of families) {
      if (!f.reparameterizable) {
        throw new VireoError("INVALID_OPTION", `${f.name} has no reparameterised draw; ${describeBound(bound)} with flows or mixtures needs every latent reparameterised.`);
      }
    }
    this.K = bound.kind === "elbo" ? 1 : bound.K;
    this.strataProduct = families.reduce((p, f) => p * strataOf(f), 1);
    this.drawsPerGroup = this.K * this.strataProduct;
    const total = this.drawsPerGroup * groups;
    this.noise = families.map((f) => Array.from({ length: total }, () => new Float64Array(f.noiseSize)));
    this.useLogq = families.map((f) => bound.kind !== "elbo" || needsLogDensityEntropy(f));
    this.z = families.map(() => null as unknown as TNode);
    this.logPi = families.map(() => null);
  }

  /** The objective on the tape (its value is the estimate); call `tape.backward` on it for ∇λ. */
  build(tape: Tape, blocks: readonly ObjectiveBlock[], rng: Generator, logJoint: LogJointOnTape): TNode {
    const { families, bound, K, strataProduct: M, drawsPerGroup: G } = this;
    if (blocks.length !== families.length) {
      throw new VireoError("DIMENSION_MISMATCH", `VariationalObjective.build: expected ${families.length} blocks, got ${blocks.length}.`);
    }
    let closed: TNode | null = null;
    for (let v = 0; v < families.length; v++) {
      const f = families[v]!, parts = blocks[v]!.parts;
      this.logPi[v] = strataOf(f) > 1 ? log(f.stratumWeights!(parts)) : null;
      if (!this.useLogq[v]) {
        const h = f.entropy(parts);
        closed = closed === null ? h : add(closed, h);
      }
    }
    const a = bound.kind === "renyi" ? 1 - bound.alpha : 1;
    const terms: TNode[] = new Array(G);
    let total: TNode | null = null;
    for (let g = 0; g < this.groups; g++) {
      for (let j = 0; j < G; j++) {
        const draw = g * G + j;
        let combo = j % M, logw: TNode | null = null, logq: TNode | null = null;
        for (let v = 0; v < families.length; v++) {
          const f = families[v]!, parts = blocks[v]!.parts, eps = this.noise[v]![draw]!;
          f.drawNoise(rng, eps);
          const S = strataOf(f);
          let d: DrawWithLogDensity | null = null;
          if (S > 1) {
            const k = combo % S;
            combo = (combo - k) / S;
            d = f.reparamStratum!(parts, k, tape.constant(eps));
            const lp = slice(this.logPi[v]!, k, 1);
            logw = logw === null ? lp : add(logw, lp);
          } else if (this.useLogq[v]) d = drawWithLogDensity(f, parts, tape.constant(eps));
          if (d !== null) {
            this.z[v] = d.z;
            logq = logq === null ? d.logq : add(logq, d.logq);
          } else this.z[v] = f.reparam(parts, tape.constant(eps));
        }
        let ell = logJoint(this.z, draw);
        if (logq !== null) ell = sub(ell, logq);
        ell = sum(ell);
        if (bound.kind === "elbo") {
          // Σ_j w_j ℓ_j with w_j the product of the strata's π (K = 1 here).
          terms[j] = logw === null ? ell : mul(ell, sum(exp(logw)));
        } else {
          // log w_j + (1 − α) ℓ_j, with log w_j = Σ log π − log K.
          const scaled = shift(scale(ell, a), -Math.log(K));
          terms[j] = logw === null ? scaled : add(scaled, sum(logw));
        }
      }
      let groupValue: TNode;
      if (bound.kind === "elbo") {
        groupValue = terms[0]!;
        for (let j = 1; j < G; j++) groupValue = add(groupValue, terms[j]!);
      } else {
        groupValue = scale(logSumExpScalars(terms), 1 / a);
      }
      total = total === null ? groupValue : add(total, groupValue);
    }
    let objective = scale(total!, 1 / this.groups);
    if (closed !== null) objective = add(objective, closed);
    return objective;
  }
}

/**
 * H[q] for a family without a closed form, as −(1/n) Σ log q(z_s) over n draws from a fixed-seed
 * generator (so repeated calls at the same λ agree). Its Monte Carlo error is of order
 * sd(log q)/√n; the default n = 4000 keeps it near 0.01 nats for a well-fitted q.
 */
export function entropyEstimate(family: VariationalFamily, lambda: Float64Array, draws = 4000, seed = 0x5eed): number {
  if (!Number.isInteger(draws) || draws < 1) {
    throw new VireoError("INVALID_OPTION", `entropyEstimate: 'draws' must be a positive integer, got ${draws}.`, { parameter: "draws" });
  }
  const rng = new Generator(seed), z = new Float64Array(family.dim);
  let s = 0;
  for (let i = 0; i < draws; i++) s -= sampleWithLogDensity(family, lambda, rng, z);
  return s / draws;
}
