/**
 * Linear Gaussian state-space models through the graph (the replacement of the old dedicated
 * VB-LGSSM engine): ChainInitial + ChainDynamics + ChainEmission over a GaussMarkovChain block.
 *  - Known parameters: q(x) is the RTS smoother of a textbook Kalman filter and the ELBO is the
 *    exact log evidence (to 1e-9).
 *  - Learnt noise precisions (Gamma isotropic, Wishart full) with a monotone ELBO.
 *  - Learnt A and C (Beal 2003, ch. 5): recovered up to a similarity transform (eigenvalues of A and
 *    the output autocovariances C Aᵏ Σ Cᵀ, which every similarity leaves unchanged).
 */
import test from "ava";
import { GaussMarkovChain, MvNormal, Wishart, Gamma, Generator, sampleStandardNormal, spdInverseDense, kalmanFilterSeries, allocateKalmanBuffers, type ExponentialFamily } from "@vireo/core";
import { ChainInitialNode, ChainDynamicsNode, ChainEmissionNode, MvNormalNode, WishartNode, GammaNode, priorBeforeFirst, observationMatrixStart } from "@vireo/nodes";
import { ModelBuilder, cavi, type VariableRef } from "@vireo/runtime";
import { constantVelocity, simulateCv, simulateLgssm, worstDrop } from "./models.js";
import { referenceKalman, mat } from "../../core/chain/reference.js";

const eye = (n: number, s = 1) => Float64Array.from({ length: n * n }, (_, i) => (i % (n + 1) === 0 ? s : 0));
const f64 = (a: ArrayLike<number>) => Float64Array.from(a);

type Param = { known: Float64Array | number; family: ExponentialFamily } | { learn: (m: ModelBuilder, name: string) => VariableRef };

/** A constant (with its family) or a learnt variable with its prior, for one edge. */
function bindParam(m: ModelBuilder, name: string, p: Param): VariableRef {
  return "known" in p ? m.constant(name, p.known, p.family) : p.learn(m, name);
}

const gammaPrior = (shape: number, rate: number): Param => ({
  learn: (m, name) => {
    const v = m.random(name, Gamma);
    m.factor(GammaNode, { out: v, shape, rate }, { name: `${name}_prior` });
    return v;
  },
});
const wishartPrior = (n: number, df: number, scale: Float64Array): Param => ({
  learn: (m, name) => {
    const v = m.random(name, Wishart(n));
    m.factor(WishartNode, { out: v, df, scale }, { name: `${name}_prior` });
    return v;
  },
});
/** A Gaussian prior N(0, variance·I) on the entries of an r×c matrix (vec, row-major). */
const matrixPrior = (n: number, variance: number): Param => ({
  learn: (m, name) => {
    const v = m.random(name, MvNormal(n));
    m.factor(MvNormalNode, { out: v, mean: new Float64Array(n), precision: eye(n, 1 / variance) }, { name: `${name}_prior` });
    return v;
  },
});

function stateSpace(d: number, p: number, spec: { m0: Float64Array; P0precision: Float64Array; A: Param; Q: Param; C: Param; R: Param }) {
  const m = new ModelBuilder(), time = m.plate("time");
  const x = m.random("x", GaussMarkovChain(d), { plate: time });
  m.factor(ChainInitialNode, { out: x, mean: spec.m0, precision: m.constant("P0precision", spec.P0precision, Wishart(d)) }, { name: "initial" });
  m.factor(ChainDynamicsNode, { out: x, A: bindParam(m, "A", spec.A), precision: bindParam(m, "Q", spec.Q) }, { name: "dynamics" });
  m.factor(ChainEmissionNode, { out: m.observed("y", MvNormal(p), { plate: time }), state: x, C: bindParam(m, "C", spec.C), precision: bindParam(m, "R", spec.R) }, { name: "sensor" });
  return m.build();
}

