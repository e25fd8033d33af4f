/**
 * A linear Gaussian state-space model composed as a graph: a GaussMarkovChain block over a time
 * plate with ChainTransition and ChainObservation nodes, fitted by the CAVI engine. With known
 * parameters its q(x) is the exact smoother (checked against the core Kalman/RTS kernels to 1e-9)
 * and its ELBO the exact log-likelihood; with a Wishart observation precision it learns the
 * noise by variational Bayes with a monotone ELBO.
 */
import test from "ava";
import {
  GaussMarkovChain, MvNormal, Wishart, Generator, sampleStandardNormal, spdInverseDense,
  allocateKalmanBuffers, allocateSmootherBuffers, kalmanFilterSeries, rtsSmoother, type GaussianChainParams,
} from "@vireo/core";
import { ChainTransitionNode, ChainObservationNode, WishartNode, verifyNode, type VerifyEdge } from "@vireo/nodes";
import { ModelBuilder, cavi } from "@vireo/runtime";

const rng = new Generator(606);
const eye = (n: number, s = 1) => Float64Array.from({ length: n * n }, (_, i) => (i % (n + 1) === 0 ? s : 0));

/** A random proper chain of T rows: strong diagonal precision, weak couplings. */
function randomChain(d: number, T: number): Float64Array {
  const dd = d * d, information = new Float64Array(T * d), precision = new Float64Array(T * dd), coupling = new Float64Array(T * dd);
  for (let t = 0; t < T; t++) {
    for (let i = 0; i < d; i++) {
      information[t * d + i] = sampleStandardNormal(rng);
      for (let j = 0; j < d; j++) {
        const s = 0.2 * sampleStandardNormal(rng);
        precision[t * dd + i * d + j] += (i === j ? 4 : 0) + s;
        precision[t * dd + j * d + i] += s;
        if (t > 0) coupling[t * dd + i * d + j] = 0.5 * sampleStandardNormal(rng);
      }
    }
  }
  return GaussMarkovChain(d).toNatural({ information, precision, coupling });
}

const wishartEta = (p: number): VerifyEdge => ({ family: Wishart(p), eta: Wishart(p).toNatural({ df: p + 4, scale: eye(p, 0.5) }) });

test("the chain nodes pass the message-vs-energy verification", (t) => {
  const d = 2, p = 3, T = 5, chain = GaussMarkovChain(d);
  const x: VerifyEdge = { family: chain, eta: randomChain(d, T), count: T, layout: "row" };
  const A = Float64Array.of(0.9, 0.2, -0.1, 0.8), C = Float64Array.from({ length: p * d }, () => sampleStandardNormal(rng));
  const transition = verifyNode(ChainTransitionNode, {
    rows: T,
    edges: { out: x, A: { family: null, values: A }, precision: wishartEta(d), initialMean: { family: null, values: Float64Array.of(0.5, -1) }, initialPrecision: { family: null, values: Float64Array.of(2, 0.3, 0.3, 1) } },
  });
  t.true(transition.passed, JSON.stringify(transition.edges));
  const y = Float64Array.from({ length: T * p }, () => sampleStandardNormal(rng));
  const observation = verifyNode(ChainObservationNode, {
    rows: T,
    edges: { out: { family: MvNormal(p), values: y, count: T, layout: "row" }, state: x, C: { family: null, values: C }, precision: wishartEta(p) },
  });
  t.true(observation.passed, JSON.stringify(observation.edges));
  t.deepEqual(observation.edges.map((e) => e.edge), ["state", "precision"]);
});

/**
 * Simulates a 2-D tracker (4-D state: position, velocity) for T steps; `damping` < 1 makes the
 * velocity mean-reverting, which keeps a long run near the origin (see the VB test).
 */
function simulate(T: number, q: number, r: number, damping = 1) {
  const A = Float64Array.of(1, 0, 1, 0, 0, 1, 0, 1, 0, 0, damping, 0, 0, 0, 0, damping), C = Float64Array.of(1, 0, 0, 0, 0, 1, 0, 0);
  const x = new Float64Array(4), y = new Float64Array(T * 2);
  for (let t = 0; t < T; t++) {
    const nx = new Float64Array(4);
    for (let i = 0; i < 4; i++) {
      let s = 0;
      for (let k = 0; k < 4; k++) s += A[i * 4 + k]! * x[k]!;
      nx[i] = t === 0 ? sampleStandardNormal(rng) : s + Math.sqrt(q) * sampleStandardNormal(rng);
    }
    x.set(nx);
    for (let i = 0; i < 2; i++) y[t * 2 + i] = x[i]! + Math.sqrt(r) * sampleStandardNormal(rng);
  }
  return { A, C, y };
}

