/**
 * A hidden Markov model composed as a graph: a CategoricalChain block over a time plate, a
 * ChainCategoricalTransition node with Dirichlet rows, and a mixture of Normal emissions selected
 * by the chain. The chain's forward–backward is checked by brute-force enumeration; the graph is
 * fitted by CAVI (variational Bayes for HMMs) with a monotone ELBO.
 */
import test from "ava";
import { CategoricalChain, Dirichlet, Normal, Gamma, Generator, sampleStandardNormal, sampleCategorical, sampleDirichlet } from "@vireo/core";
import { ChainCategoricalTransitionNode, DirichletNode, NormalNode, GammaNode, Mixture, verifyNode, type VerifyEdge } from "@vireo/nodes";
import { ModelBuilder, cavi, CaviEngine, compile, bindData, initialise, elbo, type Model } from "@vireo/runtime";

const rng = new Generator(2718);
const randomEta = (K: number, T: number) => Float64Array.from({ length: T * (K + K * K) }, (_, i) => (i % (K + K * K) >= K && i < K + K * K ? 0 : sampleStandardNormal(rng)));

test("CategoricalChain: marginals, pairwise marginals, log Z and entropy equal brute-force enumeration", (t) => {
  const K = 3, T = 5, f = CategoricalChain(K), n = f.size, eta = randomEta(K, T);
  const weights: number[] = [], paths: number[][] = [];
  for (let code = 0; code < K ** T; code++) {
    const z = Array.from({ length: T }, (_, s) => Math.floor(code / K ** s) % K);
    let lw = 0;
    for (let s = 0; s < T; s++) lw += eta[s * n + z[s]!]! + (s > 0 ? eta[s * n + K + z[s - 1]! * K + z[s]!]! : 0);
    weights.push(lw);
    paths.push(z);
  }
  const m = Math.max(...weights), Z = weights.reduce((a, w) => a + Math.exp(w - m), 0), logZ = m + Math.log(Z);
  const gamma = new Float64Array(T * K), xi = new Float64Array(T * K * K);
  let H = 0;
  paths.forEach((z, c) => {
    const p = Math.exp(weights[c]! - logZ);
    H -= p * (weights[c]! - logZ);
    for (let s = 0; s < T; s++) {
      gamma[s * K + z[s]!] += p;
      if (s > 0) xi[s * K * K + z[s - 1]! * K + z[s]!] += p;
    }
  });
  const got = f.marginals(eta);
  t.true(Math.abs(got.logZ - logZ) < 1e-12 * Math.abs(logZ));
  got.gamma.forEach((g, i) => t.true(Math.abs(g - gamma[i]!) < 1e-12, `γ[${i}]`));
  got.xi.forEach((x, i) => t.true(Math.abs(x - xi[i]!) < 1e-12, `ξ[${i}]`));
  t.true(Math.abs(f.entropy(eta) - H) < 1e-12 * Math.max(1, H));
});

test("the HMM nodes pass the message-vs-energy verification (chain as the mixture selector too)", (t) => {
  const K = 3, T = 6;
  const chain: VerifyEdge = { family: CategoricalChain(K), eta: randomEta(K, T), count: T, layout: "row" };
  const dir = (count: number): VerifyEdge => {
    const eta = new Float64Array(count * K);
    for (let c = 0; c < count; c++) eta.set(Dirichlet(K).toNatural({ alpha: sampleDirichlet(rng, new Float64Array(K).fill(2)).map((p) => 1 + 5 * p) }), c * K);
    return { family: Dirichlet(K), eta, count, layout: "broadcast" };
  };
  const transition = verifyNode(ChainCategoricalTransitionNode, { rows: T, edges: { out: chain, initial: dir(1), transition: dir(K) } });
  t.true(transition.passed, JSON.stringify(transition.edges));
  const normals = (count: number): VerifyEdge => {
    const eta = new Float64Array(count * 2);
    for (let c = 0; c < count; c++) eta.set(Normal.toNatural({ mean: sampleStandardNormal(rng), variance: 0.5 }), c * 2);
    return { family: Normal, eta, count, layout: "broadcast" };
  };
  const gammas: VerifyEdge = { family: Gamma, eta: Float64Array.from({ length: K * 2 }, (_, i) => (i % 2 ? -2 : 3)), count: K, layout: "broadcast" };
  const emission = verifyNode(Mixture(NormalNode, ["mean", "precision"]), {
    rows: T,
    edges: { selector: chain, out: { family: Normal, values: Float64Array.from({ length: T }, () => sampleStandardNormal(rng)), count: T, layout: "row" }, mean: normals(K), precision: gammas },
  });
  t.true(emission.passed, JSON.stringify(emission.edges));
});

