/**
 * A sparse variational GP (Titsias 2009; Hensman, Fusi & Lawrence 2013): M inducing inputs Z, a
 * full-covariance Gaussian q over the inducing values u = f(Z) (or, whitened, over v = L⁻¹u with
 * K_ZZ = L Lᵀ), and rows f(x_n) | u given by the GP conditional, so q(f_n) = N(μ_n, s_n) with
 *
 *   whitened:    a_n = L⁻¹ k_Z(x_n),        μ_n = a_nᵀ m,   s_n = k(x_n, x_n) − |a_n|² + a_nᵀ S a_n
 *   unwhitened:  ã_n = K_ZZ⁻¹ k_Z(x_n),     μ_n = ã_nᵀ m,   s_n = k(x_n, x_n) − |a_n|² + ã_nᵀ S ã_n.
 *
 * ELBO = scale · Σ_n E_q[log p(y_n | f_n)] − KL(q ‖ prior). Everything runs over blocks of rows
 * (M × block buffers, never N × N): the kernel block, a triangular solve, one gemm, and for the
 * gradient the reverse of each. Hyperparameter gradients go through ∂ELBO/∂K (K_ZZ, K_ZX and
 * diag K_XX) and the kernels' own contraction, with the Cholesky backward rule (Murray 2016) for
 * the whitened form.
 *
 * q is held in natural parameters (θ₁ = S⁻¹m, Λ = S⁻¹). A natural-gradient step of size ρ moves
 * them towards prior + scale · Σ_n (message of row n) with the row messages
 * Λ̂ += −2 h_n p_n p_nᵀ, θ̂₁ += (g_n − 2 h_n μ_n) p_n (g = ∂E/∂μ, h = ∂E/∂s, p = a or ã): for the
 * Gaussian likelihood these do not depend on q, so ρ = 1 over all data is the closed-form optimum
 * (Hensman et al. 2013); for other likelihoods they are the conjugate-computation VI step
 * (Khan & Lin 2017).
 */
import { VireoError, fmt } from "../errors.js";
import type { Kernel } from "./kernel.js";
import { type GpLikelihood, GaussianLikelihood } from "./likelihood.js";
import { type GpInput, type InputRows, inputRows, targetValues } from "./inputs.js";
import { HyperLayout, type LearnOptions } from "./hyperparameters.js";
import { fitHyperparameters, type GpFitOptions, type GpFitReport } from "./fit.js";
import {
  choleskyBackward, choleskyWithJitter, gemmNN, gemmNT, inverseFromFactor, logDetHalf,
  solveLowerInPlace, solveLowerTransposedInPlace, syrkWeighted,
} from "./dense-blocks.js";
import { gemmLowerNT } from "../linalg/triangular.js";

const LOG_2PI = Math.log(2 * Math.PI);

export interface SparseGpOptions {
  readonly kernel: Kernel;
  /** Default: a Gaussian likelihood with noise variance 1. */
  readonly likelihood?: GpLikelihood;
  /** Inducing inputs Z, M rows of `kernel.dim` columns. */
  readonly inducing: GpInput;
  /** q over v = L⁻¹u with prior N(0, I) (default true; better conditioned, as GPflow's default). */
  readonly whiten?: boolean;
  /** Jitter first tried on K_ZZ's diagonal (default 0); grown tenfold when Cholesky fails. */
  readonly jitter?: number;
  /** Which parameters the optimiser learns (default: kernel and likelihood, not Z). */
  readonly learn?: LearnOptions;
  /** Rows per block in the O(N M²) passes (default 1024). */
  readonly blockSize?: number;
}

/** Predictive summaries at new inputs. */
export interface GpPrediction {
  /** Latent mean and variance of f(x*). */
  readonly mean: Float64Array;
  readonly variance: Float64Array;
  /** Mean and variance of y* (the likelihood applied: + noise, or a probability, or a rate). */
  readonly targetMean: Float64Array;
  readonly targetVariance: Float64Array;
}

/** What one pass (batch or whole data) produced. */
export interface GpPassResult {
  /** ELBO (or bound) value. */
  readonly elbo: number;
  /** Jitter added to K_ZZ's diagonal for this pass. */
  readonly jitter: number;
}

