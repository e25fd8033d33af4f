/**
 * MAP of conjugate models: a point-mass q next to conjugate factors takes the closed-form mode of
 * the conjugate posterior (the exact posterior computed by closed-form CAVI in the same test).
 * Through the identity bijector that is the mode of x; through the family's own bijector the mode
 * of the density of z = T⁻¹(x), whose Jacobian the family folds into η, checked here
 * independently: the log density of z (the bijector's own forwardValue log-det) is stationary
 * there by central finite differences.
 */
import test from "ava";
import {
  Beta, Bernoulli, Dirichlet, Categorical, Gamma, Poisson, MvNormal, Wishart, Generator, sampleStandardNormal,
  pointMass, identityTransform, logitTransform, stickBreaking, logTransform, VireoError, type Transform,
} from "@vireo/core";
import { BetaNode, BernoulliNode, DirichletNode, CategoricalNode, GammaNode, PoissonNode, MvNormalNode, WishartNode } from "@vireo/nodes";
import { ModelBuilder, cavi, type RandomOptions } from "@vireo/runtime";

/** Central-difference gradient of f at z. */
function gradient(f: (z: Float64Array) => number, z: Float64Array, h = 1e-5): number[] {
  return Array.from(z, (_, i) => {
    const a = z.slice(), b = z.slice();
    a[i] += h; b[i] -= h;
    return (f(a) - f(b)) / (2 * h);
  });
}

/** log of h(x) exp⟨η, T(x)⟩ |J(z)| at x = T(z) (h constant): the density of z up to a constant. */
function logDensityOfZ(bijector: Transform, eta: Float64Array, stats: (x: Float64Array) => Float64Array, size: number) {
  return (z: Float64Array) => {
    const x = new Float64Array(size), ld = bijector.forwardValue(z, x), t = stats(x);
    let s = ld;
    for (let i = 0; i < t.length; i++) s += eta[i]! * t[i]!;
    return s;
  };
}

function betaBernoulli(options: RandomOptions) {
  const m = new ModelBuilder();
  const p = m.random("p", Beta, options);
  m.factor(BetaNode, { out: p, a: 3, b: 5 });
  m.factor(BernoulliNode, { out: m.observed("y", Bernoulli, { plate: m.plate("rows") }), p });
  return m.build();
}

test("MAP, Beta–Bernoulli: (α−1)/(α+β−2) in x, α/(α+β) through the logit (stationary density of z)", (t) => {
  const y = new Float64Array([1, 0, 1, 1, 0, 1, 1, 1, 0, 1, 1, 0]);
  const exact = cavi(betaBernoulli({}), { data: { y } }).posteriors.p!.as(Beta).params();
  const { alpha: a, beta: b } = exact;
  const inX = cavi(betaBernoulli({ q: pointMass(), bijector: identityTransform }), { data: { y } });
  t.true(Math.abs(inX.posteriors.p!.mean()[0]! - (a - 1) / (a + b - 2)) < 1e-14, `${inX.posteriors.p!.mean()[0]} vs ${(a - 1) / (a + b - 2)}`);
  t.true(inX.converged && inX.iterations <= 3, `closed form: ${inX.iterations} sweeps`);
  const inZ = cavi(betaBernoulli({ q: pointMass() }), { data: { y } });
  const x = inZ.posteriors.p!.mean()[0]!;
  t.true(Math.abs(x - a / (a + b)) < 1e-14, `${x} vs ${a / (a + b)}`);
  const z = new Float64Array([Math.log(x / (1 - x))]);
  const g = gradient(logDensityOfZ(logitTransform, new Float64Array([a - 1, b - 1]), (v) => Beta.sufficientStats(v[0]!), 1), z);
  t.true(Math.abs(g[0]!) < 1e-7, `d/dz log q(z) = ${g[0]} at the mode`);
});

function dirichletCategorical(options: RandomOptions) {
  const m = new ModelBuilder();
  const pi = m.random("pi", Dirichlet(4), options);
  m.factor(DirichletNode, { out: pi, alpha: new Float64Array([2, 1.5, 3, 1]) });
  m.factor(CategoricalNode, { out: m.observed("c", Categorical(4), { plate: m.plate("rows") }), p: pi });
  return m.build();
}

test("MAP, Dirichlet–Categorical: (α−1)/Σ(α−1) in x, α/Σα through stick-breaking (stationary density of z)", (t) => {
  const c = new Float64Array([0, 2, 2, 1, 0, 2, 3, 2, 1, 0, 2]);
  const alpha = cavi(dirichletCategorical({}), { data: { c } }).posteriors.pi!.as(Dirichlet(4)).params().alpha;
  const sum = alpha.reduce((s, v) => s + v, 0);
  const inX = cavi(dirichletCategorical({ q: pointMass(), bijector: identityTransform }), { data: { c } }).posteriors.pi!.mean();
  const inZ = cavi(dirichletCategorical({ q: pointMass() }), { data: { c } }).posteriors.pi!.mean();
  for (let k = 0; k < 4; k++) {
    t.true(Math.abs(inX[k]! - (alpha[k]! - 1) / (sum - 4)) < 1e-14, `x-mode ${k}`);
    t.true(Math.abs(inZ[k]! - alpha[k]! / sum) < 1e-14, `z-mode ${k}: ${inZ[k]} vs ${alpha[k]! / sum}`);
  }
  const z = new Float64Array(3);
  stickBreaking.inverseValue!(inZ, z);
  const g = gradient(logDensityOfZ(stickBreaking, Float64Array.from(alpha, (v) => v - 1), (v) => Dirichlet(4).sufficientStats(v), 4), z);
  t.true(g.every((d) => Math.abs(d) < 1e-6), `gradient of the density of z at the mode: ${g}`);
});