test("known parameters: q(x) is the textbook Kalman/RTS smoother and the ELBO the exact log evidence", (t) => {
  const R = [0.5, 0.1, 0.1, 0.3], T = 40, { y } = simulateCv(1, T, 0.2, R), cv = constantVelocity(0.2);
  const model = stateSpace(4, 2, {
    m0: f64(cv.m0), P0precision: spdInverseDense(f64(cv.P0), 4),
    A: { known: f64(cv.A), family: MvNormal(16) }, Q: { known: spdInverseDense(f64(cv.Q), 4), family: Wishart(4) },
    C: { known: f64(cv.C), family: MvNormal(8) }, R: { known: spdInverseDense(f64(R), 2), family: Wishart(2) },
  });
  const r = cavi(model, { data: { y }, maxIterations: 3 });
  const ys = Array.from({ length: T }, (_, s) => mat(y.subarray(2 * s, 2 * s + 2), 2, 1));
  const ref = referenceKalman({ A: mat(cv.A, 4, 4), Q: mat(cv.Q, 4, 4), C: mat(cv.C, 2, 4), R: mat(R, 2, 2), m0: mat(cv.m0, 4, 1), P0: mat(cv.P0, 4, 4) }, ys);
  const elbo = r.elbo[r.elbo.length - 1]!;
  t.true(Math.abs(elbo - ref.ll) < 1e-9 * Math.abs(ref.ll), `ELBO ${elbo} vs log evidence ${ref.ll}`);
  const { mean, covariance } = GaussMarkovChain(4).marginals(r.posteriors.x!.natural);
  for (let s = 0; s < T; s++) for (let i = 0; i < 4; i++) {
    t.true(Math.abs(mean[s * 4 + i]! - ref.ms[s]![i]![0]!) < 1e-9, `mean ${s},${i}`);
    t.true(Math.abs(covariance[s * 16 + i * 4 + i]! - ref.Ps[s]![i]![i]!) < 1e-9, `variance ${s},${i}`);
  }
});

test("an unobserved x₋₁ before the first observation: priorBeforeFirst gives the same evidence as filtering from x₋₁", (t) => {
  const R = [0.4, 0, 0, 0.4], T = 30, { y } = simulateCv(9, T, 0.1, R), cv = constantVelocity(0.1);
  const before = { mean: [1, -1, 0.5, 0], covariance: Array.from(eye(4, 2)) };
  const first = priorBeforeFirst(before, cv.A, cv.Q);
  const model = stateSpace(4, 2, {
    m0: first.mean, P0precision: first.precision,
    A: { known: f64(cv.A), family: MvNormal(16) }, Q: { known: spdInverseDense(f64(cv.Q), 4), family: Wishart(4) },
    C: { known: f64(cv.C), family: MvNormal(8) }, R: { known: spdInverseDense(f64(R), 2), family: Wishart(2) },
  });
  const r = cavi(model, { data: { y }, maxIterations: 3 });
  // Reference: the textbook filter started one predict step earlier, from x₋₁.
  const A = mat(cv.A, 4, 4), Q = mat(cv.Q, 4, 4), m0 = mat(before.mean, 4, 1), V = mat(before.covariance, 4, 4);
  const mul = (a: number[][], b: number[][]) => a.map((row) => b[0]!.map((_, j) => row.reduce((s, v, k) => s + v * b[k]![j]!, 0)));
  const tr = (a: number[][]) => a[0]!.map((_, j) => a.map((row) => row[j]!));
  const P0 = mul(mul(A, V), tr(A)).map((row, i) => row.map((v, j) => v + Q[i]![j]!));
  const ys = Array.from({ length: T }, (_, s) => mat(y.subarray(2 * s, 2 * s + 2), 2, 1));
  const ref = referenceKalman({ A, Q, C: mat(cv.C, 2, 4), R: mat(R, 2, 2), m0: mul(A, m0), P0 }, ys);
  const elbo = r.elbo[r.elbo.length - 1]!;
  t.true(Math.abs(elbo - ref.ll) < 1e-9 * Math.abs(ref.ll), `ELBO ${elbo} vs ${ref.ll}`);
});

