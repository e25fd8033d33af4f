/**
 * Variational Bayes for hidden Markov models (MacKay 1997; Beal 2003, ch. 3): the state chain is one
 * structured block q(z_0 … z_{T−1}) and the parameters are mean-field conjugate factors: Dirichlet
 * initial distribution and transition rows, and per-state emissions (Categorical with Dirichlet rows,
 * or scalar Gaussian with mean-field Normal mean and Gamma precision).
 *  - E-step: forward–backward with the sub-normalised exp(E[log π]), exp(E[log A]) and the expected
 *    log emissions; the ELBO there is the collapsed bound log Z̃ − KL(q(θ) ‖ p(θ)), and the chain's
 *    entropy is H[q(z)] = log Z̃ − E_q[log p̃(y, z)] with the same expected parameters.
 *  - M-step: conjugate updates from the marginals and expected transition counts (node messages).
 *  - ELBO after the M-step computed term by term; a decrease throws NUMERICAL_FAILURE.
 */
import { VireoError, Normal, Gamma, Dirichlet, forwardBackward, ForwardBackwardBuffers } from "@vireo/core";
import { CategoricalTransition, CategoricalEmission, GaussianEmission, expectedLogRows, subNormalisedRows, klRows } from "@vireo/nodes";
import { resolveHmm, type HmmSpec, type ResolvedHmm } from "./hmm-model.js";

export interface VbHmmOptions {
  readonly maxIterations?: number;
  readonly tolerance?: number;
}

export type HmmEmissionSummary =
  | { readonly kind: "categorical"; readonly matrix: Float64Array }
  | { readonly kind: "gaussian"; readonly means: Float64Array; readonly precisions: Float64Array };

export interface HmmFit {
  readonly iterations: number;
  readonly converged: boolean;
  readonly elbo: readonly number[];
  /** q(z_t = k), T×K. */
  readonly marginals: Float64Array;
  /** Posterior means of π (K) and of the transition matrix (K×K). */
  readonly initial: Float64Array;
  readonly transition: Float64Array;
  readonly emission: HmmEmissionSummary;
}

const MONOTONE_SLACK = 1e-9;

function dirichletMeans(eta: Float64Array, K: number, M: number): Float64Array {
  const out = new Float64Array(K * M);
  for (let k = 0; k < K; k++) out.set(Dirichlet(M).mean(eta.subarray(k * M, (k + 1) * M)), k * M);
  return out;
}

export class VbHmm {
  readonly T: number;
  readonly K: number;
  readonly model: ResolvedHmm;
  /** Natural parameters of q(π) (K), q(A) (K×K), and the emission factors. */
  qInitial: Float64Array;
  qTransition: Float64Array;
  /** Categorical: K×M Dirichlet rows. Gaussian: q(μ_k) K×2 Normal and q(τ_k) K×2 Gamma. */
  qEmission: Float64Array;
  qPrecision: Float64Array;
  readonly fb: ForwardBackwardBuffers;
  readonly logEmit: Float64Array;
  chainEntropy = NaN;
  collapsedElbo = NaN;

  constructor(spec: HmmSpec, observations: ArrayLike<number>) {
    this.model = resolveHmm(spec, observations, "VbHmm");
    const { K, T } = this.model;
    this.T = T;
    this.K = K;
    this.qInitial = this.model.initialPrior.slice();
    this.qTransition = this.model.transitionPrior.slice();
    this.qEmission = this.model.emissionInit.slice();
    this.qPrecision = this.model.precisionPrior.slice();
    this.fb = new ForwardBackwardBuffers(T, K);
    this.logEmit = new Float64Array(T * K);
  }

  private gaussianExpectations() {
    const K = this.K, mean = new Float64Array(K), meanSq = new Float64Array(K), precision = new Float64Array(K), logPrecision = new Float64Array(K);
    for (let k = 0; k < K; k++) {
      const [m, m2] = Normal.expectedStats(this.qEmission.subarray(2 * k, 2 * k + 2));
      const [lt, tau] = Gamma.expectedStats(this.qPrecision.subarray(2 * k, 2 * k + 2));
      mean[k] = m!;
      meanSq[k] = m2!;
      precision[k] = tau!;
      logPrecision[k] = lt!;
    }
    return { mean, meanSq, precision, logPrecision };
  }

  /** Expected log parameters and log emissions; returns [E log π, E log A]. */
  private expectedLogs(): [Float64Array, Float64Array] {
    const { K, model: m } = this;
    const elogPi = Dirichlet(K).expectedStats(this.qInitial);
    const elogA = expectedLogRows(this.qTransition, K, K);
    if (m.emission === "categorical") {
      CategoricalEmission.logEmissions(m.y, expectedLogRows(this.qEmission, K, m.symbols), K, m.symbols, this.logEmit);
    } else {
      GaussianEmission.logEmissions(m.y, this.gaussianExpectations(), K, this.logEmit);
    }
    return [elogPi, elogA];
  }