export class SparseGp {
  readonly kernel: Kernel;
  readonly likelihood: GpLikelihood;
  readonly whiten: boolean;
  /** Number of inducing inputs M and input columns D. */
  readonly M: number;
  readonly dim: number;
  /** Inducing inputs, M×D row-major (updated in place when learnt). */
  readonly Z: Float64Array;
  readonly layout: HyperLayout;
  readonly blockSize: number;
  /** Natural parameters of q: θ₁ = S⁻¹m and Λ = S⁻¹ (M×M). */
  readonly qShift: Float64Array;
  readonly qPrecision: Float64Array;
  /** Mean m and covariance S of q (over v when whitened, over u otherwise). */
  readonly qMean: Float64Array;
  readonly qCov: Float64Array;
  /** Jitter used on K_ZZ in the last pass, and on Λ in the last refresh of q. */
  jitter = 0;
  qJitter = 0;
  private readonly baseJitter: number;
  private qLogDet = 0;
  private initialised = false;
  // M×M buffers
  private readonly Kzz: Float64Array;
  private readonly L: Float64Array;
  private readonly Kinv: Float64Array;
  private readonly Kbar: Float64Array;
  private readonly Lbar: Float64Array;
  private readonly workMM: Float64Array;
  private readonly workMM2: Float64Array;
  private readonly cholQ: Float64Array;
  private readonly tPrec: Float64Array;
  private readonly tShift: Float64Array;
  // M×block buffers
  private A = new Float64Array(0);
  private P = new Float64Array(0);
  private SP = new Float64Array(0);
  private T = new Float64Array(0);
  // block-length buffers
  private kd = new Float64Array(0);
  private mu = new Float64Array(0);
  private s = new Float64Array(0);
  private g = new Float64Array(0);
  private h = new Float64Array(0);
  private w = new Float64Array(0);
  private scratch = new Float64Array(0);
  private gZ: Float64Array;

  constructor(options: SparseGpOptions) {
    if (options === null || typeof options !== "object" || !options.kernel) {
      throw new VireoError("INVALID_OPTION", "sparseGp: give { kernel, inducing } (a kernel from @vireo/core's GP kernels and the inducing inputs).", { parameter: "kernel" });
    }
    this.kernel = options.kernel;
    this.likelihood = options.likelihood ?? new GaussianLikelihood(1);
    this.dim = this.kernel.dim;
    const Z = inputRows(options.inducing, this.dim, "sparseGp: inducing inputs 'inducing'");
    if (Z.n < 1) throw new VireoError("DIMENSION_MISMATCH", "sparseGp: inducing inputs 'inducing' must hold at least one row.", { parameter: "inducing" });
    this.M = Z.n;
    this.Z = Float64Array.from(Z.data);
    this.whiten = options.whiten ?? true;
    const jitter = options.jitter ?? 0;
    if (!(jitter >= 0) || !Number.isFinite(jitter)) throw new VireoError("INVALID_OPTION", `sparseGp: 'jitter' must be a finite number ≥ 0, got ${fmt(jitter)}.`, { parameter: "jitter" });
    this.baseJitter = jitter;
    const bs = options.blockSize ?? 1024;
    if (!(Number.isInteger(bs) && bs >= 1)) throw new VireoError("INVALID_OPTION", `sparseGp: 'blockSize' must be an integer ≥ 1, got ${String(bs)}.`, { parameter: "blockSize" });
    this.blockSize = bs;
    this.layout = new HyperLayout(this.kernel, this.likelihood, this.M * this.dim, options.learn);
    const M = this.M, MM = M * M;
    this.Kzz = new Float64Array(MM);
    this.L = new Float64Array(MM);
    this.Kinv = new Float64Array(MM);
    this.Kbar = new Float64Array(MM);
    this.Lbar = new Float64Array(MM);
    this.workMM = new Float64Array(MM);
    this.workMM2 = new Float64Array(MM);
    this.scratch = new Float64Array(M);
    this.cholQ = new Float64Array(MM);
    this.tPrec = new Float64Array(MM);
    this.tShift = new Float64Array(M);
    this.qShift = new Float64Array(M);
    this.qPrecision = new Float64Array(MM);
    this.qMean = new Float64Array(M);
    this.qCov = new Float64Array(MM);
    this.gZ = new Float64Array(M * this.dim);
  }

  /** Validates inputs for this model (D columns, finite), naming them by `what`. */
  inputs(x: GpInput, what = "sparseGp: inputs"): InputRows {
    return inputRows(x, this.dim, what);
  }

  /** Validates targets against the inputs and the likelihood's support. */
  targets(y: Float64Array | readonly number[], n: number, what = "sparseGp: targets"): Float64Array {
    const t = targetValues(y, n, what);
    this.likelihood.checkTargets(t, what);
    return t;
  }

  private grow(n: number): void {
    if (this.mu.length >= n) return;
    const Mn = this.M * n;
    this.A = new Float64Array(Mn);
    this.P = new Float64Array(Mn);
    this.SP = new Float64Array(Mn);
    this.T = new Float64Array(Mn);
    this.kd = new Float64Array(n);
    this.mu = new Float64Array(n);
    this.s = new Float64Array(n);
    this.g = new Float64Array(n);
    this.h = new Float64Array(n);
    this.w = new Float64Array(n);
    this.scratch = new Float64Array(Math.max(n, this.M));
  }

