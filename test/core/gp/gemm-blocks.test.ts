/**
 * The GEMM-backed GP blocks at sizes where the blocked paths run (more than 16 inducing inputs, 8
 * input columns so squared distances go through |u|² + |w|² − 2u·w): stationary kernel blocks,
 * their hyperparameter and input contractions against the direct formulas written here (including
 * inputs far from the origin and near-duplicates, where the identity cancels), and the exact
 * answers of the sparse GP (collapsed bound with Z = X equals the exact log marginal likelihood;
 * one natural-gradient pass at ρ = 1 reaches the closed-form q, whose ELBO is the collapsed bound).
 */
import test from "ava";
import {
  type Kernel, squaredExponential, matern12, matern32, matern52, exactGp, sparseGp, gaussianLikelihood,
  Generator, sampleNormal,
} from "@vireo/core";

/** f(r²) and df/dr² of each profile, written out independently of core. */
const profiles: Record<string, [(r2: number) => number, (r2: number) => number]> = {
  squaredExponential: [(r2) => Math.exp(-0.5 * r2), (r2) => -0.5 * Math.exp(-0.5 * r2)],
  matern12: [(r2) => Math.exp(-Math.sqrt(r2)), (r2) => (r2 > 0 ? -Math.exp(-Math.sqrt(r2)) / (2 * Math.sqrt(r2)) : 0)],
  matern32: [(r2) => (1 + Math.sqrt(3 * r2)) * Math.exp(-Math.sqrt(3 * r2)), (r2) => -1.5 * Math.exp(-Math.sqrt(3 * r2))],
  matern52: [(r2) => (1 + Math.sqrt(5 * r2) + (5 / 3) * r2) * Math.exp(-Math.sqrt(5 * r2)), (r2) => (-5 / 6) * (1 + Math.sqrt(5 * r2)) * Math.exp(-Math.sqrt(5 * r2))],
};
const makers = { squaredExponential, matern12, matern32, matern52 };

/** Rows around `offset` in every column; every third row of X2 a near-duplicate (1e-7 away) of a row of X1. */
function inputs(n1: number, n2: number, d: number, offset: number, seed: number): { X1: Float64Array; X2: Float64Array } {
  const rng = new Generator(seed);
  const X1 = Float64Array.from({ length: n1 * d }, () => offset + 3 * rng.uniform());
  const X2 = Float64Array.from({ length: n2 * d }, () => offset + 3 * rng.uniform());
  for (let j = 0; j < n2; j += 3) for (let c = 0; c < d; c++) X2[j * d + c] = X1[(j % n1) * d + c]! + 1e-7 * (rng.uniform() - 0.5);
  return { X1, X2 };
}

function lengthscales(d: number, ard: boolean): number | number[] {
  return ard ? Array.from({ length: d }, (_, c) => 0.6 + 0.25 * c) : 1.3;
}

for (const name of Object.keys(profiles) as (keyof typeof makers)[]) {
  for (const d of [1, 3, 8]) {
    for (const offset of [0, 1000]) {
      test(`${name} ${d}-D (inputs near ${offset}): block, hyperparameter and input contractions equal the direct formulas`, (t) => {
        const [f, df] = profiles[name]!;
        const ard = d > 1, ls = lengthscales(d, ard), variance = 1.7;
        const k = makers[name]({ dim: d, variance, lengthscale: ls });
        const ell = (c: number) => (typeof ls === "number" ? ls : ls[c]!);
        const n1 = 23, n2 = 37, { X1, X2 } = inputs(n1, n2, d, offset, 5 + d);
        const G = Float64Array.from({ length: n1 * n2 }, (_, i) => Math.sin(0.7 * i));
        const K = new Float64Array(n1 * n2);
        k.matrix(X1, n1, X2, n2, false, K);
        const grad = new Float64Array(k.size), gX = new Float64Array(n1 * d);
        k.gradient(X1, n1, X2, n2, false, G, grad, 0);
        k.inputGradient(X1, n1, X2, n2, G, gX);
        const refGrad = new Float64Array(k.size), refGX = new Float64Array(n1 * d);
        let worstK = 0;
        for (let i = 0; i < n1; i++) for (let j = 0; j < n2; j++) {
          let r2 = 0;
          for (let c = 0; c < d; c++) r2 += ((X1[i * d + c]! - X2[j * d + c]!) / ell(c)) ** 2;
          const want = variance * f(r2), g = G[i * n2 + j]!;
          worstK = Math.max(worstK, Math.abs(K[i * n2 + j]! - want));
          refGrad[0] += g * f(r2);
          for (let c = 0; c < d; c++) {
            const delta = X1[i * d + c]! - X2[j * d + c]!, l = ell(c);
            // ∂r²/∂ℓ_c = −2 δ_c²/ℓ_c³; ∂r²/∂x_c = 2 δ_c/ℓ_c².
            refGrad[ard ? 1 + c : 1] += g * variance * df(r2) * (-2 * delta * delta) / (l * l * l);
            refGX[i * d + c] += g * variance * df(r2) * (2 * delta) / (l * l);
          }
        }
        t.true(worstK < 1e-12, `K: max error ${worstK}`);
        for (let p = 0; p < k.size; p++) t.true(Math.abs(grad[p]! - refGrad[p]!) <= 1e-9 * (1 + Math.abs(refGrad[p]!)), `${k.parameterNames[p]}: ${grad[p]} vs ${refGrad[p]}`);
        for (let p = 0; p < n1 * d; p++) t.true(Math.abs(gX[p]! - refGX[p]!) <= 1e-9 * (1 + Math.abs(refGX[p]!)), `x[${p}]: ${gX[p]} vs ${refGX[p]}`);
      });
    }
  }
}

