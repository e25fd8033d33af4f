import test from "ava";
import {
  Generator, sampleStandardNormal, kalmanFilterSeries, rtsSmoother, allocateKalmanBuffers, allocateSmootherBuffers,
  checkGaussianChain, KalmanWorkspace, RtsWorkspace, isVireoError, type GaussianChainParams,
} from "@vireo/core";
import { type M, type RefChain, flat, mul, add, T_, inv, logDet, randomSpd, referenceKalman } from "./reference.js";

function randomChain(seed: number, d: number, p: number) {
  const rng = new Generator(seed);
  const A = Array.from({ length: d }, (_, i) => Array.from({ length: d }, (_, j) => (i === j ? 0.8 : 0) + 0.1 * sampleStandardNormal(rng)));
  const C = Array.from({ length: p }, () => Array.from({ length: d }, () => sampleStandardNormal(rng)));
  const ref: RefChain = {
    A, C, Q: randomSpd(rng, d, 0.3), R: randomSpd(rng, p, 0.5),
    m0: Array.from({ length: d }, () => [sampleStandardNormal(rng)]), P0: randomSpd(rng, d, 2),
  };
  const par: GaussianChainParams = {
    d, p, transition: flat(ref.A), transitionCovariance: flat(ref.Q), observation: flat(ref.C), observationCovariance: flat(ref.R),
    initialMean: flat(ref.m0), initialCovariance: flat(ref.P0),
  };
  return { rng, ref, par };
}

function simulate(rng: Generator, ref: RefChain, T: number): M[] {
  const d = ref.A.length, p = ref.C.length;
  const Lq = chol(ref.Q), Lr = chol(ref.R), L0 = chol(ref.P0);
  const noise = (L: M, n: number) => mul(L, Array.from({ length: n }, () => [sampleStandardNormal(rng)]));
  let x = add(ref.m0, noise(L0, d));
  const ys: M[] = [];
  for (let t = 0; t < T; t++) {
    if (t > 0) x = add(mul(ref.A, x), noise(Lq, d));
    ys.push(add(mul(ref.C, x), noise(Lr, p)));
  }
  return ys;
}

function chol(a: M): M {
  const n = a.length, L = a.map(() => new Array<number>(n).fill(0));
  for (let j = 0; j < n; j++) {
    let s = a[j]![j]!;
    for (let k = 0; k < j; k++) s -= L[j]![k]! ** 2;
    L[j]![j] = Math.sqrt(s);
    for (let i = j + 1; i < n; i++) {
      let t = a[i]![j]!;
      for (let k = 0; k < j; k++) t -= L[i]![k]! * L[j]![k]!;
      L[i]![j] = t / L[j]![j]!;
    }
  }
  return L;
}

/** max |a − b| / (1 + |b|) over a flat buffer block and a reference matrix. */
function dev(buf: Float64Array, off: number, ref: M): number {
  let e = 0;
  ref.flat().forEach((v, i) => (e = Math.max(e, Math.abs(buf[off + i]! - v) / (1 + Math.abs(v)))));
  return e;
}

for (const [d, p, T, seed] of [[3, 2, 60, 1], [4, 2, 200, 2], [2, 3, 40, 3], [1, 1, 30, 4]] as const) {
  test(`filter and RTS smoother equal the textbook reference to 1e-9 (d=${d}, p=${p}, T=${T})`, (t) => {
    const { rng, ref, par } = randomChain(seed, d, p);
    checkGaussianChain(par);
    const ys = simulate(rng, ref, T);
    const y = Float64Array.from(ys.flatMap((v) => v.flat()));
    const filt = allocateKalmanBuffers(T, d), sm = allocateSmootherBuffers(T, d);
    const ll = kalmanFilterSeries(par, y, T, filt, new KalmanWorkspace(d, p));
    rtsSmoother(par, T, filt, sm, new RtsWorkspace(d));
    const r = referenceKalman(ref, ys);
    let e = 0;
    for (let s = 0; s < T; s++) {
      e = Math.max(e, dev(filt.filteredMean, s * d, r.mf[s]!), dev(filt.filteredCov, s * d * d, r.Pf[s]!));
      e = Math.max(e, dev(sm.smoothedMean, s * d, r.ms[s]!), dev(sm.smoothedCov, s * d * d, r.Ps[s]!));
      if (s > 0) e = Math.max(e, dev(sm.crossCov, s * d * d, r.cross[s]!));
    }
    t.true(e < 1e-9, `max relative deviation ${e}`);
    t.true(Math.abs(ll - r.ll) < 1e-9 * (1 + Math.abs(r.ll)), `log-likelihood ${ll} vs ${r.ll}`);
  });
}