  /** K_ZZ and its factor for the current hyperparameters; q starts at the prior on first use. */
  private prepare(): void {
    const M = this.M;
    this.kernel.matrix(this.Z, M, this.Z, M, true, this.Kzz);
    this.jitter = choleskyWithJitter(this.Kzz, M, this.L, this.baseJitter, `sparseGp: K_ZZ (kernel over the ${M} inducing inputs)`).jitter;
    if (!this.whiten) inverseFromFactor(this.L, M, this.Kinv);
    if (!this.initialised) {
      this.qShift.fill(0);
      if (this.whiten) {
        this.qPrecision.fill(0);
        for (let i = 0; i < M; i++) this.qPrecision[i * M + i] = 1;
      } else {
        this.qPrecision.set(this.Kinv);
      }
      this.refreshQ();
      this.initialised = true;
    }
  }

  /** m and S from the natural parameters. */
  private refreshQ(): void {
    const M = this.M;
    this.qJitter = choleskyWithJitter(this.qPrecision, M, this.cholQ, 0, "sparseGp: the precision of q(u)").jitter;
    inverseFromFactor(this.cholQ, M, this.qCov);
    this.qLogDet = -2 * logDetHalf(this.cholQ, M);
    for (let i = 0; i < M; i++) {
      let s = 0;
      for (let j = 0; j < M; j++) s += this.qCov[i * M + j]! * this.qShift[j]!;
      this.qMean[i] = s;
    }
  }

  /** Starts a pass: K_ZZ, and zeroed accumulators for gradients and natural-gradient targets. */
  private begin(): void {
    this.prepare();
    this.Kbar.fill(0);
    this.Lbar.fill(0);
    this.tPrec.fill(0);
    this.tShift.fill(0);
    this.gZ.fill(0);
  }

  /** q(f) at a block of rows: fills A, P, SP, kd, mu, s. */
  private project(X: Float64Array, n: number): void {
    const M = this.M, k = this.kernel;
    this.grow(n);
    const A = this.A, Mn = M * n;
    k.matrix(this.Z, M, X, n, false, A);
    k.diag(X, n, this.kd);
    solveLowerInPlace(this.L, M, A, n);
    let P = A;
    if (!this.whiten) {
      P = this.P;
      for (let i = 0; i < Mn; i++) P[i] = A[i]!;
      solveLowerTransposedInPlace(this.L, M, P, n);
    }
    gemmNN(1, this.qCov, P, 0, this.SP, M, M, n);
    const mu = this.mu, s = this.s, m = this.qMean, SP = this.SP;
    for (let j = 0; j < n; j++) {
      mu[j] = 0;
      s[j] = this.kd[j]!;
    }
    for (let i = 0; i < M; i++) {
      const mi = m[i]!, r = i * n;
      for (let j = 0; j < n; j++) {
        const a = A[r + j]!, p = P[r + j]!;
        mu[j] += p * mi;
        s[j] += p * SP[r + j]! - a * a;
      }
    }
    // Round-off can take s a hair below 0 where Z covers x exactly.
    for (let j = 0; j < n; j++) if (s[j]! < 0) s[j] = 0;
  }

  /**
   * One block of rows: returns scale · Σ E_q[log p(y|f)], accumulating natural-gradient targets
   * (when `target`) and hyperparameter gradients (when `grad`, layout of `layout.read`).
   */
  private block(X: Float64Array, n: number, y: Float64Array, scale: number, grad: Float64Array | null, target: boolean): number {
    const M = this.M;
    this.project(X, n);
    const P = this.whiten ? this.A : this.P, mu = this.mu, g = this.g, h = this.h, w = this.w;
    const E = this.likelihood.expectations(y, mu, this.s, n, g, h, scale, grad, this.layout.kernelSize);
    if (target) {
      for (let j = 0; j < n; j++) w[j] = -2 * scale * h[j]!;
      // T is free until blockGradient: it holds P diag(w) for the GEMM.
      syrkWeighted(1, P, M, n, w, 1, this.tPrec, this.T);
      for (let j = 0; j < n; j++) w[j] = scale * (g[j]! - 2 * h[j]! * mu[j]!);
      for (let i = 0; i < M; i++) {
        let acc = 0;
        const r = i * n;
        for (let j = 0; j < n; j++) acc += P[r + j]! * w[j]!;
        this.tShift[i] += acc;
      }
    }
    if (grad) this.blockGradient(X, n, scale, grad);
    return scale * E;
  }

