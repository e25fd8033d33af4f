/**
 * The posterior predictive of a trained network by predictive sampling: S draws θ_s ~ q of all
 * weights (one whole network per draw, so each draw's function is smooth in x), each run over
 * every row at once. For a regression the predictive of a row is the mixture
 * (1/S) Σ_s N(f_s(x), σ_y²); for a classifier P(y = 1 | x) = (1/S) Σ_s σ(f_s(x)). A point-estimate
 * network is one draw (its weights).
 *
 * The mean held-out log predictive density L = (1/N) Σ_n log p̂(y_n | x_n) comes with its Monte
 * Carlo standard error over the S draws (delta method on the draws' influences
 * ψ_s = (1/N) Σ_n p(y_n | θ_s) / p̂(y_n), which keeps the rows' correlation through shared θ_s).
 */
import { VireoError, Generator, Tape, sampleStandardNormal, localReparamDense, erfc, fmt, sigmoid, softplus, LOG_2PI, type TNode } from "@vireo/core";
import { activate } from "./network.js";
import { checkInputs, checkTargets, type BnnInputs, type BnnTargets } from "./data.js";
import type { BnnFit } from "./trainer.js";
import { checkOptions } from "../engine/options.js";

const PREDICT_OPTIONS = {
  draws: (v: unknown, fail: (m: string) => never) => {
    if (typeof v !== "number" || !Number.isInteger(v) || v < 1) fail(`must be a positive integer, got ${typeof v === "number" ? fmt(v) : JSON.stringify(v)}.`);
  },
  seed: (v: unknown, fail: (m: string) => never) => {
    if (typeof v !== "number" || !Number.isSafeInteger(v)) fail(`must be an integer, got ${typeof v === "number" ? fmt(v) : JSON.stringify(v)}.`);
  },
};

export interface BnnPredictOptions {
  /** Weight draws (default 200; a point-estimate network always uses its one set of weights). */
  readonly draws?: number;
  /** Seed of the weight draws (default 0). */
  readonly seed?: number;
}

/** A central predictive interval per row, in the response's units. */
export interface PredictiveInterval {
  readonly level: number;
  readonly lower: Float64Array;
  readonly upper: Float64Array;
}

/** Mean log predictive density of held-out rows, with its Monte Carlo standard error. */
export interface PredictiveLogLik {
  /** (1/N) Σ_n log p̂(y_n | x_n). */
  readonly mean: number;
  /** Σ_n log p̂(y_n | x_n). */
  readonly total: number;
  /** log p̂(y_n | x_n) per row. */
  readonly perRow: Float64Array;
  /** Monte Carlo standard error of `mean` over the weight draws (0 for one draw). */
  readonly standardError: number;
}

const standardNormalCdf = (z: number): number => 0.5 * erfc(-z / Math.SQRT2);

export class BnnPrediction {
  /** f_s(x_n) at draw s, row n (S × rows): responses' units for a regression, logits for a classifier. */
  readonly outputs: Float64Array;
  /** Noise sd σ_y in the response's units (0 for a classifier). */
  readonly noiseSd: number;

  constructor(readonly fit: BnnFit, readonly rows: number, readonly draws: number, outputs: Float64Array, noiseSd: number) {
    this.outputs = outputs;
    this.noiseSd = noiseSd;
  }

  private get regression(): boolean {
    return this.fit.network.likelihood === "gaussian";
  }

  /** Predictive mean per row: E[y | x] (regression) or P(y = 1 | x) (classification). */
  mean(): Float64Array {
    const { rows, draws: S, outputs: f } = this, out = new Float64Array(rows);
    for (let s = 0; s < S; s++) {
      for (let n = 0; n < rows; n++) out[n] += (this.regression ? f[s * rows + n]! : sigmoid(f[s * rows + n]!)) / S;
    }
    return out;
  }

  /** Predictive sd per row (regression): √(Var_s f_s(x) + σ_y²). */
  sd(): Float64Array {
    this.requireRegression("sd");
    const { rows, draws: S, outputs: f } = this, m = this.mean(), out = new Float64Array(rows);
    for (let s = 0; s < S; s++) for (let n = 0; n < rows; n++) out[n] += (f[s * rows + n]! - m[n]!) ** 2 / S;
    for (let n = 0; n < rows; n++) out[n] = Math.sqrt(out[n]! + this.noiseSd ** 2);
    return out;
  }

  /** Sd of the network's function per row, Var_s f_s(x) without the noise (the epistemic part). */
  functionSd(): Float64Array {
    const { rows, draws: S, outputs: f } = this, m = new Float64Array(rows), out = new Float64Array(rows);
    for (let s = 0; s < S; s++) for (let n = 0; n < rows; n++) m[n] += f[s * rows + n]! / S;
    for (let s = 0; s < S; s++) for (let n = 0; n < rows; n++) out[n] += (f[s * rows + n]! - m[n]!) ** 2 / S;
    for (let n = 0; n < rows; n++) out[n] = Math.sqrt(out[n]!);
    return out;
  }

  /**
   * The central `level` interval of each row's predictive mixture (1/S) Σ_s N(f_s, σ_y²), its
   * quantiles (1 ∓ level)/2 found by bisection on the mixture's distribution function.
   */
  interval(level: number): PredictiveInterval {
    this.requireRegression("interval");
    if (!(level > 0 && level < 1)) {
      throw new VireoError("INVALID_OPTION", `BnnPrediction.interval: level must be in (0, 1), e.g. 0.95, got ${fmt(level)}.`, { parameter: "level" });
    }
    const { rows } = this, lower = new Float64Array(rows), upper = new Float64Array(rows);
    for (let n = 0; n < rows; n++) {
      lower[n] = this.quantile(n, (1 - level) / 2);
      upper[n] = this.quantile(n, (1 + level) / 2);
    }
    return { level, lower, upper };
  }

