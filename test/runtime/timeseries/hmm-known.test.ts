/**
 * HMMs through the graph beyond the Gaussian case (the replacement of the old VB-HMM engine):
 *  - known-parameter mode: known per-state means, precisions, transition rows and initial
 *    distribution are constants in plates; q(z) is then exactly the forward–backward posterior and
 *    the ELBO the exact log-likelihood (checked by brute-force enumeration on a short chain);
 *  - categorical emissions: a Mixture of Categorical rows selected by the chain recovers the emission
 *    matrix up to a relabelling, with a monotone ELBO.
 */
import test from "ava";
import { CategoricalChain, Categorical, Dirichlet, Normal, Gamma, Generator, sampleCategorical, sampleNormal, forwardBackward, ForwardBackwardBuffers } from "@vireo/core";
import { ChainCategoricalTransitionNode, DirichletNode, NormalNode, CategoricalNode } from "@vireo/nodes";
import { ModelBuilder, cavi } from "@vireo/runtime";

test("known-parameter HMM: constants in plates; marginals and ELBO equal brute-force enumeration", (t) => {
  const K = 3, T = 7, pi = [0.5, 0.3, 0.2], A = [0.8, 0.15, 0.05, 0.1, 0.7, 0.2, 0.2, 0.2, 0.6], mus = [-1, 0.5, 2], taus = [2, 1, 4];
  const rng = new Generator(8), y = new Float64Array(T);
  let s = 0;
  for (let i = 0; i < T; i++) {
    s = i === 0 ? sampleCategorical(rng, pi) : sampleCategorical(rng, A.slice(s * K, s * K + K));
    y[i] = sampleNormal(rng, mus[s]!, 1 / Math.sqrt(taus[s]!));
  }
  const m = new ModelBuilder(), time = m.plate("time"), states = m.plate("states", K);
  const z = m.random("z", CategoricalChain(K), { plate: time });
  m.factor(ChainCategoricalTransitionNode, {
    out: z, initial: m.constant("pi", pi, Dirichlet(K)), transition: m.constant("A", A, Dirichlet(K), { plate: states }),
  }, { name: "dynamics" });
  m.mixture(NormalNode, {
    selector: z, out: m.observed("y", Normal, { plate: time }),
    mean: m.constant("mu", mus, Normal, { plate: states }), precision: m.constant("tau", taus, Gamma, { plate: states }),
  }, { name: "emission" });
  const r = cavi(m.build(), { data: { y }, maxIterations: 3 });
  // Brute force: p(z, y) over all K^T paths.
  const logN = (v: number, k: number) => 0.5 * Math.log(taus[k]! / (2 * Math.PI)) - 0.5 * taus[k]! * (v - mus[k]!) ** 2;
  const w: number[] = [], paths: number[][] = [];
  for (let code = 0; code < K ** T; code++) {
    const path = Array.from({ length: T }, (_, i) => Math.floor(code / K ** i) % K);
    let lw = Math.log(pi[path[0]!]!);
    for (let i = 0; i < T; i++) lw += logN(y[i]!, path[i]!) + (i > 0 ? Math.log(A[path[i - 1]! * K + path[i]!]!) : 0);
    w.push(lw);
    paths.push(path);
  }
  const mx = Math.max(...w), logLik = mx + Math.log(w.reduce((a, v) => a + Math.exp(v - mx), 0));
  const gamma = new Float64Array(T * K);
  paths.forEach((path, c) => path.forEach((k, i) => (gamma[i * K + k] += Math.exp(w[c]! - logLik))));
  const elbo = r.elbo[r.elbo.length - 1]!;
  t.true(Math.abs(elbo - logLik) < 1e-9 * Math.abs(logLik), `ELBO ${elbo} vs log-likelihood ${logLik}`);
  const got = r.posteriors.z!.mean();
  for (let i = 0; i < T * K; i++) t.true(Math.abs(got[i]! - gamma[i]!) < 1e-9, `γ[${i}] = ${got[i]} vs ${gamma[i]}`);
  // And the Viterbi path of q(z) is the brute-force most probable path.
  const best = paths[w.indexOf(mx)]!;
  t.deepEqual(Array.from(CategoricalChain(K).viterbi(r.posteriors.z!.natural).path), best);
});