  /** E_q[log p̃(y, z)] under the current q(z) and the given expected logs. */
  private expectedJoint(elogPi: Float64Array, elogA: Float64Array): number {
    const { K, T, fb } = this;
    let s = CategoricalTransition.expectedLogFactor(fb.transitionCounts, elogA, K);
    for (let k = 0; k < K; k++) s += fb.marginals[k]! * elogPi[k]!;
    for (let i = 0; i < T * K; i++) s += fb.marginals[i]! * this.logEmit[i]!;
    return s;
  }

  parameterKl(): number {
    const { K, model: m } = this;
    let kl = Dirichlet(K).kl(this.qInitial, m.initialPrior) + klRows(this.qTransition, m.transitionPrior, K, K);
    if (m.emission === "categorical") return kl + klRows(this.qEmission, m.emissionPrior, K, m.symbols);
    for (let k = 0; k < K; k++) {
      kl += Normal.kl(this.qEmission.subarray(2 * k, 2 * k + 2), m.emissionPrior.subarray(2 * k, 2 * k + 2));
      kl += Gamma.kl(this.qPrecision.subarray(2 * k, 2 * k + 2), m.precisionPrior.subarray(2 * k, 2 * k + 2));
    }
    return kl;
  }

  eStep(): number {
    const [elogPi, elogA] = this.expectedLogs();
    const logZ = forwardBackward(subNormalisedRows(elogPi), subNormalisedRows(elogA), this.logEmit, this.fb);
    this.chainEntropy = logZ - this.expectedJoint(elogPi, elogA);
    this.collapsedElbo = logZ - this.parameterKl();
    return this.collapsedElbo;
  }

  mStep(): void {
    const { K, model: m, fb } = this;
    const qi = m.initialPrior.slice();
    for (let k = 0; k < K; k++) qi[k] = qi[k]! + fb.marginals[k]!;
    this.qInitial = qi;
    const qa = m.transitionPrior.slice();
    CategoricalTransition.matrixMessage(fb.transitionCounts, K, qa);
    this.qTransition = qa;
    if (m.emission === "categorical") {
      const qb = m.emissionPrior.slice();
      CategoricalEmission.matrixMessage(m.y, fb.marginals, K, m.symbols, qb);
      this.qEmission = qb;
      return;
    }
    // Mean-field Normal × Gamma per state: two exact coordinate updates in turn.
    const qmu = m.emissionPrior.slice();
    GaussianEmission.meanMessage(m.y, fb.marginals, this.gaussianExpectations(), K, qmu);
    this.qEmission = qmu;
    const qtau = m.precisionPrior.slice();
    GaussianEmission.precisionMessage(m.y, fb.marginals, this.gaussianExpectations(), K, qtau);
    this.qPrecision = qtau;
  }

  elbo(): number {
    const [elogPi, elogA] = this.expectedLogs();
    return this.expectedJoint(elogPi, elogA) + this.chainEntropy - this.parameterKl();
  }

  fit(options: VbHmmOptions = {}): HmmFit {
    const maxIterations = options.maxIterations ?? 200, tolerance = options.tolerance ?? 1e-10;
    if (!(Number.isInteger(maxIterations) && maxIterations >= 1) || !(tolerance >= 0)) {
      throw new VireoError("INVALID_OPTION", `VbHmm.fit: maxIterations must be an integer ≥ 1 and tolerance ≥ 0, got ${maxIterations} and ${tolerance}.`);
    }
    const trace: number[] = [];
    let prev = -Infinity, it = 0, converged = false;
    const check = (v: number, half: string) => {
      if (v < prev - MONOTONE_SLACK * (1 + Math.abs(prev))) {
        throw new VireoError("NUMERICAL_FAILURE", `VbHmm: the ELBO decreased from ${prev} to ${v} in the ${half} of iteration ${it}; coordinate ascent cannot decrease it, so the data or priors are numerically degenerate.`, { node: half });
      }
      prev = v;
    };
    while (it < maxIterations) {
      it++;
      check(this.eStep(), "E-step (forward–backward)");
      this.mStep();
      const v = this.elbo();
      check(v, "M-step (Dirichlet and emission updates)");
      const gain = trace.length > 0 ? v - trace[trace.length - 1]! : Infinity;
      trace.push(v);
      if (gain <= tolerance * Math.abs(v)) {
        converged = true;
        break;
      }
    }
    this.eStep();
    const { K, model: m } = this;
    const emission: HmmEmissionSummary = m.emission === "categorical"
      ? { kind: "categorical", matrix: dirichletMeans(this.qEmission, K, m.symbols) }
      : { kind: "gaussian", means: this.gaussianExpectations().mean, precisions: this.gaussianExpectations().precision };
    return {
      iterations: it, converged, elbo: trace, marginals: this.fb.marginals.slice(),
      initial: Dirichlet(K).mean(this.qInitial), transition: dirichletMeans(this.qTransition, K, K), emission,
    };
  }
}

export function fitHmm(spec: HmmSpec, observations: ArrayLike<number>, options?: VbHmmOptions): HmmFit {
  return new VbHmm(spec, observations).fit(options);
}