  private blockGradient(X: Float64Array, n: number, scale: number, grad: Float64Array): void {
    const M = this.M, A = this.A, SP = this.SP, T = this.T, m = this.qMean, g = this.g, h = this.h, w = this.w;
    for (let j = 0; j < n; j++) w[j] = scale * h[j]!;
    this.kernel.diagGradient(X, n, w, grad, 0);
    if (this.whiten) {
      // Ā = m ḡᵀ + 2 (S A − A) diag(s̄); K̄_ZX = L⁻ᵀ Ā; L̄ −= K̄_ZX Aᵀ.
      for (let i = 0; i < M; i++) {
        const r = i * n, mi = m[i]!;
        for (let j = 0; j < n; j++) T[r + j] = mi * scale * g[j]! + 2 * (SP[r + j]! - A[r + j]!) * w[j]!;
      }
      solveLowerTransposedInPlace(this.L, M, T, n);
      // Only L̄'s lower triangle is read (choleskyBackward): half the product.
      gemmLowerNT(-1, M, n, T, A, this.Lbar, true);
    } else {
      // P̄ = m ḡᵀ + 2 S Ã diag(s̄); T = K⁻¹ P̄; K̄_ZZ −= T Ãᵀ − Ã diag(s̄) Ãᵀ; K̄_ZX = T − 2 Ã diag(s̄).
      const P = this.P;
      for (let i = 0; i < M; i++) {
        const r = i * n, mi = m[i]!;
        for (let j = 0; j < n; j++) T[r + j] = mi * scale * g[j]! + 2 * SP[r + j]! * w[j]!;
      }
      solveLowerInPlace(this.L, M, T, n);
      solveLowerTransposedInPlace(this.L, M, T, n);
      // K̄_ZZ += (Ã diag(s̄) − T) Ãᵀ in one GEMM, the left factor built in SP (no longer needed).
      for (let i = 0; i < M; i++) {
        const r = i * n;
        for (let j = 0; j < n; j++) {
          const pw = P[r + j]! * w[j]!;
          SP[r + j] = pw - T[r + j]!;
          T[r + j] -= 2 * pw;
        }
      }
      gemmNT(1, SP, P, 1, this.Kbar, M, n, M);
    }
    this.kernel.gradient(this.Z, M, X, n, false, T, grad, 0);
    if (this.layout.learn.inducing) this.kernel.inputGradient(this.Z, M, X, n, T, this.gZ);
  }

  /** Ends a pass: returns −KL(q ‖ prior) and adds its gradient and the K_ZZ chain to `grad`. */
  private end(grad: Float64Array | null): number {
    const M = this.M, S = this.qCov, m = this.qMean;
    let negKl: number;
    if (this.whiten) {
      let tr = 0, mm = 0;
      for (let i = 0; i < M; i++) {
        tr += S[i * M + i]!;
        mm += m[i]! * m[i]!;
      }
      negKl = -0.5 * (tr + mm - M - this.qLogDet);
      if (grad) choleskyBackward(this.L, this.Lbar, M, this.Kbar, this.workMM);
    } else {
      const Ki = this.Kinv, W = this.workMM;
      let tr = 0, quad = 0;
      for (let i = 0; i < M; i++) {
        let km = 0;
        for (let j = 0; j < M; j++) {
          tr += Ki[i * M + j]! * S[j * M + i]!;
          km += Ki[i * M + j]! * m[j]!;
        }
        quad += m[i]! * km;
        this.scratch[i] = km;
      }
      negKl = -0.5 * (tr + quad - M + 2 * logDetHalf(this.L, M) - this.qLogDet);
      if (grad) {
        // ½ K⁻¹ (S + m mᵀ) K⁻¹ − ½ K⁻¹ = ½ (K⁻¹ S K⁻¹ + (K⁻¹m)(K⁻¹m)ᵀ − K⁻¹).
        gemmNN(1, Ki, S, 0, W, M, M, M);
        const KSK = this.workMM2;
        gemmNN(1, W, Ki, 0, KSK, M, M, M);
        for (let i = 0; i < M; i++) {
          for (let j = 0; j < M; j++) this.Kbar[i * M + j] += 0.5 * (KSK[i * M + j]! + this.scratch[i]! * this.scratch[j]! - Ki[i * M + j]!);
        }
      }
    }
    if (grad) this.inducingChain(grad);
    return negKl;
  }

  /** Adds K̄_ZZ's contraction (hyperparameters, and Z through both arguments when learnt) to `grad`. */
  private inducingChain(grad: Float64Array): void {
    const M = this.M;
    {
      this.kernel.gradient(this.Z, M, this.Z, M, true, this.Kbar, grad, 0);
      if (this.layout.learn.inducing) {
        // K_ZZ depends on Z through both arguments: ∂/∂z_a = Σ_j (K̄_aj + K̄_ja) ∂₁k(z_a, z_j).
        const Kb = this.Kbar;
        for (let i = 0; i < M; i++) {
          for (let j = 0; j <= i; j++) {
            const v = Kb[i * M + j]! + Kb[j * M + i]!;
            Kb[i * M + j] = v;
            Kb[j * M + i] = v;
          }
        }
        this.kernel.inputGradient(this.Z, M, this.Z, M, this.Kbar, this.gZ);
        grad.set(this.gZ, this.layout.kernelSize + this.layout.likelihoodSize);
      }
    }
  }

