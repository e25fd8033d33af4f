/**
 * Checking a fitted q: Pareto-smoothed importance sampling on the model's joint density with q as
 * the proposal. Draws z ~ q (every latent), computes log r = log p(y, x(z)) + log|J(z)| − log q(z),
 * and returns the k̂ diagnostic (k̂ > 0.7: do not trust q), PSIS-corrected posterior means and
 * variances of every latent's constrained value next to q's own, and the PSIS estimate of
 * log p(y). The joint is the graph's (`JointGradient.logJoint`: each density factor once).
 */
import { VireoError, Generator, psis, sampleWithLogDensity, fmt, type PsisResult } from "@vireo/core";
import type { Bbvi, BbviState } from "./engine.js";

export interface PsisCheckOptions {
  /** Draws from q (default 4000). */
  readonly draws?: number;
  /** Seed of the draws (default 0); the engine state's generator is not touched. */
  readonly seed?: number;
}

export interface PsisCheck {
  readonly khat: number;
  /** k̂ ≤ min(0.7, 1 − 1/log₁₀ S): the importance-sampling corrections below can be trusted. */
  readonly reliable: boolean;
  readonly threshold: number;
  /** PSIS estimate of log p(y). */
  readonly logEvidence: number;
  /** Effective sample size of the smoothed weights. */
  readonly ess: number;
  readonly draws: number;
  /** PSIS-corrected E[x] and Var[x] of each latent's constrained value, by name. */
  readonly means: Readonly<Record<string, Float64Array>>;
  readonly variances: Readonly<Record<string, Float64Array>>;
  /** The same moments under q itself (plain averages over the same draws). */
  readonly qMeans: Readonly<Record<string, Float64Array>>;
  readonly qVariances: Readonly<Record<string, Float64Array>>;
  /** A sentence for logs and snapshots when k̂ is above the threshold, else undefined. */
  readonly warning?: string;
  /** The raw PSIS result (smoothed log weights in draw order). */
  readonly psis: PsisResult;
  /** log p(y, z_s) − log q(z_s) per draw: their mean is an ELBO estimate. */
  readonly logRatios: Float64Array;
}

/** PSIS check of the q held in `state` (see the module comment). */
export function psisCheck<D>(engine: Bbvi<D>, state: BbviState, options: PsisCheckOptions = {}): PsisCheck {
  const S = options.draws ?? 4000;
  if (!Number.isInteger(S) || S < 100) {
    throw new VireoError("INVALID_OPTION", `psisCheck: 'draws' must be an integer ≥ 100 (a few thousand is typical), got ${S}.`, { parameter: "draws" });
  }
  const { model } = engine;
  for (const l of model.latents) {
    if (l.family.degenerate === true || l.family.discrete) {
      throw new VireoError(
        "INVALID_OPTION",
        `psisCheck: latent '${l.name}' has ${l.family.name}, which has no density to weight against (${l.family.discrete ? "discrete" : "a point mass"}); the PSIS check applies to continuous q.`,
        { variable: l.name },
      );
    }
  }
  const rng = new Generator(options.seed ?? 0);
  const z = model.latents.map((l) => new Float64Array(l.family.dim));
  const values = model.latents.map((l) => new Float64Array(S * l.valueSize));
  const x: Record<string, Float64Array> = {};
  const logR = new Float64Array(S);
  const lambdas = model.latents.map((l) => engine.params(state, l.name));
  for (let s = 0; s < S; s++) {
    let lr = 0;
    model.latents.forEach((l, v) => {
      lr -= sampleWithLogDensity(l.family, lambdas[v]!, rng, z[v]!);
      const xv = values[v]!.subarray(s * l.valueSize, (s + 1) * l.valueSize);
      lr += l.transform.forwardValue(z[v]!, xv);
      x[l.name] = xv;
    });
    logR[s] = lr + engine.joint.logJoint(x);
  }
  const result = psis(logR);
  const means: Record<string, Float64Array> = {}, variances: Record<string, Float64Array> = {};
  const qMeans: Record<string, Float64Array> = {}, qVariances: Record<string, Float64Array> = {};
  model.latents.forEach((l, v) => {
    const n = l.valueSize, vals = values[v]!;
    const m = new Float64Array(n), m2 = new Float64Array(n), qm = new Float64Array(n), qm2 = new Float64Array(n);
    for (let s = 0; s < S; s++) {
      const w = Math.exp(result.logWeights[s]!);
      for (let i = 0; i < n; i++) {
        const a = vals[s * n + i]!;
        m[i] += w * a;
        m2[i] += w * a * a;
        qm[i] += a / S;
        qm2[i] += (a * a) / S;
      }
    }
    means[l.name] = m;
    variances[l.name] = m2.map((e, i) => e - m[i]! * m[i]!);
    qMeans[l.name] = qm;
    qVariances[l.name] = qm2.map((e, i) => (e - qm[i]! * qm[i]!) * (S / (S - 1)));
  });
  const warning = result.reliable
    ? undefined
    : `PSIS k̂ = ${fmt(result.khat)} > ${fmt(result.threshold)}: q is too far from the posterior to trust its moments or the importance-weighted corrections; use a richer family (full-rank, a flow, a mixture) or check the model.`;
  return {
    khat: result.khat, reliable: result.reliable, threshold: result.threshold, logEvidence: result.logMeanRatio, ess: result.ess,
    draws: S, means, variances, qMeans, qVariances, warning, psis: result, logRatios: logR,
  };
}