  private quantile(n: number, p: number): number {
    const { rows, draws: S, outputs: f, noiseSd: sd } = this;
    let lo = Infinity, hi = -Infinity;
    for (let s = 0; s < S; s++) {
      lo = Math.min(lo, f[s * rows + n]!);
      hi = Math.max(hi, f[s * rows + n]!);
    }
    lo -= 10 * sd;
    hi += 10 * sd;
    for (let it = 0; it < 60 && hi - lo > 1e-10 * (1 + Math.abs(lo)); it++) {
      const mid = 0.5 * (lo + hi);
      let c = 0;
      for (let s = 0; s < S; s++) c += standardNormalCdf((mid - f[s * rows + n]!) / sd);
      if (c / S < p) lo = mid;
      else hi = mid;
    }
    return 0.5 * (lo + hi);
  }

  /** The mean held-out log predictive density of `y` (one response per row), with its standard error. */
  logLikelihood(y: BnnTargets): PredictiveLogLik {
    const yy = checkTargets(y, this.rows, !this.regression, "BnnPrediction.logLikelihood");
    const { rows, draws: S, outputs: f, noiseSd: sd } = this;
    // log p(y_n | θ_s) per draw, then log-mean-exp over draws per row.
    const logp = new Float64Array(S * rows), perRow = new Float64Array(rows);
    const c = -0.5 * LOG_2PI - Math.log(sd);
    for (let s = 0; s < S; s++) {
      for (let n = 0; n < rows; n++) {
        const a = f[s * rows + n]!, yn = yy[n]!;
        logp[s * rows + n] = this.regression ? c - 0.5 * ((yn - a) / sd) ** 2 : yn * a - softplus(a);
      }
    }
    let total = 0;
    for (let n = 0; n < rows; n++) {
      let mx = -Infinity;
      for (let s = 0; s < S; s++) mx = Math.max(mx, logp[s * rows + n]!);
      let acc = 0;
      for (let s = 0; s < S; s++) acc += Math.exp(logp[s * rows + n]! - mx);
      perRow[n] = mx + Math.log(acc / S);
      total += perRow[n]!;
    }
    let standardError = 0;
    if (S > 1) {
      const psi = new Float64Array(S);
      let mean = 0;
      for (let s = 0; s < S; s++) {
        let v = 0;
        for (let n = 0; n < rows; n++) v += Math.exp(logp[s * rows + n]! - perRow[n]!);
        psi[s] = v / rows;
        mean += psi[s]! / S;
      }
      let varPsi = 0;
      for (let s = 0; s < S; s++) varPsi += (psi[s]! - mean) ** 2 / (S - 1);
      standardError = Math.sqrt(varPsi / S);
    }
    return { mean: total / rows, total, perRow, standardError };
  }

  private requireRegression(what: string): void {
    if (!this.regression) {
      throw new VireoError("INVALID_OPTION", `BnnPrediction.${what}: this network is a classifier (Bernoulli likelihood); use mean() for P(y = 1 | x).`, { parameter: what });
    }
  }
}

/** Predictive draws of a trained network at covariates `x` (see the file comment). */
export function predictBnn(fit: BnnFit, x: BnnInputs, options: BnnPredictOptions = {}): BnnPrediction {
  const where = "predictBnn";
  checkOptions(where, options, PREDICT_OPTIONS, "{ draws: 200, seed: 1 }");
  if (fit === null || typeof fit !== "object" || !(fit.params instanceof Float64Array) || fit.network?.nParams !== fit.params.length) {
    throw new VireoError("INVALID_OPTION", `${where}: expected a trained network from fitBnn (or BnnTrainer.fit()), got ${fit === null ? "null" : typeof fit}.`);
  }
  const net = fit.network;
  const { x: xs, rows } = checkInputs(x, net.inputs, where);
  const bayes = net.weights === "gaussian";
  const S = bayes ? options.draws ?? 200 : 1;
  const D = net.inputs, { xMean, xSd, yMean, ySd } = fit.scales;
  for (let n = 0; n < rows; n++) for (let j = 0; j < D; j++) xs[n * D + j] = (xs[n * D + j]! - xMean[j]!) / xSd[j]!;
  const rng = new Generator(options.seed ?? 0), tape = new Tape(), outputs = new Float64Array(S * rows);
  const theta = net.layers.map((l) => new Float64Array(l.weights));
  for (let s = 0; s < S; s++) {
    tape.reset();
    let h: TNode = tape.constant(xs, [rows, D]);
    net.layers.forEach((l, i) => {
      const th = theta[i]!, lam = fit.params;
      for (let k = 0; k < l.weights; k++) {
        th[k] = bayes ? lam[l.offset + k]! + Math.exp(lam[l.offset + l.weights + k]!) * sampleStandardNormal(rng) : lam[l.offset + k]!;
      }
      const a = localReparamDense(h, tape.constant(th), l.outputs, null);
      h = i + 1 < net.layers.length ? activate(net, a) : a;
    });
    for (let n = 0; n < rows; n++) outputs[s * rows + n] = yMean + ySd * h.value[n]!;
  }
  const noiseSd = net.noiseIndex >= 0 ? ySd * Math.exp(fit.params[net.noiseIndex]!) : 0;
  return new BnnPrediction(fit, rows, S, outputs, noiseSd);
}