  /**
   * The data term at a point v (q = δ(v); whitened v, or u itself in an unwhitened model, where a_n
   * below is K_ZZ⁻¹k_Z(x_n) and the variance k_nn − k_Z(x_n)ᵀK_ZZ⁻¹k_Z(x_n)):
   *   Σ_n E_{p(f_n | v)}[log p(y_n | f_n)],  f_n | v ~ N(a_nᵀv, k_nn − |a_n|²),  a_n = L⁻¹k_Z(x_n),
   * so that under a Gaussian q(v) its expectation is the ELBO's data term exactly (the graph form
   * of SVGP draws v and puts this on the tape). With `grad` (layout `layout.read`, overwritten) and
   * `gradV` (length M, overwritten), also its gradient through the same block dL/dK contractions
   * as `elbo`. The model's q is used as scratch (set to δ(v)).
   */
  pointLogLikelihood(X: InputRows, y: Float64Array, v: Float64Array, grad: Float64Array | null = null, gradV: Float64Array | null = null): GpPassResult {
    const M = this.M;
    if (v.length !== M) throw new VireoError("DIMENSION_MISMATCH", `sparseGp.pointLogLikelihood: v must hold ${M} values (one per inducing input), got ${v.length}.`);
    this.begin();
    this.qMean.set(v);
    this.qCov.fill(0);
    grad?.fill(0);
    gradV?.fill(0);
    const e = this.blocks(X, y, (Xb, n, yb) => {
      const value = this.block(Xb, n, yb, 1, grad, false);
      if (gradV) {
        const A = this.whiten ? this.A : this.P, g = this.g;
        for (let i = 0; i < M; i++) {
          let acc = 0;
          for (let j = 0; j < n; j++) acc += A[i * n + j]! * g[j]!;
          gradV[i] += acc;
        }
      }
      return value;
    });
    if (grad) {
      if (this.whiten) choleskyBackward(this.L, this.Lbar, M, this.Kbar, this.workMM);
      this.inducingChain(grad);
    }
    return { elbo: e, jitter: this.jitter };
  }

  /**
   * Σ_n E_q[log p(y_n|f_n)] under the model's current q (the SVGP ELBO's data term,
   * without the KL), and with `grad` (layout `layout.read`, overwritten) its gradient in (θ, Z)
   * through the same block dL/dK contractions as `elbo` (without the KL's part).
   */
  expectedLogLikelihood(X: InputRows, y: Float64Array, grad: Float64Array | null = null): GpPassResult {
    this.begin();
    grad?.fill(0);
    const e = this.blocks(X, y, (Xb, n, yb) => this.block(Xb, n, yb, 1, grad, false));
    if (grad) {
      // Whitened blocks accumulate L̄, unwhitened ones K̄_ZZ directly.
      if (this.whiten) choleskyBackward(this.L, this.Lbar, this.M, this.Kbar, this.workMM);
      this.inducingChain(grad);
    }
    return { elbo: e, jitter: this.jitter };
  }

  /** The prior precision of q's variables: I when whitened, K_ZZ⁻¹ otherwise (M×M, into `out`). */
  priorPrecision(out: Float64Array): Float64Array {
    const M = this.M;
    this.prepare();
    if (this.whiten) {
      out.fill(0);
      for (let i = 0; i < M; i++) out[i * M + i] = 1;
    } else out.set(this.Kinv);
    return out;
  }