function data(n: number, d: number, seed: number): { x: Float64Array; y: Float64Array } {
  const rng = new Generator(seed), x = new Float64Array(n * d), y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let c = 0; c < d; c++) {
      x[i * d + c] = 4 * rng.uniform();
      s += Math.sin(x[i * d + c]!);
    }
    y[i] = s / Math.sqrt(d) + sampleNormal(rng, 0, 0.2);
  }
  return { x, y };
}

const models: [string, (d: number) => Kernel][] = [
  ["SE ARD", (d) => squaredExponential({ dim: d, variance: 1.2, lengthscale: Array.from({ length: d }, (_, c) => 1 + 0.2 * c) })],
  ["Matérn52", (d) => matern52({ dim: d, variance: 0.9, lengthscale: 1.7 })],
];

for (const [name, make] of models) {
  for (const whiten of [true, false]) {
    test(`${name} 8-D, whiten=${whiten}, N = M = 60: the collapsed bound with Z = X is the exact log marginal likelihood (value, gradient, predictive)`, (t) => {
      const d = 8, { x, y } = data(60, d, 3);
      const ex = exactGp({ kernel: make(d), likelihood: gaussianLikelihood(0.05), x, y });
      const sp = sparseGp({ kernel: make(d), likelihood: gaussianLikelihood(0.05), inducing: x, whiten, blockSize: 25 });
      const gE = new Float64Array(ex.layout.size), gS = new Float64Array(sp.layout.size);
      const lml = ex.logMarginalLikelihood(gE);
      const bound = sp.collapsedBound(sp.inputs(x), y, gS);
      t.is(bound.jitter, 0);
      t.true(Math.abs(bound.elbo - lml) < 1e-8, `bound ${bound.elbo} vs exact ${lml}`);
      for (let i = 0; i < ex.layout.size; i++) t.true(Math.abs(gS[i]! - gE[i]!) / (1 + Math.abs(gE[i]!)) < 1e-6, `d/d${i}: sparse ${gS[i]} vs exact ${gE[i]}`);
      const xs = data(7, d, 9).x, pe = ex.predict(xs), ps = sp.predict(xs);
      for (let j = 0; j < 7; j++) {
        t.true(Math.abs(pe.mean[j]! - ps.mean[j]!) < 1e-8, `mean ${j}: ${ps.mean[j]} vs ${pe.mean[j]}`);
        t.true(Math.abs(pe.variance[j]! - ps.variance[j]!) < 1e-8, `variance ${j}: ${ps.variance[j]} vs ${pe.variance[j]}`);
      }
    });

    test(`${name} 8-D, whiten=${whiten}, M = 40, N = 300: one natural-gradient pass at ρ = 1 gives the closed-form q, whose ELBO is the collapsed bound`, (t) => {
      const d = 8, { x, y } = data(300, d, 4), Z = data(40, d, 5).x;
      const sp = sparseGp({ kernel: make(d), likelihood: gaussianLikelihood(0.05), inducing: Z, whiten, jitter: 1e-8, blockSize: 128 });
      const X = sp.inputs(x);
      const elbo = sp.optimiseQ(X, y);
      const bound = sp.collapsedBound(X, y).elbo;
      t.true(Math.abs(elbo - bound) < 1e-8 * (1 + Math.abs(bound)), `ELBO ${elbo} vs collapsed bound ${bound}`);
    });
  }
}

test("a contraction right after the block reuses its values, and inputs or hyperparameters changed in place are noticed", (t) => {
  for (const [name, make] of [["SE ARD 8-D", () => squaredExponential({ dim: 8, variance: 1.3, lengthscale: [1, 2, 1.5, 0.8, 1.1, 1.9, 1.2, 0.7] })], ["Matérn32 1-D", () => matern32({ variance: 0.7, lengthscale: 0.9 })]] as [string, () => Kernel][]) {
    const d = make().dim, n1 = 40, n2 = 50, { X1, X2 } = inputs(n1, n2, d, 0, 17);
    const G = Float64Array.from({ length: n1 * n2 }, (_, i) => Math.cos(0.3 * i));
    const fresh = (k: Kernel): Float64Array => {
      const g = new Float64Array(k.size);
      k.gradient(X1, n1, X2, n2, false, G, g, 0);
      return g;
    };
    const cached = make(), K = new Float64Array(n1 * n2);
    cached.matrix(X1, n1, X2, n2, false, K);
    t.deepEqual(Array.from(fresh(cached)), Array.from(fresh(make())), `${name}: after matrix`);
    // Change an input in place, then a hyperparameter: the contraction follows both.
    cached.matrix(X1, n1, X2, n2, false, K);
    X2[3] = X2[3]! + 0.25;
    const reference = make();
    t.deepEqual(Array.from(fresh(cached)), Array.from(fresh(reference)), `${name}: input changed in place`);
    cached.matrix(X1, n1, X2, n2, false, K);
    const p = new Float64Array(cached.size);
    cached.getParams(p, 0);
    p[0] = 2.5;
    cached.setParams(p, 0);
    reference.setParams(p, 0);
    t.deepEqual(Array.from(fresh(cached)), Array.from(fresh(reference)), `${name}: variance changed`);
  }
});