function lgssm(A: Float64Array, C: Float64Array, transitionPrecision: Float64Array, observationPrecision: Float64Array | "learn") {
  const m = new ModelBuilder();
  const time = m.plate("time");
  const x = m.random("x", GaussMarkovChain(4), { plate: time });
  m.factor(ChainTransitionNode, { out: x, A, precision: transitionPrecision, initialMean: new Float64Array(4), initialPrecision: eye(4) }, { name: "dynamics" });
  let R: string | Float64Array = observationPrecision === "learn" ? "R" : observationPrecision;
  if (observationPrecision === "learn") {
    R = m.random("R", Wishart(2)).name;
    m.factor(WishartNode, { out: R, df: 3, scale: eye(2, 1) }, { name: "R_prior" });
  }
  m.factor(ChainObservationNode, { out: m.observed("y", MvNormal(2), { plate: time }), state: x, C, precision: R }, { name: "sensor" });
  return m.build();
}

test("known parameters: q(x) is the RTS smoother and the ELBO is the exact log-likelihood", (t) => {
  const T = 200, q = 0.05, r = 0.64;
  const { A, C, y } = simulate(T, q, r);
  const result = cavi(lgssm(A, C, eye(4, 1 / q), eye(2, 1 / r)), { data: { y }, maxIterations: 5 });

  const par: GaussianChainParams = {
    d: 4, p: 2, transition: A, transitionCovariance: eye(4, q), observation: C, observationCovariance: eye(2, r), initialMean: new Float64Array(4), initialCovariance: eye(4),
  };
  const filt = allocateKalmanBuffers(T, 4), smooth = allocateSmootherBuffers(T, 4);
  const logLik = kalmanFilterSeries(par, y, T, filt);
  rtsSmoother(par, T, filt, smooth);

  const fam = GaussMarkovChain(4), post = result.posteriors.x!;
  const { mean, covariance, crossCovariance } = fam.marginals(post.natural);
  const close = (a: Float64Array, b: Float64Array, what: string) => {
    let worst = 0;
    for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!) / Math.max(1, Math.abs(b[i]!)));
    t.true(worst < 1e-9, `${what}: max relative difference ${worst}`);
  };
  close(mean, smooth.smoothedMean, "smoothed means");
  close(covariance, smooth.smoothedCov, "smoothed covariances");
  close(crossCovariance.subarray(16), smooth.crossCov.subarray(16), "lag-one cross-covariances");
  close(post.mean(), smooth.smoothedMean, "Posterior.mean()");
  const elbo = result.elbo[result.elbo.length - 1]!;
  t.true(Math.abs(elbo - logLik) < 1e-9 * Math.abs(logLik), `ELBO ${elbo} vs log-likelihood ${logLik}`);
  t.true(result.converged);
});

test("variational Bayes learns the observation noise precision in the graph, with a monotone ELBO", (t) => {
  // The chain's statistics are raw moments E[x xᵀ]; a state that drifts to |x| ~ 10⁴ would leave
  // only ~10⁻⁸ relative precision in them, so the long run uses mean-reverting velocities.
  const T = 10_000, q = 0.01, r = 0.64;
  const { A, C, y } = simulate(T, q, r, 0.9);
  const result = cavi(lgssm(A, C, eye(4, 1 / q), "learn"), { data: { y }, maxIterations: 200, tolerance: 1e-9 });
  for (let i = 1; i < result.elbo.length; i++) t.true(result.elbo[i]! >= result.elbo[i - 1]! - 1e-9 * Math.abs(result.elbo[i - 1]!), `ELBO fell at sweep ${i}`);
  t.deepEqual(result.diagnostics, []);
  const ER = result.posteriors.R!.mean();
  const cov = spdInverseDense(ER, 2);
  t.log(`learnt noise variances ${cov[0]!.toFixed(4)}, ${cov[3]!.toFixed(4)} (true ${r}); ${result.iterations} sweeps`);
  t.true(Math.abs(1 / ER[0]! - r) / r < 0.1 && Math.abs(1 / ER[3]! - r) / r < 0.1, `precision diagonal ${ER[0]}, ${ER[3]} vs ${1 / r}`);
  t.true(Math.abs(ER[1]!) < 0.1 * ER[0]!, "no spurious correlation");
});