  /**
   * E_q[log N(u | 0, K_ZZ)] of an unwhitened model under q(u) = N(mean, covariance) (covariance
   * null: log N(u | 0, K_ZZ) at the point u = mean), with `grad` (layout `layout.read`,
   * overwritten) its gradient in (θ, Z), K̄ = ½ (K⁻¹(S + m mᵀ)K⁻¹ − K⁻¹), and with `gradU`
   * (length M, overwritten) its gradient in the point u, −K⁻¹u.
   */
  inducingLogPrior(mean: Float64Array, covariance: Float64Array | null, grad: Float64Array | null = null, gradU: Float64Array | null = null): GpPassResult {
    if (this.whiten) throw new VireoError("INVALID_OPTION", "sparseGp.inducingLogPrior: the prior of whitened values is N(0, I), free of θ; use the unwhitened model (whiten: false).", { parameter: "whiten" });
    const M = this.M;
    if (mean.length !== M || (covariance !== null && covariance.length !== M * M)) throw new VireoError("DIMENSION_MISMATCH", `sparseGp.inducingLogPrior: expected ${M} and ${M}×${M} values, got ${mean.length} and ${covariance?.length}.`);
    this.begin();
    grad?.fill(0);
    const Ki = this.Kinv, km = new Float64Array(M);
    let tr = 0, quad = 0;
    for (let i = 0; i < M; i++) {
      let acc = 0;
      for (let j = 0; j < M; j++) {
        acc += Ki[i * M + j]! * mean[j]!;
        if (covariance !== null) tr += Ki[i * M + j]! * covariance[j * M + i]!;
      }
      km[i] = acc;
      quad += mean[i]! * acc;
    }
    const value = -0.5 * (M * LOG_2PI + 2 * logDetHalf(this.L, M) + tr + quad);
    if (gradU) for (let i = 0; i < M; i++) gradU[i] = -km[i]!;
    if (grad) {
      const W = this.workMM, KSK = this.workMM2;
      if (covariance !== null) {
        gemmNN(1, Ki, covariance, 0, W, M, M, M);
        gemmNN(1, W, Ki, 0, KSK, M, M, M);
      } else KSK.fill(0);
      for (let i = 0; i < M; i++) {
        for (let j = 0; j < M; j++) this.Kbar[i * M + j] += 0.5 * (KSK[i * M + j]! + km[i]! * km[j]! - Ki[i * M + j]!);
      }
      this.inducingChain(grad);
    }
    return { elbo: value, jitter: this.jitter };
  }

  /** Moves q's natural parameters a step ρ towards prior + the accumulated row messages. */
  private naturalStep(rho: number): void {
    const M = this.M, Lam = this.qPrecision, t1 = this.qShift;
    for (let i = 0; i < M; i++) {
      for (let j = 0; j < M; j++) {
        const prior = this.whiten ? (i === j ? 1 : 0) : this.Kinv[i * M + j]!;
        Lam[i * M + j] = (1 - rho) * Lam[i * M + j]! + rho * (prior + this.tPrec[i * M + j]!);
      }
      t1[i] = (1 - rho) * t1[i]! + rho * this.tShift[i]!;
    }
    this.refreshQ();
  }

  /** Runs `fn` over the rows of (X, y) in blocks; returns the sum. */
  private blocks(X: InputRows, y: Float64Array, fn: (Xb: Float64Array, n: number, yb: Float64Array) => number): number {
    const d = this.dim, bs = this.blockSize;
    let total = 0;
    for (let start = 0; start < X.n; start += bs) {
      const n = Math.min(bs, X.n - start);
      total += fn(X.data.subarray(start * d, (start + n) * d), n, y.subarray(start, start + n));
    }
    return total;
  }

  /**
   * The ELBO of a batch with its rows weighted by `scale` (N/|B| for a minibatch of a data set of
   * N rows; 1 for all data), and optionally its gradient with respect to (θ, Z) in `grad`
   * (layout `layout.read`, overwritten). q and the hyperparameters are left unchanged.
   */
  elbo(X: InputRows, y: Float64Array, scale = 1, grad: Float64Array | null = null): GpPassResult {
    this.begin();
    grad?.fill(0);
    let e = this.blocks(X, y, (Xb, n, yb) => this.block(Xb, n, yb, scale, grad, false));
    e += this.end(grad);
    return { elbo: e, jitter: this.jitter };
  }

  /**
   * One SVGP step on a batch: evaluates the ELBO (before the step) and its gradient with respect
   * to (θ, Z) into `grad` (when given), then takes a natural-gradient step of size ρ on q.
   */
  naturalGradientStep(X: InputRows, y: Float64Array, scale: number, rho: number, grad: Float64Array | null = null): GpPassResult {
    if (!(rho > 0 && rho <= 1)) throw new VireoError("INVALID_OPTION", `sparseGp: the natural-gradient step ρ must be in (0, 1], got ${fmt(rho)}.`, { parameter: "rho" });
    this.begin();
    grad?.fill(0);
    let e = this.blocks(X, y, (Xb, n, yb) => this.block(Xb, n, yb, scale, grad, true));
    e += this.end(grad);
    this.naturalStep(rho);
    return { elbo: e, jitter: this.jitter };
  }

  /**
   * The rows' natural-parameter message to q at the current q and hyperparameters, each row
   * weighted by `scale`, without moving q: θ₁ += Σ a_n (g_n − 2 h_n μ_n) into `shift` and
   * Λ += −2 Σ h_n a_n a_nᵀ into `precision` (overwritten; M and M×M; g, h the derivatives of
   * E_q[log p(y_n|f_n)] in μ_n and s_n). Exact for a Gaussian likelihood (Σ a y/σ², Σ a aᵀ/σ²,
   * independent of q), a CVI step target otherwise; `naturalGradientStep` is prior + this.
   */
  rowMessage(X: InputRows, y: Float64Array, scale: number, shift: Float64Array, precision: Float64Array): GpPassResult {
    const M = this.M;
    if (shift.length !== M || precision.length !== M * M) throw new VireoError("DIMENSION_MISMATCH", `sparseGp.rowMessage: expected ${M} and ${M}×${M} values, got ${shift.length} and ${precision.length}.`);
    this.begin();
    const e = this.blocks(X, y, (Xb, n, yb) => this.block(Xb, n, yb, scale, null, true));
    shift.set(this.tShift);
    precision.set(this.tPrec);
    return { elbo: e, jitter: this.jitter };
  }

