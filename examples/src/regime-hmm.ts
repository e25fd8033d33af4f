/**
 * A regime-switching market: daily returns whose mean and volatility depend on a hidden regime
 * (calm, nervous, crisis) that persists for weeks. VB-HMM with Gaussian emissions learns the regimes,
 * their persistence and the posterior regime of every day, with a monotone ELBO.
 *   cd examples && npx tsx src/regime-hmm.ts
 */
import { Generator, sampleCategorical, sampleNormal } from "@vireo/core";
import { fitHmm } from "@vireo/runtime";
import { tracks } from "@vireo/plot";
import { writePictures } from "./pictures/folder.js";

const names = ["crisis", "nervous", "calm"];
const trueMean = [-0.8, 0.0, 0.1], trueSd = [3.0, 1.5, 0.6];
const A = [[0.95, 0.05, 0.0], [0.03, 0.94, 0.03], [0.0, 0.02, 0.98]];

const rng = new Generator(11), T = 2500;
const z = new Int32Array(T), r = new Float64Array(T);
for (let t = 0; t < T; t++) {
  z[t] = t === 0 ? 2 : sampleCategorical(rng, A[z[t - 1]!]!);
  r[t] = sampleNormal(rng, trueMean[z[t]!]!, trueSd[z[t]!]!);
}

const fit = fitHmm({ states: 3, transitionPrior: 1, emission: { kind: "gaussian" } }, r);
console.log(`VB-HMM: ${fit.iterations} iterations, converged: ${fit.converged}, ELBO ${fit.elbo[0]!.toFixed(1)} → ${fit.elbo[fit.elbo.length - 1]!.toFixed(1)}`);
const monotone = fit.elbo.every((v, i) => i === 0 || v >= fit.elbo[i - 1]! - 1e-9 * Math.abs(v));
console.log(`ELBO monotone: ${monotone}`);
if (fit.emission.kind !== "gaussian") throw new Error("expected Gaussian emissions");
const { means, precisions } = fit.emission;
// State labels are arbitrary: name the learnt states by volatility, highest first (crisis, nervous, calm).
const order = [0, 1, 2].sort((i, j) => precisions[i]! - precisions[j]!);
for (let k = 0; k < 3; k++) {
  const j = order[k]!;
  console.log(
    `  ${names[k]!.padEnd(8)} mean ${means[j]!.toFixed(3)} (true ${trueMean[k]}), sd ${(1 / Math.sqrt(precisions[j]!)).toFixed(3)} (true ${trueSd[k]}), ` +
      `stays ${fit.transition[j * 3 + j]!.toFixed(3)} (true ${A[k]![k]})`,
  );
}
let hits = 0;
for (let t = 0; t < T; t++) {
  let best = 0;
  for (let k = 1; k < 3; k++) if (fit.marginals[t * 3 + k]! > fit.marginals[t * 3 + best]!) best = k;
  if (best === order[z[t]!]) hits++;
}
console.log(`days assigned to their true regime: ${((100 * hits) / T).toFixed(1)}%`);

// Picture: the first 500 days' returns with the posterior predictive mean and ±2 sd of the regime mixture.
const days = Array.from({ length: 500 }, (_, t) => t);
const moments = days.map((t) => {
  let m = 0, m2 = 0;
  for (let k = 0; k < 3; k++) {
    const p = fit.marginals[t * 3 + k]!;
    m += p * means[k]!;
    m2 += p * (1 / precisions[k]! + means[k]! ** 2);
  }
  return [m, Math.sqrt(Math.max(m2 - m * m, 0))] as const;
});
await writePictures("regime-hmm", {
  returns: tracks([{ label: "daily return", time: days, mean: moments.map((x) => x[0]), sd: moments.map((x) => x[1]), observed: days.map((t) => r[t]!) }], {
    title: "Returns (dots) with the posterior regime mixture's mean ± 2 sd",
  }),
});
