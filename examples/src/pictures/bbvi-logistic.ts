/** Pictures of the BBVI logistic regression: noisy ELBO with its Monte Carlo error band, weights' posteriors, calibration. */
import { elboTrace, posteriorDensities, calibration } from "@vireo/plot";

/** Windowed means of the per-step ELBO estimates, with the standard error of each window's mean. */
export function windowed(elbo: readonly number[], window: number): { step: number[]; mean: number[]; se: number[] } {
  const out = { step: [] as number[], mean: [] as number[], se: [] as number[] };
  for (let s = 0; s + window <= elbo.length; s += window) {
    let m = 0;
    for (let i = s; i < s + window; i++) m += elbo[i]!;
    m /= window;
    let v = 0;
    for (let i = s; i < s + window; i++) v += (elbo[i]! - m) ** 2;
    out.step.push(s + window);
    out.mean.push(m);
    out.se.push(Math.sqrt(v / (window - 1) / window));
  }
  return out;
}

const sigmoid = (t: number) => 1 / (1 + Math.exp(-t));

export function bbviCharts(elbo: readonly number[], mean: ArrayLike<number>, sd: ArrayLike<number>, truth: readonly number[], X: Float64Array, y: Float64Array) {
  const W = 50;
  const w = windowed(elbo, W);
  const curves = Array.from({ length: mean.length }, (_, j) => {
    const m = mean[j]!, s = sd[j]!;
    const x = Array.from({ length: 121 }, (_, i) => m - 5 * s + (10 * s * i) / 120);
    return {
      label: `w[${j}] (true ${truth[j]})`,
      x,
      density: x.map((v) => Math.exp(-0.5 * ((v - m) / s) ** 2) / (s * Math.sqrt(2 * Math.PI))),
      interval: [m - 1.959963984540054 * s, m + 1.959963984540054 * s] as [number, number],
      mean: m,
    };
  });
  // Reliability: plug-in predicted probabilities σ(xᵀ E[w]) in ten bins against the observed rate of y = 1.
  const D = mean.length, N = y.length, bins = 10;
  const sum = new Float64Array(bins), hits = new Float64Array(bins), count = new Float64Array(bins);
  for (let n = 0; n < N; n++) {
    let eta = 0;
    for (let j = 0; j < D; j++) eta += X[n * D + j]! * mean[j]!;
    const p = sigmoid(eta), b = Math.min(bins - 1, Math.floor(p * bins));
    sum[b]! += p;
    hits[b]! += y[n]!;
    count[b]!++;
  }
  const used = Array.from({ length: bins }, (_, b) => b).filter((b) => count[b]! >= 5);
  const observed = used.map((b) => hits[b]! / count[b]!);
  return {
    // The first window (the climb from the start) is left out so the band around the optimum shows.
    elbo: elboTrace([{ label: `mean of ${W} steps ± 2 se`, elbo: w.mean, standardError: w.se }], {
      title: "BBVI: ELBO estimates with Monte Carlo error band", xTitle: `window of ${W} steps`, from: 1,
    }),
    weights: posteriorDensities(curves, { title: "Posterior of each weight: density, 95% interval, mean (dashed)", xTitle: "weight" }),
    calibration: calibration([{
      label: "plug-in σ(xᵀE[w])",
      expected: used.map((b) => sum[b]! / count[b]!),
      observed,
      standardError: used.map((b, i) => Math.sqrt(Math.max(observed[i]! * (1 - observed[i]!), 1e-4) / count[b]!)),
    }], { title: "Calibration of predicted probabilities", xTitle: "predicted probability", yTitle: "observed frequency of y = 1" }),
  };
}
