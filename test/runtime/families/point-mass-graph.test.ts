/**
 * A point-mass q in the model graph: x_n ~ N(μ, 1/τ), μ ~ N(0, 1/0.01) closed-form, τ ~ Gamma(2, 2)
 * declared { q: pointMass() } (through its log bijector). The engine alternates the closed-form
 * update of q(μ) with gradient steps on the point log τ̂, i.e. variational EM for τ. Its fixed point
 * is computed by hand in the test: q(μ) = N(m, v) with precision 0.01 + Nτ̂, m = τ̂Σx/precision, and
 * τ̂ = α/β (the mode of the density of log τ) with α = 2 + N/2, β = 2 + ½(Σ(x − m)² + Nv).
 */
import test from "ava";
import { Normal, Gamma, Generator, sampleStandardNormal, pointMass, adam, exponentialDecay, flowQ, planar, mixtureGaussian } from "@vireo/core";
import { NormalNode, GammaNode } from "@vireo/nodes";
import { ModelBuilder, compile, initialise, bindData, CaviEngine, type RandomOptions } from "@vireo/runtime";

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

test("graph: flows and mixtures as a variable's q are refused with a clear error (use createBbvi)", (t) => {
  for (const q of [flowQ(1, [planar()]), mixtureGaussian(1, 2)]) {
    const model = normalGamma({ q });
    t.throws(() => compile(model, bindData(model, { x: new Float64Array([1, 2, 3]) })), { message: /no closed-form entropy.*createBbvi/ });
  }
});
