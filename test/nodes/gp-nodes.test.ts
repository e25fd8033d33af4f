/**
 * The sparse GP in the model graph: GpPrior and SparseGp nodes pass verifyNode (messages equal the
 * gradients of E_q[log f]); CAVI on the graph gives the collapsed bound's optimal q(u) and its ELBO
 * equals the collapsed bound (known noise); svi() over the graph with ρ_t = 1/t lands on the same
 * q(u) after one epoch; a Gamma noise precision is learnt by VMP.
 */
import test from "ava";
import { lastValueFrom, toArray } from "rxjs";
import { Generator, sampleNormal, squaredExponential, sparseGp, gaussianLikelihood, MvNormal, Normal, Gamma, isVireoError } from "@vireo/core";
import { gpPriorNode, sparseGpNode, verifyNode, GammaNode } from "@vireo/nodes";
import { ModelBuilder, cavi, fromArrays, svi } from "@vireo/runtime";

const rng = new Generator(5);
const N = 48, x = Float64Array.from({ length: N }, () => -3 + 6 * rng.uniform());
const y = Float64Array.from(x, (v) => Math.sin(1.7 * v) + sampleNormal(rng, 0, 0.2));
const Z = [-2.6, -1.5, -0.5, 0.5, 1.5, 2.6], M = Z.length, noise = 0.04;
const kernel = () => squaredExponential({ variance: 1.1, lengthscale: 0.8 });

function graphModel(precision: number | "learnt") {
  const m = new ModelBuilder(), rows = m.plate("rows");
  const u = m.random("u", MvNormal(M));
  m.factor(gpPriorNode({ kernel: kernel(), inducing: Z }), { out: u });
  const tau = precision === "learnt" ? m.random("tau", Gamma) : precision;
  if (typeof tau !== "number") m.factor(GammaNode, { out: tau, shape: 1, rate: 0.01 });
  m.factor(sparseGpNode({ kernel: kernel(), inducing: Z }), { out: m.observed("y", Normal, { plate: rows }), u, x: m.input("x", { plate: rows, size: 1 }), precision: tau });
  return m.build();
}

function reference() {
  const sp = sparseGp({ kernel: kernel(), likelihood: gaussianLikelihood(noise), inducing: Z, whiten: false });
  const bound = sp.collapsedBound(sp.inputs(x), y, new Float64Array(sp.layout.size)).elbo;
  return { bound, q: sp.inducingPosterior() };
}

test("GpPrior and SparseGp pass verifyNode", (t) => {
  const u = MvNormal(M), cov = new Float64Array(M * M);
  for (let i = 0; i < M; i++) for (let j = 0; j < M; j++) cov[i * M + j] = (i === j ? 0.5 : 0) + 0.1 * Math.exp(-Math.abs(i - j));
  const eta = u.toNatural({ mean: Float64Array.from({ length: M }, (_, i) => Math.sin(i)), covariance: cov });
  const prior = verifyNode(gpPriorNode({ kernel: kernel(), inducing: Z }), { rows: 1, edges: { out: { family: u, eta } } });
  t.true(prior.passed, JSON.stringify(prior.edges));
  const n = 5, yEta = new Float64Array(2 * n);
  for (let i = 0; i < n; i++) yEta.set(Normal.toNatural({ mean: 0.3 * i, variance: 0.2 + 0.1 * i }), 2 * i);
  const r = verifyNode(sparseGpNode({ kernel: kernel(), inducing: Z }), {
    rows: n,
    edges: {
      out: { family: Normal, eta: yEta, count: n, layout: "row" },
      u: { family: u, eta },
      x: { family: null, values: Float64Array.of(-2, -0.7, 0.1, 1.3, 2.9), count: n, layout: "row" },
      precision: { family: Gamma, eta: Gamma.toNatural({ shape: 3, rate: 2 }) },
    },
  });
  t.true(r.passed, JSON.stringify(r.edges));
  t.deepEqual(r.edges.map((e) => e.edge).sort(), ["out", "precision", "u"]);
});

test("CAVI on the graph: q(u) is the collapsed bound's optimum and the ELBO is the collapsed bound", (t) => {
  const res = cavi(graphModel(1 / noise), { data: { x, y } });
  const ref = reference(), q = res.posteriors.u!.as(MvNormal(M)).params();
  t.true(Math.abs(res.elbo.at(-1)! - ref.bound) < 1e-8, `graph ELBO ${res.elbo.at(-1)} vs collapsed bound ${ref.bound}`);
  for (let i = 0; i < M; i++) t.true(Math.abs(q.mean[i]! - ref.q.mean[i]!) < 1e-8);
  for (let i = 0; i < M * M; i++) t.true(Math.abs(q.covariance[i]! - ref.q.covariance[i]!) < 1e-8);
});

test("svi() over the graph: one epoch with ρ_t = 1/t and N/|B| scaling reaches the same q(u)", async (t) => {
  const snaps = await lastValueFrom(fromArrays({ x, y }, { batchSize: 12 }).pipe(svi(graphModel(1 / noise), { totalRows: N, tau: 0, kappa: 1 }), toArray()));
  t.is(snaps.length, 4);
  const ref = reference(), mean = snaps.at(-1)!.posteriors.u!.mean;
  for (let i = 0; i < M; i++) t.true(Math.abs(mean[i]! - ref.q.mean[i]!) < 1e-8, `mean[${i}] ${mean[i]} vs ${ref.q.mean[i]}`);
});

test("a Gamma noise precision is learnt by VMP alongside q(u)", (t) => {
  const res = cavi(graphModel("learnt"), { data: { x, y }, maxIterations: 500 });
  const tau = res.posteriors.tau!.as(Gamma).params();
  const noiseVar = tau.rate / (tau.shape - 1);
  t.true(noiseVar > 0.02 && noiseVar < 0.08, `E[1/τ] = ${noiseVar}`);
  for (let i = 1; i < res.elbo.length; i++) t.true(res.elbo[i]! >= res.elbo[i - 1]! - 1e-9);
});

test("a u of the wrong dimension is refused at build time, naming the node and edge", (t) => {
  const m = new ModelBuilder();
  const u = m.random("u", MvNormal(M + 1));
  const e = t.throws(() => {
    m.factor(gpPriorNode({ kernel: kernel(), inducing: Z }), { out: u });
    m.build();
  });
  t.true(isVireoError(e) && /MvNormal\(6\)/.test(e.message) && /'out'/.test(e.message), String(e));
});