test("VB learns an isotropic (Gamma) observation-noise precision within 10% over 10,000 steps, ELBO monotone", (t) => {
  const lambda = 4, T = 10_000, cv = constantVelocity(0.05);
  // Mean-reverting velocities keep the long run near the origin (raw-moment statistics).
  const A = f64(cv.A);
  A[10] = 0.9;
  A[15] = 0.9;
  const { y } = simulateLgssm(new Generator(4), Array.from(A), cv.Q, cv.C, [1 / lambda, 0, 0, 1 / lambda], cv.m0, cv.P0, T);
  const model = stateSpace(4, 2, {
    m0: f64(cv.m0), P0precision: eye(4), A: { known: A, family: MvNormal(16) }, Q: { known: spdInverseDense(f64(cv.Q), 4), family: Wishart(4) },
    C: { known: f64(cv.C), family: MvNormal(8) }, R: gammaPrior(1, 1),
  });
  const r = cavi(model, { data: { y }, maxIterations: 200, tolerance: 1e-12 });
  // The chain's statistics are raw moments E[x xᵀ] of states that wander to |x| ~ 10²: round-off
  // of ~1e-9 relative near convergence (the engine's own decrease check reports nothing).
  t.deepEqual(r.diagnostics, []);
  t.true(worstDrop(r.elbo) <= 1e-9, `worst drop ${worstDrop(r.elbo)}`);
  t.true(r.elbo.length >= 3);
  const q = Gamma.fromNatural(r.posteriors.R!.natural), mean = q.shape / q.rate;
  t.true(Math.abs(mean - lambda) / lambda < 0.1, `E[λ] = ${mean}, true ${lambda}`);
});

test("learning a full transition precision (Wishart) and an isotropic observation precision together keeps the ELBO monotone", (t) => {
  const T = 2000, cv = constantVelocity(0.1);
  const A = f64(cv.A);
  A[10] = 0.9;
  A[15] = 0.9;
  const { y } = simulateLgssm(new Generator(6), Array.from(A), cv.Q.map((v) => v * 1), cv.C, [0.3, 0.1, 0.1, 0.2], cv.m0, cv.P0, T);
  const model = stateSpace(4, 2, {
    m0: f64(cv.m0), P0precision: eye(4), A: { known: A, family: MvNormal(16) }, Q: wishartPrior(4, 5, eye(4)),
    C: { known: f64(cv.C), family: MvNormal(8) }, R: gammaPrior(1, 1),
  });
  const r = cavi(model, { data: { y }, maxIterations: 40, tolerance: 0 });
  t.is(r.elbo.length, 40);
  t.true(worstDrop(r.elbo) <= 1e-11, `worst drop ${worstDrop(r.elbo)}`);
  t.true(r.elbo[39]! > r.elbo[0]! + 1, `ELBO rose from ${r.elbo[0]} to ${r.elbo[39]}`);
});

/** Eigenvalues of a real 2×2 matrix, as [re, im] pairs sorted by real then imaginary part. */
function eig2(a: ArrayLike<number>): [number, number][] {
  const tr = a[0]! + a[3]!, det = a[0]! * a[3]! - a[1]! * a[2]!, disc = (tr * tr) / 4 - det;
  const out: [number, number][] = disc >= 0
    ? [[tr / 2 - Math.sqrt(disc), 0], [tr / 2 + Math.sqrt(disc), 0]]
    : [[tr / 2, -Math.sqrt(-disc)], [tr / 2, Math.sqrt(-disc)]];
  return out;
}

/** Output autocovariances Γ_k = C Aᵏ Σ Cᵀ (k = 0, 1, 2) with Σ = A Σ Aᵀ + Q: invariant under similarity. */
function autocovariances(A: ArrayLike<number>, C: ArrayLike<number>, Q: ArrayLike<number>, d: number, p: number): Float64Array[] {
  const mul = (a: ArrayLike<number>, b: ArrayLike<number>, r: number, k: number, c: number) => {
    const o = new Float64Array(r * c);
    for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) for (let l = 0; l < k; l++) o[i * c + j] += a[i * k + l]! * b[l * c + j]!;
    return o;
  };
  const tr = (a: ArrayLike<number>, r: number, c: number) => Float64Array.from({ length: r * c }, (_, i) => a[(i % r) * c + Math.floor(i / r)]!);
  let S = Float64Array.from(Q);
  for (let it = 0; it < 2000; it++) S = mul(mul(A, S, d, d, d), tr(A, d, d), d, d, d).map((v, i) => v + Q[i]!);
  const out: Float64Array[] = [];
  let AkS = S;
  for (let k = 0; k < 3; k++) {
    out.push(mul(mul(C, AkS, p, d, d), tr(C, p, d), p, d, p));
    AkS = mul(A, AkS, d, d, d);
  }
  return out;
}