test("known-parameter HMM over 2,000 steps: the graph reproduces the core forward–backward kernel (log-likelihood, marginals, transition counts)", (t) => {
  const K = 3, T = 2000, pi = [0.2, 0.5, 0.3], A = [0.9, 0.07, 0.03, 0.05, 0.9, 0.05, 0.02, 0.08, 0.9], mus = [-2, 0, 2.5], taus = [1, 4, 0.5];
  const rng = new Generator(31), y = new Float64Array(T);
  let s = 0;
  for (let i = 0; i < T; i++) {
    s = i === 0 ? sampleCategorical(rng, pi) : sampleCategorical(rng, A.slice(s * K, s * K + K));
    y[i] = sampleNormal(rng, mus[s]!, 1 / Math.sqrt(taus[s]!));
  }
  const m = new ModelBuilder(), time = m.plate("time"), states = m.plate("states", K);
  const z = m.random("z", CategoricalChain(K), { plate: time });
  m.factor(ChainCategoricalTransitionNode, { out: z, initial: m.constant("pi", pi, Dirichlet(K)), transition: m.constant("A", A, Dirichlet(K), { plate: states }) });
  m.mixture(NormalNode, {
    selector: z, out: m.observed("y", Normal, { plate: time }),
    mean: m.constant("mu", mus, Normal, { plate: states }), precision: m.constant("tau", taus, Gamma, { plate: states }),
  });
  const r = cavi(m.build(), { data: { y }, maxIterations: 3 });
  const logEmit = new Float64Array(T * K);
  for (let i = 0; i < T; i++) for (let k = 0; k < K; k++) logEmit[i * K + k] = 0.5 * Math.log(taus[k]! / (2 * Math.PI)) - 0.5 * taus[k]! * (y[i]! - mus[k]!) ** 2;
  const buf = new ForwardBackwardBuffers(T, K), logLik = forwardBackward(pi, A, logEmit, buf);
  const elbo = r.elbo[r.elbo.length - 1]!;
  t.true(Math.abs(elbo - logLik) < 1e-9 * Math.abs(logLik), `ELBO ${elbo} vs forward–backward log-likelihood ${logLik}`);
  const { gamma, xi } = CategoricalChain(K).marginals(r.posteriors.z!.natural);
  let worst = 0;
  for (let i = 0; i < T * K; i++) worst = Math.max(worst, Math.abs(gamma[i]! - buf.marginals[i]!));
  t.true(worst < 1e-9, `marginals differ by ${worst}`);
  // The chain's pairwise blocks are oriented like the kernel's transition counts: (z_{t−1}, z_t).
  const counts = new Float64Array(K * K);
  for (let i = 1; i < T; i++) for (let c = 0; c < K * K; c++) counts[c] += xi[i * K * K + c]!;
  for (let c = 0; c < K * K; c++) t.true(Math.abs(counts[c]! - buf.transitionCounts[c]!) < 1e-8, `count ${c}: ${counts[c]} vs ${buf.transitionCounts[c]}`);
});

test("a categorical-emission HMM in the graph recovers its emission matrix up to a relabelling, ELBO monotone", (t) => {
  const K = 3, M = 4, T = 5000;
  const sticky = [[0.95, 0.03, 0.02], [0.04, 0.92, 0.04], [0.03, 0.02, 0.95]];
  const B = [[0.7, 0.2, 0.05, 0.05], [0.05, 0.1, 0.8, 0.05], [0.1, 0.1, 0.1, 0.7]];
  const rng = new Generator(5), y = new Float64Array(T);
  let s = 0;
  for (let i = 0; i < T; i++) {
    if (i > 0) s = sampleCategorical(rng, sticky[s]!);
    y[i] = sampleCategorical(rng, B[s]!);
  }
  const m = new ModelBuilder(), time = m.plate("time"), states = m.plate("states", K);
  const initial = m.random("initial", Dirichlet(K)), trans = m.random("A", Dirichlet(K), { plate: states });
  m.factor(DirichletNode, { out: initial, alpha: new Float64Array(K).fill(1) });
  m.factor(DirichletNode, { out: trans, alpha: new Float64Array(K).fill(1) });
  const z = m.random("z", CategoricalChain(K), { plate: time });
  m.factor(ChainCategoricalTransitionNode, { out: z, initial, transition: trans });
  const emit = m.random("B", Dirichlet(M), { plate: states });
  m.factor(DirichletNode, { out: emit, alpha: new Float64Array(M).fill(1) });
  m.mixture(CategoricalNode, { selector: z, out: m.observed("y", Categorical(M), { plate: time }), p: emit }, { name: "emission" });
  const r = cavi(m.build(), { data: { y }, seed: 1, restarts: 2, maxIterations: 500, tolerance: 1e-10 });
  t.deepEqual(r.diagnostics, []);
  for (let i = 1; i < r.elbo.length; i++) t.true(r.elbo[i]! >= r.elbo[i - 1]! - 1e-11 * Math.abs(r.elbo[i - 1]!), `ELBO fell at sweep ${i}`);
  const est = r.posteriors.B!.mean(), used = new Set<number>();
  for (let k = 0; k < K; k++) {
    let best = -1, dist = Infinity;
    for (let j = 0; j < K; j++) {
      const dj = B[k]!.reduce((acc, v, c) => acc + Math.abs(v - est[j * M + c]!), 0);
      if (dj < dist) [best, dist] = [j, dj];
    }
    used.add(best);
    t.true(dist < 0.15, `row ${k}: L1 distance ${dist}`);
  }
  t.is(used.size, K);
});