function hmmModel(K: number): Model {
  const m = new ModelBuilder();
  const time = m.plate("time"), states = m.plate("states", K);
  const initial = m.random("initial", Dirichlet(K));
  m.factor(DirichletNode, { out: initial, alpha: new Float64Array(K).fill(1) });
  const trans = m.random("A", Dirichlet(K), { plate: states });
  m.factor(DirichletNode, { out: trans, alpha: new Float64Array(K).fill(1) });
  const z = m.random("z", CategoricalChain(K), { plate: time });
  m.factor(ChainCategoricalTransitionNode, { out: z, initial, transition: trans }, { name: "dynamics" });
  const mu = m.random("mu", Normal, { plate: states }), tau = m.random("tau", Gamma, { plate: states });
  m.factor(NormalNode, { out: mu, mean: 0, precision: 0.01 });
  m.factor(GammaNode, { out: tau, shape: 1, rate: 1 });
  m.mixture(NormalNode, { selector: z, out: m.observed("y", Normal, { plate: time }), mean: mu, precision: tau }, { name: "emission" });
  return m.build();
}

test("the collapsed ELBO of the HMM graph (log Z of the chain) equals the fully evaluated one", (t) => {
  const y = Float64Array.from({ length: 300 }, (_, i) => (Math.floor(i / 50) % 2 ? 2 : -2) + sampleStandardNormal(rng));
  const model = hmmModel(2), state = compile(model, bindData(model, { y }));
  initialise(state, new Generator(4));
  const engine = new CaviEngine(state);
  for (let s = 0; s < 6; s++) {
    const collapsed = engine.sweep(), full = elbo(state);
    t.true(Math.abs(collapsed - full) < 1e-9 * Math.abs(full), `sweep ${s}: ${collapsed} vs ${full}`);
  }
});

test("variational Bayes for a 3-regime Gaussian HMM in the graph: monotone ELBO, regimes recovered", (t) => {
  const K = 3, T = 3000, means = [-3, 0, 3], sds = [0.7, 0.5, 0.7];
  const A = [[0.95, 0.04, 0.01], [0.03, 0.94, 0.03], [0.01, 0.04, 0.95]];
  const y = new Float64Array(T), truth = new Int32Array(T);
  let s = 1;
  for (let i = 0; i < T; i++) {
    if (i > 0) s = sampleCategorical(rng, A[s]!);
    truth[i] = s;
    y[i] = means[s]! + sds[s]! * sampleStandardNormal(rng);
  }
  const r = cavi(hmmModel(K), { data: { y }, seed: 3, restarts: 2, maxIterations: 300, tolerance: 1e-10 });

  for (let i = 1; i < r.elbo.length; i++) t.true(r.elbo[i]! >= r.elbo[i - 1]! - 1e-9 * Math.abs(r.elbo[i - 1]!), `ELBO fell at sweep ${i}`);
  t.deepEqual(r.diagnostics, []);
  const fitted = Array.from(r.posteriors.mu!.mean()), order = [0, 1, 2].sort((a, b) => fitted[a]! - fitted[b]!);
  order.forEach((k, rank) => t.true(Math.abs(fitted[k]! - means[rank]!) < 0.15, `regime ${rank}: mean ${fitted[k]} vs ${means[rank]}`));
  const Aq = r.posteriors.A!.mean();
  order.forEach((k, rank) => t.true(Math.abs(Aq[k * K + k]! - A[rank]![rank]!) < 0.03, `regime ${rank} stays with ${Aq[k * K + k]}`));
  const gamma = r.posteriors.z!.mean();
  let correct = 0;
  for (let i = 0; i < T; i++) {
    let best = 0;
    for (let k = 1; k < K; k++) if (gamma[i * K + k]! > gamma[i * K + best]!) best = k;
    if (order.indexOf(best) === truth[i]) correct++;
  }
  t.log(`means ${order.map((k) => fitted[k]!.toFixed(3))}, ${(100 * correct / T).toFixed(1)}% of steps in the right regime, ${r.iterations} sweeps`);
  t.true(correct / T > 0.9);
});
