/**
 * The Mauna Loa CO2 model (after Rasmussen & Williams 2006, §5.4.3): a smooth long-term trend
 * (squared exponential), a yearly cycle whose shape drifts slowly (periodic × squared exponential)
 * and medium-term irregularities (Matérn 3/2), plus Gaussian noise; fitted as a sparse GP by the
 * collapsed bound (Titsias 2009) with the hyperparameters learnt by Adam. Shared by the example
 * and its test.
 */
import { squaredExponential, periodic, matern32, sumKernel, productKernel, sparseGp, gaussianLikelihood, type SparseGp, type GpFitReport } from "@vireo/core";

export interface Co2Fit {
  readonly model: SparseGp;
  readonly report: GpFitReport;
  /** Subtracted from ppm before the fit (the GP has mean zero). */
  readonly offset: number;
  /** Years are measured from this origin. */
  readonly origin: number;
}

/** Fits the model to (time in decimal years, ppm) with M inducing inputs evenly over the time range. */
export function fitCo2(time: ArrayLike<number>, ppm: ArrayLike<number>, options: { inducing?: number; iterations?: number } = {}): Co2Fit {
  const n = time.length, origin = time[0]!;
  let offset = 0;
  for (let i = 0; i < n; i++) offset += ppm[i]! / n;
  const x = Float64Array.from({ length: n }, (_, i) => time[i]! - origin);
  const y = Float64Array.from({ length: n }, (_, i) => ppm[i]! - offset);
  const M = options.inducing ?? 100, span = x[n - 1]!;
  const Z = Float64Array.from({ length: M }, (_, i) => (span * i) / (M - 1));
  const kernel = sumKernel(
    squaredExponential({ variance: 2500, lengthscale: 60 }),
    productKernel(periodic({ variance: 4, lengthscale: 1, period: 1 }), squaredExponential({ variance: 1, lengthscale: 50 })),
    matern32({ variance: 0.5, lengthscale: 1 }),
  );
  const model = sparseGp({ kernel, likelihood: gaussianLikelihood(0.1), inducing: Z, jitter: 1e-6 });
  const report = model.fitCollapsed(x, y, { iterations: options.iterations ?? 150 });
  return { model, report, offset, origin };
}

/** Predictive mean and sd of the observed ppm at the given times. */
export function forecastCo2(fit: Co2Fit, time: ArrayLike<number>): { mean: Float64Array; sd: Float64Array } {
  const p = fit.model.predict(Float64Array.from(time, (t) => t - fit.origin));
  return { mean: p.targetMean.map((m) => m + fit.offset), sd: p.targetVariance.map(Math.sqrt) };
}