test("log-likelihood, smoothed marginals and chain entropy equal the joint Gaussian over all T states", (t) => {
  const d = 2, p = 1, T = 5;
  const { rng, ref, par } = randomChain(11, d, p);
  const ys = simulate(rng, ref, T);
  // Joint prior of the stacked states: Cov(x_s, x_t) = A^{t−s} V_s for t ≥ s.
  const V: M[] = [ref.P0], mu: M[] = [ref.m0];
  for (let s = 1; s < T; s++) {
    V.push(add(mul(mul(ref.A, V[s - 1]!), T_(ref.A)), ref.Q));
    mu.push(mul(ref.A, mu[s - 1]!));
  }
  const Sx: M = Array.from({ length: T * d }, () => new Array<number>(T * d).fill(0));
  for (let s = 0; s < T; s++) {
    let blk = V[s]!;
    for (let u = s; u < T; u++) {
      for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) {
        Sx[u * d + i]![s * d + j] = blk[i]![j]!;
        Sx[s * d + j]![u * d + i] = blk[i]![j]!;
      }
      blk = mul(ref.A, blk);
    }
  }
  const Cb: M = Array.from({ length: T * p }, () => new Array<number>(T * d).fill(0));
  const Rb: M = Array.from({ length: T * p }, () => new Array<number>(T * p).fill(0));
  for (let s = 0; s < T; s++) for (let a = 0; a < p; a++) {
    for (let j = 0; j < d; j++) Cb[s * p + a]![s * d + j] = ref.C[a]![j]!;
    for (let b = 0; b < p; b++) Rb[s * p + a]![s * p + b] = ref.R[a]![b]!;
  }
  const mx = mu.flatMap((m) => m.map((r) => r)), yv = ys.flatMap((v) => v);
  const Sy = add(mul(mul(Cb, Sx), T_(Cb)), Rb), Syi = inv(Sy);
  const r = add(yv, mul(Cb, mx), -1);
  const llRef = -0.5 * (T * p * Math.log(2 * Math.PI) + logDet(Sy) + mul(mul(T_(r), Syi), r)[0]![0]!);
  const G = mul(mul(Sx, T_(Cb)), Syi);
  const post = add(Sx, mul(G, mul(Cb, Sx)), -1), postMean = add(mx, mul(G, r));
  const Href = 0.5 * (T * d * (1 + Math.log(2 * Math.PI)) + logDet(post));

  const y = Float64Array.from(yv.flat());
  const filt = allocateKalmanBuffers(T, d), sm = allocateSmootherBuffers(T, d);
  const ll = kalmanFilterSeries(par, y, T, filt);
  const H = rtsSmoother(par, T, filt, sm, undefined, true);
  t.true(Math.abs(ll - llRef) < 1e-9, `log-likelihood ${ll} vs joint ${llRef}`);
  t.true(Math.abs(H - Href) < 1e-9, `chain entropy ${H} vs joint ${Href}`);
  for (let s = 0; s < T; s++) {
    t.true(dev(sm.smoothedMean, s * d, postMean.slice(s * d, s * d + d)) < 1e-9);
    t.true(dev(sm.smoothedCov, s * d * d, post.slice(s * d, s * d + d).map((row) => row.slice(s * d, s * d + d))) < 1e-9);
    if (s > 0) t.true(dev(sm.crossCov, s * d * d, post.slice(s * d, s * d + d).map((row) => row.slice(s * d - d, s * d))) < 1e-9);
  }
  t.true(Number.isNaN(rtsSmoother(par, T, filt, sm)), "entropy is NaN unless asked for");
});

test("checkGaussianChain names the parameter that is wrong", (t) => {
  const { par } = randomChain(5, 2, 1);
  const e1 = t.throws(() => checkGaussianChain({ ...par, observation: new Float64Array(3) }));
  t.true(isVireoError(e1, "DIMENSION_MISMATCH") && /'observation'.*length 2 \(1×2/.test(e1.message), e1?.message);
  const e2 = t.throws(() => checkGaussianChain({ ...par, observationCovariance: Float64Array.of(-1) }));
  t.true(isVireoError(e2, "INVALID_PARAMETER") && /covariance 'observationCovariance'/.test(e2.message), e2?.message);
  const e3 = t.throws(() => checkGaussianChain({ ...par, initialMean: Float64Array.of(0, NaN) }));
  t.true(isVireoError(e3, "INVALID_PARAMETER") && /'initialMean'\[1\] is NaN/.test(e3.message), e3?.message);
  const e4 = t.throws(() => kalmanFilterSeries(par, new Float64Array(3), 5, allocateKalmanBuffers(5, 2)));
  t.true(isVireoError(e4, "DIMENSION_MISMATCH") && /T·p = 5/.test(e4.message), e4?.message);
});