  /**
   * Sets q to its optimum for the current hyperparameters (Gaussian likelihood: closed form, one
   * pass; otherwise `iterations` damped natural-gradient passes of step `rho`). Returns the ELBO
   * at the new q.
   */
  optimiseQ(X: InputRows, y: Float64Array, options: { iterations?: number; rho?: number } = {}): number {
    const conj = this.likelihood.conjugate;
    const iters = conj ? 1 : options.iterations ?? 50, rho = conj ? 1 : options.rho ?? 0.5;
    for (let t = 0; t < iters; t++) this.naturalGradientStep(X, y, 1, rho);
    return this.elbo(X, y, 1).elbo;
  }

  /**
   * Titsias' (2009) collapsed bound for a Gaussian likelihood over all rows, from its closed form
   * (Φ = Σ_n a_n a_nᵀ accumulated block by block):
   *   −N/2 log 2πσ² − log|B|/2 − |y|²/2σ² + |L_B⁻¹ Σ a_n y_n|²/2σ⁴ − (Σ k_nn − tr Φ)/2σ²,  B = I + Φ/σ².
   * With `grad`, also sets q to the optimum (which the bound implies) and writes the bound's
   * gradient, equal there to the ELBO's partial gradient (q is optimal, so its own gradient is 0).
   */
  collapsedBound(X: InputRows, y: Float64Array, grad: Float64Array | null = null): GpPassResult {
    const lik = this.likelihood;
    if (!(lik instanceof GaussianLikelihood)) {
      throw new VireoError("INVALID_OPTION", `sparseGp: the collapsed bound needs the Gaussian likelihood, this model has '${lik.name}'; fit it by natural-gradient steps (svgp) instead.`, { parameter: "likelihood" });
    }
    const M = this.M, sig2 = lik.variance;
    this.begin();
    const Phi = this.tPrec, psi = this.tShift;
    let yy = 0, trK = 0;
    this.blocks(X, y, (Xb, n, yb) => {
      this.grow(n);
      this.kernel.matrix(this.Z, M, Xb, n, false, this.A);
      this.kernel.diag(Xb, n, this.kd);
      solveLowerInPlace(this.L, M, this.A, n);
      syrkWeighted(1, this.A, M, n, null, 1, Phi, this.T);
      for (let i = 0; i < M; i++) {
        let acc = 0;
        for (let j = 0; j < n; j++) acc += this.A[i * n + j]! * yb[j]!;
        psi[i] += acc;
      }
      for (let j = 0; j < n; j++) {
        yy += yb[j]! * yb[j]!;
        trK += this.kd[j]!;
      }
      return 0;
    });
    let trPhi = 0;
    for (let i = 0; i < M; i++) trPhi += Phi[i * M + i]!;
    // B = I + Φ/σ² is the whitened optimal precision; θ̂₁ = ψ/σ².
    const B = this.workMM;
    for (let i = 0; i < M * M; i++) B[i] = Phi[i]! / sig2;
    for (let i = 0; i < M; i++) B[i * M + i] += 1;
    const LB = this.Kbar;
    choleskyWithJitter(B, M, LB, 0, "sparseGp: I + Φ/σ² in the collapsed bound");
    const c = this.scratch.subarray(0, M);
    for (let i = 0; i < M; i++) c[i] = psi[i]! / sig2;
    const shift = Float64Array.from(c);
    solveLowerInPlace(LB, M, c, 1);
    let cc = 0;
    for (let i = 0; i < M; i++) cc += c[i]! * c[i]!;
    const N = X.n;
    const bound = -0.5 * N * (LOG_2PI + Math.log(sig2)) - logDetHalf(LB, M) - (0.5 * yy) / sig2 + 0.5 * cc - (0.5 * (trK - trPhi)) / sig2;
    if (grad) {
      this.setWhitenedQ(shift, B);
      this.elbo(X, y, 1, grad);
    }
    return { elbo: bound, jitter: this.jitter };
  }

