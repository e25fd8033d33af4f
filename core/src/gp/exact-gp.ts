/**
 * The exact GP with a Gaussian likelihood, for small N (O(N³) time, O(N²) memory): the log
 * marginal likelihood log N(y | 0, K + σ²I), its gradient in the hyperparameters
 * (½ tr((ααᵀ − K⁻¹) ∂K/∂θ), α = K⁻¹y), and the predictive distribution. It is the reference the
 * sparse bounds are tested against and the O(N³) peer in `bench gp`.
 */
import { VireoError } from "../errors.js";
import type { Kernel } from "./kernel.js";
import { GaussianLikelihood } from "./likelihood.js";
import { type GpInput, type InputRows, inputRows, targetValues } from "./inputs.js";
import { HyperLayout } from "./hyperparameters.js";
import { choleskyWithJitter, inverseFromFactor, logDetHalf, solveLowerInPlace, solveLowerTransposedInPlace } from "./dense-blocks.js";
import type { GpPrediction } from "./sparse-gp.js";
import { fitHyperparameters, type GpFitOptions, type GpFitReport } from "./fit.js";

const LOG_2PI = Math.log(2 * Math.PI);

export interface ExactGpOptions {
  readonly kernel: Kernel;
  /** Gaussian noise variance σ² (default 1), or a GaussianLikelihood. */
  readonly likelihood?: GaussianLikelihood;
  readonly x: GpInput;
  readonly y: Float64Array | readonly number[];
  /** Jitter first tried on K + σ²I (default 0, grown tenfold on failure). */
  readonly jitter?: number;
  /** Learn the kernel (default true) and the noise variance (default true). */
  readonly learn?: { readonly kernel?: boolean; readonly likelihood?: boolean };
}

export class ExactGp {
  readonly kernel: Kernel;
  readonly likelihood: GaussianLikelihood;
  readonly X: InputRows;
  readonly y: Float64Array;
  readonly layout: HyperLayout;
  /** Jitter used in the last factorisation. */
  jitter = 0;
  private readonly baseJitter: number;
  private readonly K: Float64Array;
  private readonly Lf: Float64Array;
  private readonly alpha: Float64Array;

  constructor(options: ExactGpOptions) {
    if (options === null || typeof options !== "object" || !options.kernel) throw new VireoError("INVALID_OPTION", "exactGp: give { kernel, x, y }.", { parameter: "kernel" });
    this.kernel = options.kernel;
    this.likelihood = options.likelihood ?? new GaussianLikelihood(1);
    if (!(this.likelihood instanceof GaussianLikelihood)) throw new VireoError("INVALID_OPTION", "exactGp: the exact GP needs a Gaussian likelihood; use sparseGp with natural-gradient steps for other likelihoods.", { parameter: "likelihood" });
    this.X = inputRows(options.x, this.kernel.dim, "exactGp: inputs 'x'");
    this.y = targetValues(options.y, this.X.n, "exactGp: targets 'y'");
    this.baseJitter = options.jitter ?? 0;
    this.layout = new HyperLayout(this.kernel, this.likelihood, 0, { ...options.learn, inducing: false });
    const N = this.X.n;
    this.K = new Float64Array(N * N);
    this.Lf = new Float64Array(N * N);
    this.alpha = new Float64Array(N);
  }

  private factor(): void {
    const N = this.X.n, X = this.X.data;
    this.kernel.matrix(X, N, X, N, true, this.K);
    const v = this.likelihood.variance;
    for (let i = 0; i < N; i++) this.K[i * N + i] += v;
    this.jitter = choleskyWithJitter(this.K, N, this.Lf, this.baseJitter, `exactGp: K + σ²I over the ${N} training inputs`).jitter;
    this.alpha.set(this.y);
    solveLowerInPlace(this.Lf, N, this.alpha, 1);
    solveLowerTransposedInPlace(this.Lf, N, this.alpha, 1);
  }

  /**
   * log p(y | θ) and, with `grad` (layout `layout.read`), its gradient. The gradient forms K⁻¹
   * (N×N) in the buffer of K.
   */
  logMarginalLikelihood(grad: Float64Array | null = null): number {
    this.factor();
    const N = this.X.n, y = this.y, a = this.alpha;
    let yAy = 0;
    for (let i = 0; i < N; i++) yAy += y[i]! * a[i]!;
    const value = -0.5 * yAy - logDetHalf(this.Lf, N) - 0.5 * N * LOG_2PI;
    if (grad) {
      grad.fill(0);
      const G = this.K;
      inverseFromFactor(this.Lf, N, G);
      let tr = 0;
      for (let i = 0; i < N; i++) {
        for (let j = 0; j < N; j++) G[i * N + j] = 0.5 * (a[i]! * a[j]! - G[i * N + j]!);
        tr += G[i * N + i]!;
      }
      this.kernel.gradient(this.X.data, N, this.X.data, N, true, G, grad, 0);
      grad[this.layout.kernelSize] = tr;
    }
    return value;
  }

  /** Maximises the log marginal likelihood over the learnt hyperparameters (Adam on log θ). */
  fit(options: GpFitOptions = {}): GpFitReport {
    return fitHyperparameters(this.layout, null, (g) => this.logMarginalLikelihood(g), options);
  }

  /** Predictive mean and variance of f and y at new inputs. */
  predict(x: GpInput): GpPrediction {
    const Xs = inputRows(x, this.kernel.dim, "exactGp.predict: inputs");
    this.factor();
    const N = this.X.n, n = Xs.n;
    const Kxs = new Float64Array(N * n), kd = new Float64Array(n);
    this.kernel.matrix(this.X.data, N, Xs.data, n, false, Kxs);
    this.kernel.diag(Xs.data, n, kd);
    const mean = new Float64Array(n), variance = new Float64Array(n);
    for (let i = 0; i < N; i++) for (let j = 0; j < n; j++) mean[j] += Kxs[i * n + j]! * this.alpha[i]!;
    solveLowerInPlace(this.Lf, N, Kxs, n);
    for (let j = 0; j < n; j++) variance[j] = kd[j]!;
    for (let i = 0; i < N; i++) for (let j = 0; j < n; j++) variance[j] -= Kxs[i * n + j]! * Kxs[i * n + j]!;
    const v = this.likelihood.variance;
    return { mean, variance, targetMean: Float64Array.from(mean), targetVariance: variance.map((s) => s + v) };
  }
}

export function exactGp(options: ExactGpOptions): ExactGp {
  return new ExactGp(options);
}