test("MAP, Gamma–Poisson: (a−1)/b in x, a/b through the log; MvNormal mean; Wishart (ν−d−1)V in X", (t) => {
  const gp = (options: RandomOptions) => {
    const m = new ModelBuilder();
    const rate = m.random("rate", Gamma, options);
    m.factor(GammaNode, { out: rate, shape: 2, rate: 0.5 });
    m.factor(PoissonNode, { out: m.observed("k", Poisson, { plate: m.plate("rows") }), rate });
    return m.build();
  };
  const k = new Float64Array([3, 5, 2, 4, 6, 1]);
  const { shape: a, rate: b } = cavi(gp({}), { data: { k } }).posteriors.rate!.as(Gamma).params();
  t.true(Math.abs(cavi(gp({ q: pointMass(), bijector: identityTransform }), { data: { k } }).posteriors.rate!.mean()[0]! - (a - 1) / b) < 1e-13);
  const inZ = cavi(gp({ q: pointMass() }), { data: { k } }).posteriors.rate!.mean()[0]!;
  t.true(Math.abs(inZ - a / b) < 1e-13 * (a / b));
  const g = gradient(logDensityOfZ(logTransform, new Float64Array([a - 1, -b]), (v) => Gamma.sufficientStats(v[0]!), 1), new Float64Array([Math.log(inZ)]));
  t.true(Math.abs(g[0]!) < 1e-6, `d/dz at the mode: ${g[0]}`);

  // A mean with a known precision matrix, and a precision matrix around a known mean.
  const d = 2, rng = new Generator(3), N = 40, x = new Float64Array(N * d);
  for (let i = 0; i < x.length; i++) x[i] = (i % 2 ? -1 : 2) + sampleStandardNormal(rng);
  const mean = (options: RandomOptions) => {
    const m = new ModelBuilder();
    const mu = m.random("mu", MvNormal(d), options);
    m.factor(MvNormalNode, { out: mu, mean: new Float64Array(d), precision: new Float64Array([0.5, 0.1, 0.1, 0.5]) });
    m.factor(MvNormalNode, { out: m.observed("x", MvNormal(d), { plate: m.plate("rows") }), mean: mu, precision: new Float64Array([2, 0.5, 0.5, 1]) });
    return m.build();
  };
  const exactMean = cavi(mean({}), { data: { x } }).posteriors.mu!.mean();
  const mapMean = cavi(mean({ q: pointMass() }), { data: { x } }).posteriors.mu!.mean();
  for (let i = 0; i < d; i++) t.true(Math.abs(mapMean[i]! - exactMean[i]!) < 1e-13, `μ̂_${i}`);
  const wish = (options: RandomOptions) => {
    const m = new ModelBuilder();
    const L = m.random("L", Wishart(d), options);
    m.factor(WishartNode, { out: L, df: 4, scale: new Float64Array([1, 0, 0, 1]) });
    m.factor(MvNormalNode, { out: m.observed("x", MvNormal(d), { plate: m.plate("rows") }), mean: new Float64Array([2, -1]), precision: L });
    return m.build();
  };
  const { df, scale } = cavi(wish({}), { data: { x } }).posteriors.L!.as(Wishart(d)).params();
  const mode = cavi(wish({ q: pointMass({ value: [1, 0, 0, 1] }), bijector: identityTransform }), { data: { x } }).posteriors.L!.mean();
  for (let i = 0; i < d * d; i++) t.true(Math.abs(mode[i]! - (df - d - 1) * scale[i]!) < 1e-12 * Math.abs(df * scale[i]!) + 1e-14, `Λ̂[${i}] ${mode[i]} vs ${(df - d - 1) * scale[i]!}`);
});

test("MAP: a posterior with no interior mode is refused with the variable named", (t) => {
  // Beta(½, ½) prior and one success: Beta(1.5, 0.5), whose density in x grows without bound at 1.
  const m = new ModelBuilder();
  const p = m.random("p", Beta, { q: pointMass({ value: [0.5] }), bijector: identityTransform });
  m.factor(BetaNode, { out: p, a: 0.5, b: 0.5 });
  m.factor(BernoulliNode, { out: m.observed("y", Bernoulli, { plate: m.plate("rows") }), p });
  const e = t.throws(() => cavi(m.build(), { data: { y: new Float64Array([1]) } }), { instanceOf: VireoError });
  t.regex(e!.message, /'p' \(point mass, Beta\).*no interior mode/);
});