  /**
   * Batch fit with a Gaussian likelihood (SGPR): maximises the collapsed bound over the learnt
   * hyperparameters (and Z when learnt), then sets q to its optimum.
   */
  fitCollapsed(x: GpInput, y: Float64Array | readonly number[], options: GpFitOptions = {}): GpFitReport {
    const X = this.inputs(x, "sparseGp.fitCollapsed: inputs"), t = this.targets(y, X.n, "sparseGp.fitCollapsed: targets");
    const report = fitHyperparameters(this.layout, this.layout.learn.inducing ? this.Z : null, (g) => this.collapsedBound(X, t, g).elbo, options);
    this.collapsedBound(X, t, new Float64Array(this.layout.size));
    return report;
  }

  /** Sets q from natural parameters θ₁ = S⁻¹m and Λ = S⁻¹ (in this model's parameterisation). */
  setQNatural(shift: Float64Array, precision: Float64Array): void {
    const M = this.M;
    if (shift.length !== M || precision.length !== M * M) throw new VireoError("DIMENSION_MISMATCH", `sparseGp.setQNatural: expected ${M} and ${M}×${M} values, got ${shift.length} and ${precision.length}.`);
    this.qShift.set(shift);
    this.qPrecision.set(precision);
    this.refreshQ();
    this.initialised = true;
  }

  /** Sets q from its mean and covariance (in this model's parameterisation: over v when whitened). */
  setQMoments(mean: Float64Array, covariance: Float64Array): void {
    const M = this.M;
    if (mean.length !== M || covariance.length !== M * M) throw new VireoError("DIMENSION_MISMATCH", `sparseGp.setQMoments: expected ${M} and ${M}×${M} values, got ${mean.length} and ${covariance.length}.`);
    const Lc = new Float64Array(M * M), precision = new Float64Array(M * M), shift = new Float64Array(M);
    choleskyWithJitter(covariance, M, Lc, 0, "sparseGp.setQMoments: the covariance of q");
    inverseFromFactor(Lc, M, precision);
    gemmNN(1, precision, mean, 0, shift, M, M, 1);
    this.setQNatural(shift, precision);
  }

  /** Sets q from whitened natural parameters (θ₁, Λ), converting when the model is unwhitened. */
  private setWhitenedQ(shift: Float64Array, precision: Float64Array): void {
    const M = this.M;
    if (this.whiten) {
      this.qShift.set(shift);
      this.qPrecision.set(precision);
    } else {
      // u = L v: Λ_u = L⁻ᵀ Λ_v L⁻¹, θ₁ᵤ = L⁻ᵀ θ₁ᵥ.
      const W = new Float64Array(M * M);
      W.set(precision);
      solveLowerTransposedInPlace(this.L, M, W, M);
      for (let i = 0; i < M; i++) for (let j = 0; j < M; j++) this.qPrecision[i * M + j] = W[j * M + i]!;
      solveLowerTransposedInPlace(this.L, M, this.qPrecision, M);
      this.qShift.set(shift);
      solveLowerTransposedInPlace(this.L, M, this.qShift, 1);
    }
    this.refreshQ();
    this.initialised = true;
  }

  /** Predictive mean and variance of f and y at new inputs (blocked; no N×N). */
  predict(x: GpInput): GpPrediction {
    const X = this.inputs(x, "sparseGp.predict: inputs");
    this.prepare();
    const n = X.n, mean = new Float64Array(n), variance = new Float64Array(n), tm = new Float64Array(n), tv = new Float64Array(n);
    const out = new Float64Array(2), d = this.dim;
    for (let start = 0; start < n; start += this.blockSize) {
      const b = Math.min(this.blockSize, n - start);
      this.project(X.data.subarray(start * d, (start + b) * d), b);
      for (let j = 0; j < b; j++) {
        mean[start + j] = this.mu[j]!;
        variance[start + j] = this.s[j]!;
        this.likelihood.predict(this.mu[j]!, this.s[j]!, out);
        tm[start + j] = out[0]!;
        tv[start + j] = out[1]!;
      }
    }
    return { mean, variance, targetMean: tm, targetVariance: tv };
  }

  /** Mean and covariance of q(u) over the inducing values (unwhitened: u = L v when whitened). */
  inducingPosterior(): { readonly mean: Float64Array; readonly covariance: Float64Array } {
    this.prepare();
    const M = this.M;
    if (!this.whiten) return { mean: Float64Array.from(this.qMean), covariance: Float64Array.from(this.qCov) };
    const mean = new Float64Array(M), LS = new Float64Array(M * M), cov = new Float64Array(M * M);
    gemmNN(1, this.L, this.qMean, 0, mean, M, M, 1);
    gemmNN(1, this.L, this.qCov, 0, LS, M, M, M);
    gemmNT(1, LS, this.L, 0, cov, M, M, M);
    return { mean, covariance: cov };
  }
}

/** A sparse variational GP model (see SparseGp). */
export function sparseGp(options: SparseGpOptions): SparseGp {
  return new SparseGp(options);
}
