/**
 * A regime-switching market: daily returns whose mean and volatility depend on a hidden regime
 * (calm, nervous, crisis) that persists for weeks. A hidden Markov model in the graph: a
 * CategoricalChain over the days, Dirichlet rows for the transition matrix, and a Normal mixture
 * selected by the chain for the returns. CAVI (variational Bayes for HMMs) learns the regimes, their
 * persistence and the posterior regime of every day with a monotone ELBO; Viterbi gives the single
 * most probable sequence of regimes.
 *   cd examples && npx tsx src/regime-hmm.ts
 */
import { Generator, sampleCategorical, sampleNormal, CategoricalChain, Dirichlet, Normal, Gamma } from "@vireo/core";
import { ChainCategoricalTransitionNode, DirichletNode, NormalNode, GammaNode } from "@vireo/nodes";
import { ModelBuilder, caviProgress } from "@vireo/runtime";
import { tracks } from "@vireo/plot";
import { writePictures } from "./pictures/folder.js";
import { caviWithBar } from "./lib/progress.js";

const names = ["crisis", "nervous", "calm"];
const trueMean = [-0.8, 0.0, 0.1], trueSd = [3.0, 1.5, 0.6];
const A = [[0.95, 0.05, 0.0], [0.03, 0.94, 0.03], [0.0, 0.02, 0.98]];

const rng = new Generator(11), T = 2500, K = 3;
const z = new Int32Array(T), r = new Float64Array(T);
for (let t = 0; t < T; t++) {
  z[t] = t === 0 ? 2 : sampleCategorical(rng, A[z[t - 1]!]!);
  r[t] = sampleNormal(rng, trueMean[z[t]!]!, trueSd[z[t]!]!);
}

// The model: z_0 ~ Cat(π), z_t | z_{t−1} = j ~ Cat(A_j), r_t | z_t = k ~ N(μ_k, τ_k⁻¹), with Dirichlet,
// Normal and Gamma priors on π, the rows A_j, μ_k and τ_k.
const m = new ModelBuilder();
const days = m.plate("days"), regimes = m.plate("regimes", K);
const initial = m.random("initial", Dirichlet(K));
m.factor(DirichletNode, { out: initial, alpha: new Float64Array(K).fill(1) });
const transition = m.random("A", Dirichlet(K), { plate: regimes });
m.factor(DirichletNode, { out: transition, alpha: new Float64Array(K).fill(1) });
const regime = m.random("z", CategoricalChain(K), { plate: days });
m.factor(ChainCategoricalTransitionNode, { out: regime, initial, transition }, { name: "dynamics" });
const mu = m.random("mu", Normal, { plate: regimes }), tau = m.random("tau", Gamma, { plate: regimes });
m.factor(NormalNode, { out: mu, mean: 0, precision: 0.01 });
m.factor(GammaNode, { out: tau, shape: 1, rate: 1 });
m.mixture(NormalNode, { selector: regime, out: m.observed("r", Normal, { plate: days }), mean: mu, precision: tau }, { name: "returns" });

const fit = await caviWithBar("Variational Bayes", caviProgress(m.build(), { data: { r }, seed: 3, restarts: 2, maxIterations: 500, tolerance: 1e-10 }), 2, 500);
console.log(`VB-HMM in the graph: ${fit.iterations} sweeps, converged: ${fit.converged}, ELBO ${fit.elbo[0]!.toFixed(1)} → ${fit.elbo[fit.elbo.length - 1]!.toFixed(1)}`);
const monotone = fit.elbo.every((v, i) => i === 0 || v >= fit.elbo[i - 1]! - 1e-9 * Math.abs(v));
console.log(`ELBO monotone: ${monotone}`);
const means = fit.posteriors.mu!.mean(), precisions = fit.posteriors.tau!.mean(), stay = fit.posteriors.A!.mean();
// State labels are arbitrary: name the learnt states by volatility, highest first (crisis, nervous, calm).
const order = [0, 1, 2].sort((i, j) => precisions[i]! - precisions[j]!);
for (let k = 0; k < K; k++) {
  const j = order[k]!;
  console.log(
    `  ${names[k]!.padEnd(8)} mean ${means[j]!.toFixed(3)} (true ${trueMean[k]}), sd ${(1 / Math.sqrt(precisions[j]!)).toFixed(3)} (true ${trueSd[k]}), ` +
      `stays ${stay[j * K + j]!.toFixed(3)} (true ${A[k]![k]})`,
  );
}
const gamma = fit.posteriors.z!.mean(), { path } = CategoricalChain(K).viterbi(fit.posteriors.z!.natural);
let hits = 0, pathHits = 0;
for (let t = 0; t < T; t++) {
  let best = 0;
  for (let k = 1; k < K; k++) if (gamma[t * K + k]! > gamma[t * K + best]!) best = k;
  if (best === order[z[t]!]) hits++;
  if (path[t] === order[z[t]!]) pathHits++;
}
console.log(`days assigned to their true regime: ${((100 * hits) / T).toFixed(1)}% by the daily marginals, ${((100 * pathHits) / T).toFixed(1)}% by the Viterbi path`);

// Picture: the first 500 days' returns with the posterior predictive mean and ±2 sd of the regime mixture.
const shown = Array.from({ length: 500 }, (_, t) => t);
const moments = shown.map((t) => {
  let m = 0, m2 = 0;
  for (let k = 0; k < K; k++) {
    const p = gamma[t * K + k]!;
    m += p * means[k]!;
    m2 += p * (1 / precisions[k]! + means[k]! ** 2);
  }
  return [m, Math.sqrt(Math.max(m2 - m * m, 0))] as const;
});
await writePictures("regime-hmm", {
  returns: tracks([{ label: "daily return", time: shown, mean: moments.map((x) => x[0]), sd: moments.map((x) => x[1]), observed: shown.map((t) => r[t]!) }], {
    title: "Returns (dots) with the posterior regime mixture's mean ± 2 sd",
  }),
});