test("VB learns A and C (Gaussian row priors) and the noise: eigenvalues of A and output autocovariances recovered, ELBO monotone", (t) => {
  const d = 2, p = 3, T = 2000;
  const A = [0.9, 0.25, -0.25, 0.9], C = [1, 0.5, -0.3, 1.2, 0.8, -0.7], Q = Array.from(eye(2)), R = [0.2, 0, 0, 0, 0.2, 0, 0, 0, 0.2];
  const { y } = simulateLgssm(new Generator(21), A, Q, C, R, [0, 0], Array.from(eye(2)), T);
  const model = stateSpace(d, p, {
    m0: new Float64Array(d), P0precision: eye(d),
    // Q = I fixes the scale of the state (Beal 2003, §5.2); A, C and the sensor noise are learnt.
    A: matrixPrior(d * d, 1), Q: { known: eye(d), family: Wishart(d) }, C: matrixPrior(p * d, 10), R: gammaPrior(1, 1),
  });
  // At E[C] = 0 the states carry no information and E[A] = 0, E[C] = 0 is a fixed point of the
  // updates: start q(C) at the data's principal directions and update the states first.
  const r = cavi(model, { data: { y }, maxIterations: 1000, tolerance: 1e-8, schedule: ["x", "A", "C", "R"], init: { C: observationMatrixStart(y, p, d) } });
  t.deepEqual(r.diagnostics, []);
  t.true(worstDrop(r.elbo) <= 1e-9, `worst drop ${worstDrop(r.elbo)}`);
  const EA = r.posteriors.A!.mean(), EC = r.posteriors.C!.mean();
  const want = eig2(A), got = eig2(EA);
  t.log(`eigenvalues of E[A]: ${got.map(([re, im]) => `${re.toFixed(3)}${im >= 0 ? "+" : ""}${im.toFixed(3)}i`).join(", ")} (true ${want.map(([re, im]) => `${re}${im >= 0 ? "+" : ""}${im.toFixed(3)}i`).join(", ")}); ${r.iterations} sweeps`);
  for (let k = 0; k < 2; k++) t.true(Math.hypot(got[k]![0] - want[k]![0], got[k]![1] - want[k]![1]) < 0.05, `eigenvalue ${k}`);
  const G = autocovariances(A, C, Q, d, p), Gq = autocovariances(EA, EC, Q, d, p);
  for (let k = 0; k < 3; k++) {
    let num = 0, den = 0;
    for (let i = 0; i < p * p; i++) {
      num += (G[k]![i]! - Gq[k]![i]!) ** 2;
      den += G[k]![i]! ** 2;
    }
    t.true(Math.sqrt(num / den) < 0.15, `Γ_${k}: relative error ${Math.sqrt(num / den)}`);
  }
  const lam = Gamma.fromNatural(r.posteriors.R!.natural);
  t.true(Math.abs(lam.rate / lam.shape - 0.2) / 0.2 < 0.15, `noise variance ${lam.rate / lam.shape} vs 0.2`);
});

test("inline constants: a number on a precision edge is an isotropic Gamma λ I, a d×d matrix a Wishart; exact Kalman evidence", (t) => {
  const T = 50, rng = new Generator(77), y = new Float64Array(T);
  for (let s = 0; s < T; s++) y[s] = Math.sin(s / 5) + 0.3 * sampleStandardNormal(rng);
  const m = new ModelBuilder(), time = m.plate("time");
  const x = m.random("x", GaussMarkovChain(2), { plate: time });
  m.factor(ChainInitialNode, { out: x, mean: [0, 0], precision: [0.5, 0, 0, 0.5] });
  m.factor(ChainDynamicsNode, { out: x, A: [0.9, 0.2, -0.2, 0.9], precision: 4 });
  m.factor(ChainEmissionNode, { out: m.observed("y", MvNormal(1), { plate: time }), state: x, C: [1, 0], precision: 10 });
  const r = cavi(m.build(), { data: { y }, maxIterations: 3 });
  const par = {
    d: 2, p: 1, transition: Float64Array.of(0.9, 0.2, -0.2, 0.9), transitionCovariance: eye(2, 0.25), observation: Float64Array.of(1, 0),
    observationCovariance: Float64Array.of(0.1), initialMean: new Float64Array(2), initialCovariance: eye(2, 2),
  };
  const logLik = kalmanFilterSeries(par, y, T, allocateKalmanBuffers(T, 2));
  const elbo = r.elbo[r.elbo.length - 1]!;
  t.true(Math.abs(elbo - logLik) < 1e-9 * Math.abs(logLik), `ELBO ${elbo} vs Kalman log evidence ${logLik}`);
});
