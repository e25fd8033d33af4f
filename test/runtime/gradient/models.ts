/**
 * Graph models with gradient-fitted variables for the tests: Bayesian logistic regression as a
 * density factor (the model of the black-box-VI tests, in the graph), and helpers.
 */
import { MvNormal, Bernoulli, ad, type VariationalChoice } from "@vireo/core";
import { MvNormalNode, densityNode } from "@vireo/nodes";
import { ModelBuilder, type Model } from "@vireo/runtime";

export const eye = (d: number, s: number) => Float64Array.from({ length: d * d }, (_, i) => (i % (d + 1) === 0 ? s : 0));

/** log p(y | w, x) of Bernoulli-logit rows, one density node over the whole plate. */
export const logisticLikelihood = densityNode("LogisticLikelihood", { edges: { w: "MvNormal", x: "input", y: "Bernoulli" } }, ({ w, x, y }) => {
  const eta = ad.matmul(x!, w!);
  return ad.sum(ad.sub(ad.mul(y!, eta), ad.softplus(eta)));
});

/** w ~ N(0, s0² I) (a conjugate MvNormal node), y_n ~ Bernoulli(σ(wᵀx_n)) (a density node); q(w) as given. */
export function logisticGraph(D: number, s0: number, q: VariationalChoice): Model {
  const m = new ModelBuilder();
  const rows = m.plate("rows");
  const w = m.random("w", MvNormal(D), { q });
  m.factor(MvNormalNode, { out: w, mean: new Float64Array(D), precision: eye(D, 1 / (s0 * s0)) }, { name: "prior" });
  m.factor(logisticLikelihood, { w, x: m.input("x", { plate: rows, size: D }), y: m.observed("y", Bernoulli, { plate: rows }) }, { name: "likelihood" });
  return m.build();
}

import type { CaviEngine, GradientFit } from "@vireo/runtime";

/**
 * Runs `sweeps` sweeps of a CAVI engine with gradient-fitted variables, averaging every fit's λ
 * over the sweeps from `from` on (written back at the end), and returns `stat` of the averaged
 * state with batch-means standard errors (`batches` batches of the averaging window).
 */
export function averagedRun(engine: CaviEngine, fits: readonly GradientFit[], sweeps: number, from: number, stat: () => number[], batches = 10): { value: number[]; se: number[] } {
  const per = (sweeps - from) / batches;
  const avg = fits.map((f) => new Float64Array(f.lambda.length));
  const batchStats: number[][] = [];
  let n = 0, acc: number[] | null = null;
  for (let it = 0; it < sweeps; it++) {
    engine.sweep();
    if (it < from) continue;
    n++;
    fits.forEach((f, i) => {
      const a = avg[i]!;
      for (let j = 0; j < a.length; j++) a[j] += (f.lambda[j]! - a[j]!) / n;
    });
    const s = stat();
    acc = acc === null ? s.map((x) => x / per) : acc.map((x, k) => x + s[k]! / per);
    if (n % per === 0) {
      batchStats.push(acc);
      acc = null;
    }
  }
  fits.forEach((f, i) => f.lambda.set(avg[i]!));
  // Recompute what `stat` reads from the averaged λ: one more (untimed) evaluation.
  const value = stat();
  const se = value.map((_, k) => {
    let mb = 0, ss = 0;
    for (const b of batchStats) mb += b[k]! / batches;
    for (const b of batchStats) ss += (b[k]! - mb) ** 2;
    return Math.sqrt(ss / (batches - 1) / batches);
  });
  return { value, se };
}
