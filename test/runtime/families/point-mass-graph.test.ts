/**
 * A point-mass q in the model graph: x_n ~ N(μ, 1/τ), μ ~ N(0, 1/0.01) closed-form, τ ~ Gamma(2, 2)
 * declared { q: pointMass() } (through its log bijector). The engine alternates the closed-form
 * update of q(μ) with the closed-form mode of the point log τ̂ (its neighbours are conjugate), i.e.
 * variational EM for τ. Its fixed point
 * is computed by hand in the test: q(μ) = N(m, v) with precision 0.01 + Nτ̂, m = τ̂Σx/precision, and
 * τ̂ = α/β (the mode of the density of log τ) with α = 2 + N/2, β = 2 + ½(Σ(x − m)² + Nv).
 */
import test from "ava";
import { Normal, Gamma, GammaFamily, Generator, sampleStandardNormal, pointMass, adam, exponentialDecay, flowQ, planar, mixtureGaussian } from "@vireo/core";
import { NormalNode, GammaNode } from "@vireo/nodes";
import { ModelBuilder, cavi, compile, initialise, bindData, CaviEngine, type RandomOptions } from "@vireo/runtime";

function normalGamma(tauOptions: RandomOptions) {
  const m = new ModelBuilder();
  const rows = m.plate("rows");
  const mu = m.random("mu", Normal);
  m.factor(NormalNode, { out: mu, mean: 0, precision: 0.01 });
  const tau = m.random("tau", Gamma, tauOptions);
  m.factor(GammaNode, { out: tau, shape: 2, rate: 2 });
  m.factor(NormalNode, { out: m.observed("x", Normal, { plate: rows }), mean: mu, precision: tau });
  return m.build();
}

test("graph: τ with a point-mass q reaches the hand-computed variational-EM fixed point", (t) => {
  const rng = new Generator(4), N = 50, x = new Float64Array(N);
  for (let n = 0; n < N; n++) x[n] = 1.5 + 0.5 * sampleStandardNormal(rng);
  let tauHat = 1, m = 0, v = 1;
  for (let it = 0; it < 1000; it++) {
    const prec = 0.01 + N * tauHat;
    m = (tauHat * x.reduce((a, b) => a + b, 0)) / prec;
    v = 1 / prec;
    let ss = 0;
    for (const xi of x) ss += (xi - m) ** 2;
    tauHat = (2 + N / 2) / (2 + 0.5 * (ss + N * v));
  }
  const model = normalGamma({ q: pointMass() });
  const state = compile(model, bindData(model, { x }), undefined, { samples: 2, optimizer: adam({ lr: 0.05 }), schedule: exponentialDecay(0.05, 0.001, 3000) });
  initialise(state, new Generator(1));
  const engine = new CaviEngine(state);
  for (let it = 0; it < 3000; it++) engine.sweep();
  const tauVar = state.variables.get("tau")!, muVar = state.variables.get("mu")!;
  t.is(tauVar.gradient!.fit.q.name, "PointMass(1)");
  const fitted = Math.exp(tauVar.gradient!.fit.lambda[0]!);
  t.true(Math.abs(fitted / tauHat - 1) < 1e-6, `τ̂ ${fitted} vs hand-written fixed point ${tauHat}`);
  t.true(Math.abs(muVar.stats[0]! - m) < 1e-6 * Math.sqrt(v), `E[μ] ${muVar.stats[0]} vs ${m}`);
});

test("graph: a mixture q (one mixture over the whole value) is refused for a plated variable, with the fix", (t) => {
  const m = new ModelBuilder();
  const rows = m.plate("rows");
  const theta = m.random("theta", Normal, { plate: rows, q: mixtureGaussian({ components: 2 }) });
  m.factor(NormalNode, { out: theta, mean: 0, precision: 1 });
  m.factor(NormalNode, { out: m.observed("x", Normal, { plate: rows }), mean: theta, precision: 1 });
  const model = m.build();
  t.throws(() => compile(model, bindData(model, { x: new Float64Array([1, 2, 3]) })), { message: /'theta' has 3 instances.*factorises over rows/ });
});

test("graph: τ with a planar-flow q reaches the free-form optimum that closed-form CAVI gives (Gamma q(τ))", (t) => {
  const rng = new Generator(5), N = 30, x = new Float64Array(N);
  for (let n = 0; n < N; n++) x[n] = 1.5 + 0.5 * sampleStandardNormal(rng);
  const exact = cavi(normalGamma({}), { data: { x }, tolerance: 1e-14 });
  const { shape: alpha, rate: beta } = new GammaFamily().fromNatural(exact.posteriors.tau!.instance()) as { shape: number; rate: number };
  const model = normalGamma({ q: flowQ([planar(), planar(), planar()]) });
  const state = compile(model, bindData(model, { x }), undefined, { samples: 8, optimizer: adam({ lr: 0.02 }), schedule: exponentialDecay(0.02, 0.05, 3000) });
  initialise(state, new Generator(2));
  const engine = new CaviEngine(state);
  const fit = state.variables.get("tau")!.gradient!.fit;
  const avg = new Float64Array(fit.lambda.length);
  for (let it = 0; it < 3000; it++) {
    engine.sweep();
    if (it >= 1500) for (let j = 0; j < avg.length; j++) avg[j] += (fit.lambda[j]! - avg[j]!) / (it - 1499);
  }
  fit.lambda.set(avg);
  t.true(fit.q.name.startsWith("Flow(1; Planar"), fit.q.name);
  // E_q[τ] and Var_q[τ] by 20 000 draws of the flow (log bijector: τ = e^z).
  const z = new Float64Array(1), draw = new Generator(9), n = 20000;
  let m1 = 0, m2 = 0;
  for (let i = 0; i < n; i++) {
    fit.q.sample(fit.lambda, draw, z);
    const tau = Math.exp(z[0]!);
    m1 += tau / n;
    m2 += (tau * tau) / n;
  }
  const sd = Math.sqrt(alpha) / beta, se = Math.sqrt(m2 - m1 * m1) / Math.sqrt(n);
  t.log(`E[τ] ${m1} vs ${alpha / beta}; sd ${Math.sqrt(m2 - m1 * m1)} vs ${sd}`);
  t.true(Math.abs(m1 - alpha / beta) < 0.05 * sd + 5 * se, `E[τ] ${m1} vs α/β ${alpha / beta} (sd ${sd})`);
  t.true(Math.abs(Math.sqrt(m2 - m1 * m1) / sd - 1) < 0.05, `sd[τ] ${Math.sqrt(m2 - m1 * m1)} vs ${sd}`);
});
